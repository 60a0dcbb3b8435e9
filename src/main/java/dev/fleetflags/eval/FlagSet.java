package dev.fleetflags.eval;

import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.FlagType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A compiled, immutable set of flags in key order, with the document it was compiled from.
 * Evaluating the whole set for one device is one call ({@link #evaluate}); one flag can be
 * resolved with OpenFeature's typed semantics ({@link #resolve}). Thread-safe.
 */
public final class FlagSet {

  public static final FlagSet EMPTY = new FlagSet(FlagDocument.EMPTY, List.of());

  private final FlagDocument document;
  private final Flag[] flags;
  private final Map<String, Integer> positions;
  private final boolean timeDependent;

  FlagSet(FlagDocument document, List<Flag> flags) {
    this.document = document;
    this.flags = flags.toArray(new Flag[0]);
    Arrays.sort(this.flags, Comparator.comparing(Flag::key));
    this.positions = new HashMap<>(this.flags.length * 2);
    boolean anyTimeDependent = false;
    for (int i = 0; i < this.flags.length; i++) {
      positions.put(this.flags[i].key(), i);
      anyTimeDependent |= this.flags[i].timeDependent();
    }
    this.timeDependent = anyTimeDependent;
  }

  /** The document this set was compiled from. */
  public FlagDocument document() {
    return document;
  }

  public int size() {
    return flags.length;
  }

  public Flag flag(int index) {
    return flags[index];
  }

  /** The position of {@code key} in key order, or -1. */
  public int indexOf(String key) {
    Integer i = positions.get(key);
    return i == null ? -1 : i;
  }

  public @Nullable Flag flag(String key) {
    int i = indexOf(key);
    return i < 0 ? null : flags[i];
  }

  /** Whether any flag's value can change with time alone (its targeting reads {@code $flagd.timestamp}). */
  public boolean timeDependent() {
    return timeDependent;
  }

  /** The first second after {@code epochSecond} at which a flag's value may change with time alone, or -1 if none. */
  public long nextTimeBoundary(long epochSecond) {
    long next = -1;
    for (Flag f : flags) {
      for (long b : f.timeBoundariesShared()) {
        if (b > epochSecond) {
          next = next < 0 ? b : Math.min(next, b);
          break; // ascending
        }
      }
    }
    return next;
  }

  /** The flags with a time boundary after {@code fromSecond} and at or before {@code toSecond}, in key order. */
  public List<String> flagsTurningBetween(long fromSecond, long toSecond) {
    List<String> keys = new ArrayList<>();
    for (Flag f : flags) {
      for (long b : f.timeBoundariesShared()) {
        if (b > fromSecond && b <= toSecond) {
          keys.add(f.key());
          break;
        }
      }
    }
    return keys;
  }

  /** Every flag for one device, at the current time. */
  public Evaluation evaluate(DeviceContext device) {
    return evaluate(device, nowSeconds());
  }

  /** Every flag for one device, with {@code $flagd.timestamp} = {@code epochSeconds}. */
  public Evaluation evaluate(DeviceContext device, long epochSeconds) {
    Scope scope = new Scope(device, epochSeconds);
    short[] codes = new short[flags.length];
    for (int i = 0; i < flags.length; i++) {
      codes[i] = flags[i].evaluate(scope);
    }
    return new Evaluation(this, codes);
  }

  /**
   * The variant index of one flag for one device (-1: none applies), for work that looks at a few
   * flags of many devices.
   */
  public int variantIndex(int flagIndex, DeviceContext device, long epochSeconds) {
    return Evaluation.variantOf(flags[flagIndex].evaluate(new Scope(device, epochSeconds)));
  }

  /** Resolution details of one flag, untyped; the caller's default is null. */
  public Resolution resolve(String key, DeviceContext device) {
    Flag flag = flag(key);
    if (flag == null) {
      return Resolution.error(null, ErrorCode.FLAG_NOT_FOUND, "flag \"" + key + "\" not found", Map.of());
    }
    return resolution(flag, flag.evaluate(new Scope(device, nowSeconds())), null);
  }

  /**
   * Resolution details of one flag as OpenFeature's typed evaluation gives them: FLAG_NOT_FOUND,
   * TYPE_MISMATCH (a FLOAT request accepts an INTEGER flag), or the result with {@code fallback}
   * where the caller's default applies.
   */
  public Resolution resolve(
      String key, FlagType expected, @Nullable Object fallback, DeviceContext device, long epochSeconds) {
    Flag flag = flag(key);
    if (flag == null) {
      return Resolution.error(fallback, ErrorCode.FLAG_NOT_FOUND, "flag \"" + key + "\" not found", Map.of());
    }
    if (flag.parseError() == null && flag.type() != expected
        && !(expected == FlagType.FLOAT && flag.type() == FlagType.INTEGER)) {
      return Resolution.error(fallback, ErrorCode.TYPE_MISMATCH,
          "flag \"" + key + "\" is " + flag.type().lowerCaseName() + ", not " + expected.lowerCaseName(),
          flag.metadata());
    }
    Resolution r = resolution(flag, flag.evaluate(new Scope(device, epochSeconds)), fallback);
    if (expected == FlagType.FLOAT && r.variant() != null && r.value() instanceof Long l) {
      return new Resolution((double) l, r.variant(), r.reason(), r.errorCode(), r.errorMessage(), r.metadata());
    }
    return r;
  }

  Resolution resolution(Flag flag, short code, @Nullable Object fallback) {
    int v = Evaluation.variantOf(code);
    if (v >= 0) {
      return flag.served(code); // a variant is served: no error, and the fallback plays no part
    }
    ErrorCode error = Evaluation.errorOf(code);
    String message = null;
    if (error == ErrorCode.PARSE_ERROR) {
      message = flag.parseError();
    } else if (code >> 12 == Evaluation.BUDGET) {
      message = "evaluation budget exceeded: flag \"" + flag.key() + "\" needed more steps or memory for this device"
          + " than limits/max-evaluation-steps and max-evaluation-size allow";
    } else if (error == ErrorCode.GENERAL) {
      message = "targeting of flag \"" + flag.key() + "\" did not give one of its variants";
    }
    return new Resolution(fallback, null, Evaluation.reasonOf(code), error, message, flag.metadata());
  }

  private static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }
}
