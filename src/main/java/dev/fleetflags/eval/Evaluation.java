package dev.fleetflags.eval;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A whole flag set evaluated for one device: one packed {@code short} per flag, in the set's key
 * order. The low 12 bits hold the variant index ({@code 0xFFF}: none, the caller's default
 * applies and the flag is not in the device's set); the next 3 bits the outcome (reason and error
 * code). Immutable; about 2 bytes per flag.
 */
public final class Evaluation {

  static final int NO_VARIANT = 0xFFF;
  static final int STATIC = 0;
  static final int TARGETING_MATCH = 1;
  static final int DEFAULT = 2;
  static final int DISABLED = 3;
  static final int GENERAL = 4;
  static final int PARSE_ERROR = 5;
  /** An ERROR with GENERAL: the evaluation ran out of its budget (see {@link BudgetExceeded}). */
  static final int BUDGET = 6;

  private final FlagSet flagSet;
  private final short[] codes;

  Evaluation(FlagSet flagSet, short[] codes) {
    this.flagSet = flagSet;
    this.codes = codes;
  }

  static short code(int outcome, int variant) {
    return (short) ((outcome << 12) | variant);
  }

  public FlagSet flagSet() {
    return flagSet;
  }

  public int size() {
    return codes.length;
  }

  public Flag flag(int i) {
    return flagSet.flag(i);
  }

  /** The variant index of flag {@code i}, or -1 when no variant applies. */
  public int variantIndex(int i) {
    return variantOf(codes[i]);
  }

  static int variantOf(short code) {
    int v = code & NO_VARIANT;
    return v == NO_VARIANT ? -1 : v;
  }

  /** Whether flag {@code i} has a value for this device (and so is in its flag set). */
  public boolean hasValue(int i) {
    return (codes[i] & NO_VARIANT) != NO_VARIANT;
  }

  public @Nullable Object value(int i) {
    int v = variantIndex(i);
    return v < 0 ? null : flagSet.flag(i).variantValue(v);
  }

  public @Nullable String variant(int i) {
    int v = variantIndex(i);
    return v < 0 ? null : flagSet.flag(i).variantName(v);
  }

  public Reason reason(int i) {
    return reasonOf(codes[i]);
  }

  public @Nullable ErrorCode errorCode(int i) {
    return errorOf(codes[i]);
  }

  static Reason reasonOf(short code) {
    return switch (code >> 12) {
      case STATIC -> Reason.STATIC;
      case TARGETING_MATCH -> Reason.TARGETING_MATCH;
      case DEFAULT -> Reason.DEFAULT;
      case DISABLED -> Reason.DISABLED;
      default -> Reason.ERROR;
    };
  }

  static @Nullable ErrorCode errorOf(short code) {
    return switch (code >> 12) {
      case GENERAL, BUDGET -> ErrorCode.GENERAL;
      case PARSE_ERROR -> ErrorCode.PARSE_ERROR;
      default -> null;
    };
  }

  /** The device's state hash: the sum of the entry hashes of every flag it has a value for. */
  public int stateHash() {
    int hash = 0;
    for (int i = 0; i < codes.length; i++) {
      int v = variantOf(codes[i]);
      if (v >= 0) {
        hash += flagSet.flag(i).entryHash(v);
      }
    }
    return hash;
  }

  /** Resolution details of flag {@code i}, with {@code fallback} where the caller's default applies. */
  public Resolution resolution(int i, @Nullable Object fallback) {
    return flagSet.resolution(flagSet.flag(i), codes[i], fallback);
  }

  /** Whether both are evaluations of the same flag set with the same result for every flag. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Evaluation other && other.flagSet == flagSet && Arrays.equals(codes, other.codes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(codes);
  }
}
