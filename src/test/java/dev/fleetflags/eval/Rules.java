package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Compiles JSON Logic and flag documents for tests, and evaluates them. */
final class Rules {

  static final String FLAG_KEY = "test-flag";

  private Rules() {}

  /** Reads JSON text (single quotes allowed for readability in Java source). */
  static @Nullable Object json(String text) {
    try {
      return Json.parse(text.replace('\'', '"'), Limits.DEFAULT);
    } catch (InvalidDocumentException e) {
      throw new AssertionError("test JSON does not parse: " + text + ": " + e.getMessage(), e);
    }
  }

  /** Compiles a rule on its own (no variant checks); it must compile without any problem. */
  static Expr compile(@Nullable Object rule) {
    TargetingCompiler compiler = new TargetingCompiler(Limits.DEFAULT, Map.of(), FLAG_KEY, null);
    Expr expr = compiler.compileRule(rule, "rule");
    if (!compiler.problems().isEmpty()) {
      fail("rule " + Json.write(rule) + " has problems: " + compiler.problems());
    }
    return expr;
  }

  /** The problems compiling a rule on its own reports. */
  static List<Problem> problems(String rule) {
    TargetingCompiler compiler = new TargetingCompiler(Limits.DEFAULT, Map.of(), FLAG_KEY, null);
    compiler.compileRule(json(rule), "rule");
    return compiler.problems();
  }

  /** The value of a rule for a device with these attributes. */
  static @Nullable Object eval(String rule, Map<String, ?> attributes) {
    return eval(rule, new DeviceContext(null, attributes), 0);
  }

  static @Nullable Object eval(String rule) {
    return eval(rule, Map.of());
  }

  static @Nullable Object eval(String rule, DeviceContext device, long timestamp) {
    return compile(json(rule)).eval(new Scope(device, timestamp));
  }

  /** A flag set compiled strictly from document text; it must be valid. */
  static FlagSet flagSet(String document) {
    try {
      return new FlagSetCompiler(Limits.DEFAULT)
          .compile(document.replace('\'', '"').getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    } catch (InvalidDocumentException e) {
      throw new AssertionError("document is invalid: " + e.problems(), e);
    }
  }

  /**
   * Asserts a value equal to the JSON {@code expected}: numbers by value whether Long or Double,
   * lists and maps element by element.
   */
  static void assertValue(String expected, @Nullable Object actual) {
    Object e = json(expected);
    if (!sameValue(e, actual)) {
      throw new org.opentest4j.AssertionFailedError(
          "expected " + Json.write(e) + " but was " + Json.write(actual), Json.write(e), Json.write(actual));
    }
  }

  static boolean sameValue(@Nullable Object expected, @Nullable Object actual) {
    if (expected instanceof Number e) {
      return actual instanceof Number a && e.doubleValue() == a.doubleValue();
    }
    if (expected instanceof List<?> e) {
      if (!(actual instanceof List<?> a) || a.size() != e.size()) {
        return false;
      }
      for (int i = 0; i < e.size(); i++) {
        if (!sameValue(e.get(i), a.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (expected instanceof Map<?, ?> e) {
      if (!(actual instanceof Map<?, ?> a) || !a.keySet().equals(e.keySet())) {
        return false;
      }
      for (Map.Entry<?, ?> entry : e.entrySet()) {
        if (!sameValue(entry.getValue(), a.get(entry.getKey()))) {
          return false;
        }
      }
      return true;
    }
    return java.util.Objects.equals(expected, actual);
  }

  /** A flag set compiled as flagd serves a document: problems flagd tolerates are let through. */
  static FlagSet lenientFlagSet(String document) {
    try {
      return new FlagSetCompiler(Limits.DEFAULT)
          .compile(document.replace('\'', '"').getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.LENIENT);
    } catch (InvalidDocumentException e) {
      throw new AssertionError("document is rejected even leniently: " + e.problems(), e);
    }
  }

  /** A one-flag document with string variants {@code variants} and this targeting. */
  static String stringFlag(String key, String targeting, String defaultVariant, String... variants) {
    StringBuilder v = new StringBuilder();
    for (String name : variants) {
      v.append(v.length() == 0 ? "" : ", ").append('"').append(name).append("\": \"").append(name).append('"');
    }
    return "{\"flags\": {\"" + key + "\": {\"state\": \"ENABLED\", \"variants\": {" + v
        + "}, \"defaultVariant\": \"" + defaultVariant + "\", \"targeting\": " + targeting + "}}}";
  }

  /** Asserts a number: JSON Logic numbers compare by value whether Long or Double. */
  static void assertNumber(double expected, @Nullable Object actual) {
    if (!(actual instanceof Number n)) {
      throw new AssertionError("expected the number " + expected + " but was " + actual);
    }
    assertEquals(expected, n.doubleValue(), 0.0);
  }
}
