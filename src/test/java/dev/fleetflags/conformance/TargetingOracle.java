package dev.fleetflags.conformance;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.codec.digest.MurmurHash3;
import org.jspecify.annotations.Nullable;

/**
 * A small evaluator of flagd targeting written from the flagd specification and its conformance
 * suite, independently of FleetFlags' engine, so that the differential test can hold FleetFlags to
 * the specification where the flagd Java provider departs from it.
 *
 * <p>It knows only the operators the flags under test use ({@link #OPERATORS}); a rule with any other
 * is not judged by it. In {@link Mode#PROVIDER_MODEL} it instead follows the provider where the
 * provider is known to differ (its bytecode and PROVIDER-DEVIATIONS.md), and records each departure
 * that changed a result, so that a provider answer can be attributed to a named deviation.
 */
final class TargetingOracle {

  static final Set<String> OPERATORS =
      Set.of("var", "$ref", "if", "==", "in", "and", "cat", "fractional", "sem_ver", "starts_with", "ends_with");

  enum Mode {
    SPECIFICATION,
    PROVIDER_MODEL
  }

  /** Departures of the provider from the specification, as the model applies them. */
  static final String LEGACY_FRACTIONAL = "1 legacy fractional bucketing";
  static final String LEGACY_NO_BUCKET = "1 legacy fractional: weights adding up to 0 fail with ERROR (spec: default variant)";
  static final String CAT_OVER_MISSING = "4 cat over a missing value fails with ERROR (spec: \"\")";
  static final String STRICT_SEM_VER =
      "* sem_ver: only strict x.y.z strings (no v prefix, partial version or number) (spec: coerced)";
  static final String REF_WHITESPACE = "* $ref with whitespace before ':' is not substituted: ERROR/PARSE_ERROR (spec: resolved)";

  /** The provider's evaluation failed: it answers ERROR. */
  private static final class Failure extends RuntimeException {
    Failure() {
      super(null, null, false, false);
    }
  }

  /** A rule the oracle does not know. */
  static final class Unsupported extends RuntimeException {
    Unsupported(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * What targeting gave: a value (null: the default variant applies) or, in the provider model, a
   * failure (the provider answers ERROR); and the provider departures that made a difference.
   */
  record Outcome(@Nullable Object value, boolean failed, Set<String> departures) {}

  private final Map<String, Object> evaluators;
  private final Mode mode;
  private Map<String, Object> data = Map.of();
  private @Nullable String targetingKey;
  private String flagKey = "";
  private boolean refsBroken;
  private final Set<String> departures = new LinkedHashSet<>();

  TargetingOracle(Map<String, Object> evaluators, Mode mode) {
    this.evaluators = evaluators;
    this.mode = mode;
  }

  /** Whether every operator in {@code rule} (with its {@code $ref}s) is one the oracle knows. */
  boolean knows(@Nullable Object rule) {
    if (rule instanceof List<?> list) {
      return list.stream().allMatch(this::knows);
    }
    if (!(rule instanceof Map<?, ?> map)) {
      return true;
    }
    if (map.size() != 1 || !OPERATORS.contains(String.valueOf(map.keySet().iterator().next()))) {
      return false;
    }
    Map.Entry<?, ?> op = map.entrySet().iterator().next();
    if (op.getKey().equals("$ref")) {
      Object target = evaluators.get(String.valueOf(op.getValue()));
      return target != null && knows(target);
    }
    return knows(op.getValue());
  }

  /** MurmurHash3 x86 32-bit, seed 0, over UTF-8: the hash the specification names. */
  static int murmur3(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    return MurmurHash3.hash32x86(bytes, 0, bytes.length, 0);
  }

  /**
   * Evaluates {@code rule} for one device. {@code refsBroken}: the flag's text has whitespace between
   * {@code "$ref"} and its colon, which the provider's substitution does not expect.
   */
  Outcome evaluate(Object rule, String flagKey, @Nullable String targetingKey, Map<String, Object> attributes, boolean refsBroken) {
    Map<String, Object> d = new LinkedHashMap<>(attributes);
    if (targetingKey != null) {
      d.put("targetingKey", targetingKey);
    }
    d.put("$flagd", Map.of("flagKey", flagKey, "timestamp", 0L));
    this.data = d;
    this.targetingKey = targetingKey;
    this.flagKey = flagKey;
    this.refsBroken = refsBroken;
    departures.clear();
    try {
      Object value = eval(rule);
      return new Outcome(value, false, Set.copyOf(departures));
    } catch (Failure f) {
      return new Outcome(null, true, Set.copyOf(departures));
    }
  }

  private boolean provider() {
    return mode == Mode.PROVIDER_MODEL;
  }

  private @Nullable Object eval(@Nullable Object node) {
    if (node instanceof List<?> list) {
      List<@Nullable Object> out = new ArrayList<>(list.size());
      for (Object e : list) {
        out.add(eval(e));
      }
      return out;
    }
    if (!(node instanceof Map<?, ?> map)) {
      return node;
    }
    if (map.size() != 1) {
      throw new Unsupported("not an operation: " + map);
    }
    Map.Entry<?, ?> op = map.entrySet().iterator().next();
    String name = String.valueOf(op.getKey());
    List<?> args = op.getValue() instanceof List<?> l ? l : Collections.singletonList(op.getValue());
    return switch (name) {
      case "var" -> var(args);
      case "$ref" -> ref(String.valueOf(op.getValue()));
      case "if" -> ifThen(args);
      case "and" -> and(args);
      case "==" -> looseEquals(eval(arg(args, 0)), eval(arg(args, 1)));
      case "in" -> in(eval(arg(args, 0)), eval(arg(args, 1)));
      case "cat" -> cat(args);
      case "starts_with", "ends_with" -> affix(name, args);
      case "sem_ver" -> semVer(args);
      case "fractional" -> fractional(args);
      default -> throw new Unsupported("operator " + name);
    };
  }

  private static @Nullable Object arg(List<?> args, int i) {
    return i < args.size() ? args.get(i) : null;
  }

  private @Nullable Object ref(String name) {
    Object target = evaluators.get(name);
    if (target == null) {
      throw new Unsupported("$ref to a missing evaluator");
    }
    if (provider() && refsBroken) {
      departures.add(REF_WHITESPACE);
      throw new Failure();
    }
    return eval(target);
  }

  private @Nullable Object var(List<?> args) {
    Object path = eval(arg(args, 0));
    Object fallback = args.size() > 1 ? eval(args.get(1)) : null;
    if (path == null || "".equals(path)) {
      return data;
    }
    Object current = data;
    for (String part : String.valueOf(path).split("\\.", -1)) {
      if (!(current instanceof Map<?, ?> m) || !m.containsKey(part)) {
        return fallback;
      }
      current = m.get(part);
    }
    return current == null ? fallback : current;
  }

  private @Nullable Object ifThen(List<?> args) {
    int i = 0;
    for (; i + 1 < args.size(); i += 2) {
      if (truthy(eval(args.get(i)))) {
        return eval(args.get(i + 1));
      }
    }
    return i < args.size() ? eval(args.get(i)) : null;
  }

  private @Nullable Object and(List<?> args) {
    Object last = null;
    for (Object a : args) {
      last = eval(a);
      if (!truthy(last)) {
        return last;
      }
    }
    return last;
  }

  private static boolean truthy(@Nullable Object v) {
    if (v == null || Boolean.FALSE.equals(v) || "".equals(v)) {
      return false;
    }
    if (v instanceof Number n) {
      return n.doubleValue() != 0 && !Double.isNaN(n.doubleValue());
    }
    return !(v instanceof List<?> l) || !l.isEmpty();
  }

  /** JSON Logic's == for the primitives these rules compare. */
  private static boolean looseEquals(@Nullable Object a, @Nullable Object b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() == y.doubleValue();
    }
    if (a.getClass() == b.getClass()) {
      return a.equals(b);
    }
    if ((a instanceof String && b instanceof Number) || (a instanceof Number && b instanceof String)) {
      try {
        return Double.parseDouble(String.valueOf(a instanceof String ? a : b))
            == ((Number) (a instanceof Number ? a : b)).doubleValue();
      } catch (NumberFormatException e) {
        return false;
      }
    }
    throw new Unsupported("== between " + a.getClass().getSimpleName() + " and " + b.getClass().getSimpleName());
  }

  private static boolean in(@Nullable Object needle, @Nullable Object haystack) {
    if (haystack instanceof List<?> list) {
      return list.contains(needle);
    }
    if (haystack instanceof String s && needle instanceof String n) {
      return s.contains(n);
    }
    if (haystack == null || needle == null) {
      return false;
    }
    throw new Unsupported("in with " + needle.getClass().getSimpleName() + " over " + haystack.getClass().getSimpleName());
  }

  private String cat(List<?> args) {
    StringBuilder out = new StringBuilder();
    for (Object a : args) {
      Object v = eval(a);
      if (v == null) {
        if (provider()) {
          departures.add(CAT_OVER_MISSING);
          throw new Failure();
        }
        continue; // JSON Logic: a missing value is ""
      }
      out.append(text(v));
    }
    return out.toString();
  }

  /** A primitive as JavaScript's String() writes it. */
  private static String text(Object v) {
    if (v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Integer) {
      return String.valueOf(v);
    }
    if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString(d.longValue());
    }
    if (v instanceof Double d && Math.abs(d) >= 1e-6 && Math.abs(d) < 1e15) {
      return Double.toString(d);
    }
    throw new Unsupported("String() of " + v);
  }

  /** flagd's starts_with / ends_with: two strings, else null. */
  private @Nullable Object affix(String name, List<?> args) {
    if (args.size() != 2) {
      return null;
    }
    Object s = eval(args.get(0));
    Object part = eval(args.get(1));
    if (!(s instanceof String str) || !(part instanceof String p)) {
      return null;
    }
    return name.equals("starts_with") ? str.startsWith(p) : str.endsWith(p);
  }

  private static final Set<String> SEM_VER_OPERATORS = Set.of("=", "!=", "<", "<=", ">", ">=", "^", "~");

  /** semver.org's grammar (the provider's parser, semver4j, is strict). */
  private static final Pattern STRICT = Pattern.compile(
      "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)"
          + "(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
          + "(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$");

  /** The specification's: a v/V prefix, and a missing minor or patch (taken as 0), are accepted. */
  private static final Pattern LENIENT = Pattern.compile(
      "^[vV]?(0|[1-9]\\d*)(?:\\.(0|[1-9]\\d*))?(?:\\.(0|[1-9]\\d*))?"
          + "(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
          + "(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$");

  /** A parsed version: major, minor, patch and the pre-release identifiers (build metadata dropped). */
  private record Version(long major, long minor, long patch, List<String> pre) {}

  private @Nullable Object semVer(List<?> args) {
    if (args.size() != 3) {
      return null;
    }
    List<?> values = (List<?>) Objects.requireNonNull(eval(args));
    Object op = values.get(1);
    if (!(op instanceof String operator) || !SEM_VER_OPERATORS.contains(operator)) {
      return null;
    }
    Boolean spec = compare(version(values.get(0), false), operator, version(values.get(2), false));
    if (!provider()) {
      return spec;
    }
    Boolean strict = compare(version(values.get(0), true), operator, version(values.get(2), true));
    if (!Objects.equals(strict, spec)) {
      departures.add(STRICT_SEM_VER);
    }
    return strict;
  }

  private static @Nullable Version version(@Nullable Object v, boolean strict) {
    String s;
    if (v instanceof String str) {
      s = str;
    } else if (v instanceof Number && !strict) {
      s = text(v); // the specification coerces numbers (conformance: @semver-numeric-context)
    } else {
      return null;
    }
    Matcher m = (strict ? STRICT : LENIENT).matcher(s);
    if (!m.matches()) {
      return null;
    }
    return new Version(
        Long.parseLong(m.group(1)),
        m.group(2) == null ? 0 : Long.parseLong(m.group(2)),
        m.group(3) == null ? 0 : Long.parseLong(m.group(3)),
        m.group(4) == null ? List.of() : List.of(m.group(4).split("\\.")));
  }

  private static @Nullable Boolean compare(@Nullable Version a, String op, @Nullable Version b) {
    if (a == null || b == null) {
      return null;
    }
    int c = precedence(a, b);
    return switch (op) {
      case "=" -> c == 0;
      case "!=" -> c != 0;
      case "<" -> c < 0;
      case "<=" -> c <= 0;
      case ">" -> c > 0;
      case ">=" -> c >= 0;
      case "^" -> a.major() == b.major();
      case "~" -> a.major() == b.major() && a.minor() == b.minor();
      default -> null;
    };
  }

  /** semver.org precedence, item 11. */
  private static int precedence(Version a, Version b) {
    int c = Long.compare(a.major(), b.major());
    if (c == 0) {
      c = Long.compare(a.minor(), b.minor());
    }
    if (c == 0) {
      c = Long.compare(a.patch(), b.patch());
    }
    if (c != 0) {
      return c;
    }
    if (a.pre().isEmpty() || b.pre().isEmpty()) {
      return Boolean.compare(a.pre().isEmpty(), b.pre().isEmpty());
    }
    for (int i = 0; i < Math.min(a.pre().size(), b.pre().size()); i++) {
      String x = a.pre().get(i);
      String y = b.pre().get(i);
      boolean xn = x.chars().allMatch(Character::isDigit);
      boolean yn = y.chars().allMatch(Character::isDigit);
      int d = xn && yn ? new java.math.BigInteger(x).compareTo(new java.math.BigInteger(y))
          : xn ? -1 : yn ? 1 : x.compareTo(y);
      if (d != 0) {
        return d;
      }
    }
    return Integer.compare(a.pre().size(), b.pre().size());
  }

  private @Nullable Object fractional(List<?> args) {
    Object spec = fractionalV2(args);
    if (!provider()) {
      return spec;
    }
    try {
      Object legacy = fractionalLegacy(args);
      if (!Objects.equals(legacy, spec)) {
        departures.add(LEGACY_FRACTIONAL);
      }
      return legacy;
    } catch (Failure f) {
      departures.add(LEGACY_NO_BUCKET);
      throw f;
    }
  }

  /**
   * The specification: bucketing value = a string first argument, else flag key + targeting key;
   * buckets [variant, weight] (weight 1 when left out, a negative one 0); the chosen bucket is the
   * first whose cumulative weight exceeds {@code (unsigned murmur3(value) * total) >> 32}.
   */
  private @Nullable Object fractionalV2(List<?> args) {
    if (args.isEmpty()) {
      return null;
    }
    int first = args.get(0) instanceof List ? 0 : 1;
    String bucketBy = null;
    if (first == 1) {
      Object by = eval(args.get(0));
      if (by instanceof String s) {
        bucketBy = s;
      } else if (by != null) {
        return null;
      }
    }
    if (bucketBy == null) {
      if (targetingKey == null) {
        return null;
      }
      bucketBy = flagKey + targetingKey;
    }
    int n = args.size() - first;
    if (n == 0) {
      return null;
    }
    Object[] variants = new Object[n];
    long[] cumulative = new long[n];
    long total = 0;
    for (int b = 0; b < n; b++) {
      if (!(args.get(first + b) instanceof List<?> bucket) || bucket.isEmpty() || bucket.size() > 2) {
        return null;
      }
      variants[b] = eval(bucket.get(0));
      Object w = bucket.size() == 2 ? eval(bucket.get(1)) : (Object) 1L;
      if (!(w instanceof Number num) || num.doubleValue() != Math.rint(num.doubleValue())) {
        return null;
      }
      total += Math.max(0, num.longValue());
      cumulative[b] = total;
    }
    if (total == 0 || total > Integer.MAX_VALUE) {
      return null;
    }
    long point = (Integer.toUnsignedLong(murmur3(bucketBy)) * total) >>> 32;
    for (int b = 0; b < n; b++) {
      if (point < cumulative[b]) {
        return variants[b];
      }
    }
    return null;
  }

  /**
   * The provider's legacy bucketing, step for step as its bytecode does it (float arithmetic):
   * {@code abs(hash) / Integer.MAX_VALUE * 100} against cumulative percentages; fewer than two
   * arguments give null; a bucket that is not [string, number?] makes the whole rule null; no bucket
   * found is an error.
   */
  private @Nullable Object fractionalLegacy(List<?> rawArgs) {
    List<?> args = (List<?>) Objects.requireNonNull(eval(rawArgs));
    if (args.size() < 2) {
      return null;
    }
    String bucketBy;
    List<?> buckets;
    if (args.get(0) instanceof String s) {
      bucketBy = s;
      buckets = args.subList(1, args.size());
    } else {
      if (targetingKey == null) {
        return null;
      }
      bucketBy = flagKey + targetingKey;
      buckets = args;
    }
    List<String> variants = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    int total = 0;
    for (Object b : buckets) {
      if (!(b instanceof List<?> pair) || pair.isEmpty() || !(pair.get(0) instanceof String v)) {
        return null;
      }
      int w = 1;
      if (pair.size() >= 2) {
        if (!(pair.get(1) instanceof Number num)) {
          return null;
        }
        w = num.intValue();
      }
      variants.add(v);
      weights.add(w);
      total += w;
    }
    float bucket = (Math.abs(murmur3(bucketBy)) * 1.0f / Integer.MAX_VALUE) * 100;
    float sum = 0;
    for (int i = 0; i < variants.size(); i++) {
      int w = weights.get(i);
      sum += w == 0 ? 0f : (w * 100) / (float) total;
      if (bucket < sum) {
        return variants.get(i);
      }
    }
    throw new Failure();
  }
}
