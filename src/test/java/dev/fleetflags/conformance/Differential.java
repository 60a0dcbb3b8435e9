package dev.fleetflags.conformance;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.Resolution;
import dev.fleetflags.rules.FlagType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Compares FleetFlags with the flagd Java provider flag by flag, device by device (value, variant
 * and reason), and sorts every disagreement: a known departure of the provider from the flagd
 * specification (then FleetFlags is held to the specification instead, and the case counted), or
 * unexplained. Every flag whose targeting the {@link TargetingOracle} can read is also held to the
 * specification on every pair, agreement or not, so that FleetFlags cannot pass by sharing a
 * provider departure (the legacy bucketing, above all).
 */
final class Differential {

  /** A device: targeting key (may be null) and attributes. */
  record Device(@Nullable String targetingKey, Map<String, Object> attributes) {}

  /** What the specification expects for one flag and device. */
  record Expected(@Nullable Object value, @Nullable String variant, String reason) {}

  /** One flag as the document defines it, with what the comparison needs. */
  record FlagInfo(
      String key,
      FlagType type,
      boolean disabled,
      Map<String, Object> variants,
      @Nullable String defaultVariant,
      @Nullable Object targeting,
      boolean judgedByOracle,
      boolean refsBroken,
      Object fallback) {}

  static final String DEV2 = "2 DISABLED flag: ERROR/FLAG_NOT_FOUND (spec: DISABLED)";
  static final String DEV3 = "3 no defaultVariant: ERROR/GENERAL (spec: caller's default, DEFAULT)";

  private static final long NOW = 1_767_225_600L;
  private static final int LISTED = 40;

  private final String name;
  private final FlagSet flagSet;
  private final FlagdJavaProvider provider;
  private final List<FlagInfo> flags;
  private final TargetingOracle specification;
  private final TargetingOracle providerModel;

  private long pairs;
  private long agreements;
  private long judgedBySpec;
  private final Map<String, Long> deviations = new TreeMap<>();
  private final Map<String, Long> unexplainedByFlag = new TreeMap<>();
  private final List<String> unexplained = new ArrayList<>();
  private final Map<String, Long> offSpecByFlag = new TreeMap<>();
  private final List<String> offSpec = new ArrayList<>();

  Differential(String name, FlagSet flagSet, FlagdJavaProvider provider, Map<String, Object> document,
      FlagFileText text, List<String> keys) {
    this.name = name;
    this.flagSet = flagSet;
    this.provider = provider;
    @SuppressWarnings("unchecked")
    Map<String, Object> evaluators = (Map<String, Object>) document.getOrDefault("$evaluators", Map.of());
    this.specification = new TargetingOracle(evaluators, TargetingOracle.Mode.SPECIFICATION);
    this.providerModel = new TargetingOracle(evaluators, TargetingOracle.Mode.PROVIDER_MODEL);
    this.flags = flagInfos(document, text, keys);
  }

  /** The flags of a parsed document, typed by their variants, with a fallback no variant equals. */
  private List<FlagInfo> flagInfos(Map<String, Object> document, FlagFileText text, List<String> keys) {
    Map<?, ?> all = (Map<?, ?>) document.get("flags");
    List<FlagInfo> out = new ArrayList<>();
    for (String key : keys) {
      Map<?, ?> f = (Map<?, ?>) all.get(key);
      @SuppressWarnings("unchecked")
      Map<String, Object> variants = (Map<String, Object>) f.get("variants");
      FlagType type = typeOf(key, variants);
      Object targeting = f.get("targeting");
      if (targeting instanceof Map<?, ?> m && m.isEmpty()) {
        targeting = null; // flagd: "{}" is no targeting
      }
      boolean refsBroken = REF_WITH_SPACE.matcher(text.flag(key)).find();
      out.add(new FlagInfo(key, type, "DISABLED".equals(f.get("state")), variants,
          f.get("defaultVariant") instanceof String dv ? dv : null, targeting,
          targeting != null && specification.knows(targeting), refsBroken, fallback(type)));
    }
    return out;
  }

  /** Whitespace between "$ref" and its colon: the provider's textual substitution misses it. */
  private static final Pattern REF_WITH_SPACE = Pattern.compile("\"\\$ref\"\\s+:");

  private static FlagType typeOf(String key, Map<String, Object> variants) {
    FlagType type = null;
    for (Object v : variants.values()) {
      FlagType t = v instanceof Boolean ? FlagType.BOOLEAN
          : v instanceof String ? FlagType.STRING
          : v instanceof Double ? FlagType.FLOAT
          : v instanceof Number ? FlagType.INTEGER
          : v instanceof Map ? FlagType.OBJECT : null;
      if (t == null) {
        throw new IllegalArgumentException("flag " + key + ": variant value " + v);
      }
      if (type == null || type == t) {
        type = t;
      } else if (type.isNumber() && t.isNumber()) {
        type = FlagType.FLOAT;
      } else {
        throw new IllegalArgumentException("flag " + key + " mixes " + type + " and " + t);
      }
    }
    return type == null ? FlagType.STRING : type;
  }

  private static Object fallback(FlagType type) {
    return switch (type) {
      case BOOLEAN -> Boolean.FALSE;
      case STRING -> "<caller's default>";
      case INTEGER -> -424_242L;
      case FLOAT -> -0.4242;
      case OBJECT -> Map.of("callersDefault", true);
    };
  }

  void compare(Device device) {
    DeviceContext context = new DeviceContext(device.targetingKey(), device.attributes());
    for (FlagInfo flag : flags) {
      pairs++;
      Resolution ours = flagSet.resolve(flag.key(), flag.type(), flag.fallback(), context, NOW);
      FlagdJavaProvider.Answer theirs =
          provider.resolve(flag.key(), flag.type(), flag.fallback(), device.targetingKey(), device.attributes());
      if (flag.judgedByOracle()) {
        judgedBySpec++;
        try {
          TargetingOracle.Outcome outcome = specification.evaluate(
              Objects.requireNonNull(flag.targeting()), flag.key(), device.targetingKey(), device.attributes(), false);
          holdToSpecification(flag, device, ours, expected(flag, outcome));
        } catch (TargetingOracle.Unsupported e) {
          offSpec(flag, device, "the oracle cannot judge it (" + e.getMessage() + ")", ours, theirs);
        }
      }
      if (same(ours.value(), ours.variant(), ours.reason().name(), theirs)) {
        agreements++;
        continue;
      }
      String deviation = deviation(flag, device, ours, theirs);
      if (deviation != null) {
        deviations.merge(deviation, 1L, Long::sum);
      } else {
        unexplainedByFlag.merge(flag.key(), 1L, Long::sum);
        if (unexplained.size() < LISTED) {
          unexplained.add(flag.key() + " for " + device + ": FleetFlags " + describe(ours) + ", provider " + theirs);
        }
      }
    }
  }

  /** Whether the provider answered this value, variant and reason. */
  private static boolean same(@Nullable Object value, @Nullable String variant, String reason, FlagdJavaProvider.Answer theirs) {
    return Objects.equals(value, theirs.value()) && Objects.equals(variant, theirs.variant())
        && reason.equals(theirs.reason());
  }

  /**
   * The known provider departure that explains this disagreement (having held FleetFlags to the
   * specification), or null.
   */
  private @Nullable String deviation(FlagInfo flag, Device device, Resolution ours, FlagdJavaProvider.Answer theirs) {
    if (flag.disabled() && "FLAG_NOT_FOUND".equals(theirs.errorCode())) {
      holdToSpecification(flag, device, ours, new Expected(flag.fallback(), null, "DISABLED"));
      return DEV2;
    }
    if (flag.judgedByOracle()) {
      TargetingOracle.Outcome model;
      try {
        model = providerModel.evaluate(Objects.requireNonNull(flag.targeting()), flag.key(), device.targetingKey(),
            device.attributes(), flag.refsBroken());
      } catch (TargetingOracle.Unsupported e) {
        return null;
      }
      Expected modelled = expected(flag, model);
      if (model.departures().isEmpty() || !same(modelled.value(), modelled.variant(), modelled.reason(), theirs)) {
        return null; // not what the known departures predict
      }
      return String.join(" + ", new TreeSet<>(model.departures()));
    }
    if (flag.defaultVariant() == null && "GENERAL".equals(theirs.errorCode())) {
      holdToSpecification(flag, device, ours, new Expected(flag.fallback(), null, "DEFAULT"));
      return DEV3;
    }
    return null;
  }

  /** The specification's answer for an oracle outcome (a failure: what the provider then answers). */
  private static Expected expected(FlagInfo flag, TargetingOracle.Outcome outcome) {
    if (flag.disabled()) {
      return new Expected(flag.fallback(), null, "DISABLED");
    }
    if (outcome.failed()) {
      return new Expected(flag.fallback(), null, "ERROR");
    }
    Object result = outcome.value();
    if (result == null) {
      String dv = flag.defaultVariant();
      return dv == null
          ? new Expected(flag.fallback(), null, "DEFAULT")
          : new Expected(typed(flag, flag.variants().get(dv)), dv, "DEFAULT");
    }
    String variant = result instanceof String s ? s
        : result instanceof Boolean || result instanceof Long ? String.valueOf(result)
        : null;
    if (variant == null || !flag.variants().containsKey(variant)) {
      return new Expected(flag.fallback(), null, "ERROR");
    }
    return new Expected(typed(flag, flag.variants().get(variant)), variant, "TARGETING_MATCH");
  }

  private static @Nullable Object typed(FlagInfo flag, @Nullable Object value) {
    if (flag.type() == FlagType.FLOAT && value instanceof Number n) {
      return n.doubleValue();
    }
    return value;
  }

  private void holdToSpecification(FlagInfo flag, Device device, Resolution ours, Expected spec) {
    if (!Objects.equals(ours.value(), spec.value()) || !Objects.equals(ours.variant(), spec.variant())
        || !ours.reason().name().equals(spec.reason())) {
      offSpec(flag, device, "specification says " + spec, ours, null);
    }
  }

  private void offSpec(FlagInfo flag, Device device, String why, Resolution ours, FlagdJavaProvider.@Nullable Answer theirs) {
    offSpecByFlag.merge(flag.key(), 1L, Long::sum);
    if (offSpec.size() < LISTED) {
      offSpec.add(flag.key() + " for " + device + ": FleetFlags " + describe(ours) + "; " + why
          + (theirs == null ? "" : "; provider " + theirs));
    }
  }

  private static String describe(Resolution r) {
    return "(value=" + r.value() + ", variant=" + r.variant() + ", reason=" + r.reason()
        + (r.errorCode() == null ? "" : ", error=" + r.errorCode()) + ")";
  }

  long pairs() {
    return pairs;
  }

  Map<String, Long> deviations() {
    return deviations;
  }

  String summary(int devices, List<String> leftOut) {
    StringBuilder out = new StringBuilder();
    out.append("Differential test against the flagd Java provider: ").append(name).append('\n');
    out.append("  flags compared: ").append(flags.size()).append(", devices: ").append(devices)
        .append(", pairs: ").append(pairs).append('\n');
    out.append("  left out (the provider's parser refuses them): ").append(leftOut.size())
        .append(leftOut.isEmpty() ? "" : " " + leftOut).append('\n');
    out.append("  agreements (value, variant and reason): ").append(agreements).append('\n');
    out.append("  provider deviations (* = not in PROVIDER-DEVIATIONS.md), FleetFlags checked against the specification instead:");
    if (deviations.isEmpty()) {
      out.append(" none");
    }
    deviations.forEach((k, v) -> out.append("\n    ").append(v).append("  ").append(k));
    out.append('\n');
    out.append("  pairs also judged by the specification oracle (flags with only operators it knows): ").append(judgedBySpec).append('\n');
    out.append("  unexplained disagreements: ").append(unexplainedByFlag.values().stream().mapToLong(Long::longValue).sum())
        .append(unexplainedByFlag.isEmpty() ? "" : " by flag " + unexplainedByFlag).append('\n');
    out.append("  FleetFlags off the specification: ").append(offSpecByFlag.values().stream().mapToLong(Long::longValue).sum())
        .append(offSpecByFlag.isEmpty() ? "" : " by flag " + offSpecByFlag);
    return out.toString();
  }

  /** Every problem found, listed (at most {@value #LISTED} of each kind), or an empty string. */
  String problems() {
    StringBuilder out = new StringBuilder();
    if (!unexplained.isEmpty()) {
      out.append("Disagreements with the flagd provider that no documented deviation explains ")
          .append(unexplainedByFlag).append(":\n  ").append(String.join("\n  ", unexplained)).append('\n');
    }
    if (!offSpec.isEmpty()) {
      out.append("FleetFlags departs from the flagd specification ").append(offSpecByFlag)
          .append(":\n  ").append(String.join("\n  ", offSpec)).append('\n');
    }
    return out.toString();
  }
}
