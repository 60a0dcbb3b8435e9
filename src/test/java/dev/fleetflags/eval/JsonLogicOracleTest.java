package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays JSON Logic rules whose results json-logic-js, the reference implementation, computed
 * (src/test/oracle/generate.js writes {@code jsonlogic-oracle.json}): JSON Logic's coercions and
 * truthiness are JavaScript's, and this is where ours are held to them exactly.
 *
 * <p>Representation, not deviation: JavaScript's {@code undefined} is our null, and numbers compare
 * by value whether we hold them as Long or Double (-0 and NaN are checked as such).
 *
 * <p>Deliberate deviations are cases of the table with {@code deviation} (why) and {@code ours}
 * (what we give), checked here to still hold:
 *
 * <ul>
 *   <li>{@code {"var": ""}}: the whole data is flagd's evaluation context, which also holds {@code
 *       $flagd} (and {@code targetingKey} when the device has one).
 *   <li>JSON {@code -0} is read as the integer 0, which has no sign: {@code {"/": [1, -0]}} is
 *       Infinity, not -Infinity.
 *   <li>Integers keep their exact value up to 2^63; JavaScript rounds those beyond 2^53:
 *       {@code {"cat": [9007199254740993]}} is "9007199254740993", not "9007199254740992".
 * </ul>
 *
 * <p>Also deliberate, and not in the table because json-logic-js's answer cannot be written in it
 * or ours is a compile-time problem: {@code var} sees no JavaScript prototype properties ({@code
 * "s.constructor"} is missing, not a function; {@code length} of strings and arrays is kept); an
 * object with more than one member where an expression is expected is a problem, not a literal;
 * unknown operators (such as {@code log} and dotted method names) are problems, not run-time errors;
 * {@code {"*": []}} (a TypeError in JavaScript) is a wrong-arity problem.
 */
class JsonLogicOracleTest {

  private static final Map<String, Object> ORACLE = load();

  /**
   * The oracle as JavaScript wrote it: its numbers are doubles, and JSON.stringify writes those of
   * 2^64 and more as integers of many digits, which {@link Json} (rightly, for flag documents) does
   * not read. Integers that fit are longs, as {@link Json} reads them.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> load() {
    try (InputStream in = JsonLogicOracleTest.class.getResourceAsStream("jsonlogic-oracle.json")) {
      if (in == null) {
        throw new AssertionError("jsonlogic-oracle.json is missing; run src/test/oracle/generate.js");
      }
      try (JsonParser parser = new JsonFactory().createParser(in)) {
        parser.nextToken();
        return (Map<String, Object>) javaScriptValue(parser);
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static @Nullable Object javaScriptValue(JsonParser parser) throws IOException {
    switch (parser.currentToken()) {
      case START_OBJECT -> {
        Map<String, Object> map = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          map.put(name, javaScriptValue(parser));
        }
        return map;
      }
      case START_ARRAY -> {
        List<Object> list = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          list.add(javaScriptValue(parser));
        }
        return list;
      }
      case VALUE_NUMBER_INT -> {
        return parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? (Object) parser.getDoubleValue() : (Object) parser.getLongValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return parser.getDoubleValue();
      }
      case VALUE_STRING -> {
        return parser.getText();
      }
      case VALUE_TRUE -> {
        return true;
      }
      case VALUE_FALSE -> {
        return false;
      }
      default -> {
        return null;
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> section(String name) {
    return (List<Map<String, Object>>) ORACLE.get(name);
  }

  @TestFactory
  Stream<DynamicTest> tables() {
    return section("tables").stream()
        .map(table -> DynamicTest.dynamicTest((String) table.get("name"), () -> replayTable(table)));
  }

  @TestFactory
  Stream<DynamicTest> cases() {
    return section("cases").stream()
        .map(c -> DynamicTest.dynamicTest(Json.write(c.get("rule")), () -> replayCase(c)));
  }

  @Test
  void theTableIsSubstantial() {
    int evaluations = section("cases").size();
    for (Map<String, Object> table : section("tables")) {
      evaluations += expectations(table).size();
    }
    assertTrue(evaluations > 15_000, "only " + evaluations + " evaluations");
  }

  @SuppressWarnings("unchecked")
  private static void replayTable(Map<String, Object> table) {
    List<List<Object>> axes = (List<List<Object>>) table.get("axes");
    boolean viaData = "var".equals(table.get("form"));
    List<@Nullable Object> expected = expectations(table);
    List<String> failures = new ArrayList<>();
    int i = 0;
    for (List<Object> values : product(axes)) {
      Map<String, Object> data = new LinkedHashMap<>();
      if (viaData) {
        for (int a = 0; a < values.size(); a++) {
          data.put("a" + a, values.get(a));
        }
      }
      Object rule = substitute(table.get("rule"), viaData, values);
      String failure = check(rule, data, expected.get(i++));
      if (failure != null) {
        failures.add(failure);
      }
    }
    if (!failures.isEmpty()) {
      fail(failures.size() + " of " + expected.size() + " differ from json-logic-js:\n  "
          + String.join("\n  ", failures));
    }
  }

  @SuppressWarnings("unchecked")
  private static void replayCase(Map<String, Object> c) {
    Map<String, Object> data = (Map<String, Object>) c.get("data");
    if (c.containsKey("deviation")) {
      assertFalse(same(c.get("result"), c.get("ours")), "not a deviation: ours equals json-logic-js's result");
      String failure = check(c.get("rule"), data, c.get("ours"));
      if (failure != null) {
        fail("deliberate deviation (" + c.get("deviation") + ") no longer holds: " + failure);
      }
      return;
    }
    String failure = check(c.get("rule"), data, c.get("result"));
    if (failure != null) {
      fail(failure);
    }
  }

  private static @Nullable String check(@Nullable Object rule, Map<String, Object> data, @Nullable Object expected) {
    TargetingCompiler compiler = new TargetingCompiler(Limits.DEFAULT, Map.of(), "oracle", null);
    Expr expr = compiler.compileRule(rule, "rule");
    if (compiler.unparseable()) {
      return Json.write(rule) + " does not compile: " + compiler.problems();
    }
    Object actual;
    try {
      actual = expr.eval(new Scope(new DeviceContext(null, data), 0));
    } catch (RuntimeException e) {
      return Json.write(rule) + " with " + Json.write(data) + " threw " + e;
    }
    if (same(expected, actual)) {
      return null;
    }
    return Json.write(rule) + (data.isEmpty() ? "" : " with " + Json.write(data))
        + ": json-logic-js " + Json.write(expected) + ", ours " + show(actual);
  }

  private static List<@Nullable Object> expectations(Map<String, Object> table) {
    List<@Nullable Object> expected = new ArrayList<>();
    if (table.get("bits") instanceof String bits) {
      for (char ch : bits.toCharArray()) {
        expected.add(ch == 'T');
      }
    } else {
      expected.addAll((List<?>) table.get("results"));
    }
    return expected;
  }

  /** The combinations of axis values, first axis outermost, as the generator enumerates them. */
  private static List<List<Object>> product(List<List<Object>> axes) {
    List<List<Object>> combos = new ArrayList<>();
    combos.add(List.of());
    for (List<Object> axis : axes) {
      List<List<Object>> next = new ArrayList<>();
      for (List<Object> combo : combos) {
        for (Object v : axis) {
          List<Object> longer = new ArrayList<>(combo);
          longer.add(v);
          next.add(longer);
        }
      }
      combos = next;
    }
    return combos;
  }

  /** The rule with each placeholder {@code {"$": i}} replaced by a value or a read of it. */
  private static @Nullable Object substitute(@Nullable Object template, boolean viaData, List<Object> values) {
    if (template instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      for (Object t : list) {
        out.add(substitute(t, viaData, values));
      }
      return out;
    }
    if (template instanceof Map<?, ?> map) {
      if (map.size() == 1 && map.get("$") instanceof Number n) {
        int i = n.intValue();
        return viaData ? Map.of("var", "a" + i) : values.get(i);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put((String) k, substitute(v, viaData, values)));
      return out;
    }
    return template;
  }

  /** Whether our value is the JavaScript value json-logic-js gave, as encoded by the generator. */
  private static boolean same(@Nullable Object expected, @Nullable Object actual) {
    if (expected instanceof Map<?, ?> m && m.size() == 1 && m.get("$js") instanceof String special) {
      double d = actual instanceof Number n ? n.doubleValue() : Double.NaN;
      return switch (special) {
        case "undefined" -> actual == null;
        case "NaN" -> actual instanceof Number && Double.isNaN(d);
        case "Infinity" -> actual instanceof Number && d == Double.POSITIVE_INFINITY;
        case "-Infinity" -> actual instanceof Number && d == Double.NEGATIVE_INFINITY;
        case "-0" -> actual instanceof Double && d == 0.0 && 1 / d < 0;
        default -> throw new AssertionError("unknown special value " + special);
      };
    }
    if (expected == null || expected instanceof String || expected instanceof Boolean) {
      return java.util.Objects.equals(expected, actual);
    }
    if (expected instanceof Number e) {
      return actual instanceof Number a
          && e.doubleValue() == a.doubleValue()
          && !(a instanceof Double d && d == 0.0 && 1 / d < 0); // -0 is encoded as special
    }
    if (expected instanceof List<?> e) {
      if (!(actual instanceof List<?> a) || a.size() != e.size()) {
        return false;
      }
      for (int i = 0; i < e.size(); i++) {
        if (!same(e.get(i), a.get(i))) {
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
        if (!same(entry.getValue(), a.get(entry.getKey()))) {
          return false;
        }
      }
      return true;
    }
    throw new AssertionError("unexpected expectation " + expected);
  }

  private static String show(@Nullable Object v) {
    if (v instanceof Double d && (d.isNaN() || d.isInfinite() || (d == 0.0 && 1 / d < 0))) {
      return d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "Infinity" : "-Infinity") : "-0";
    }
    return v instanceof Map || v instanceof List || v instanceof String || v == null ? Json.write(v) : v + " (" + v.getClass().getSimpleName() + ")";
  }
}
