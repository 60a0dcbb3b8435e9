package dev.fleetflags.eval;

import static dev.fleetflags.eval.Rules.assertValue;
import static dev.fleetflags.eval.Rules.compile;
import static dev.fleetflags.eval.Rules.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every JSON Logic operator on one device, in readable rows: rule, expected value (JSON; single
 * quotes for double). The coercions across all types are JsonLogicOracleTest's; these rows pin
 * each operator's own behaviour and the flagd additions.
 */
class OperatorsTest {

  static final long NOW = 1_700_000_000L;

  static final DeviceContext DEVICE = new DeviceContext("dev-1", Map.of(
      "model", "th-100",
      "firmware", "2.4.1",
      "tags", java.util.List.of("beta", "lte"),
      "site", Map.of("region", "eu-west", "floor", 3, "rooms", java.util.List.of(Map.of("id", "r1"))),
      "battery", 87,
      "ratio", 0.5,
      "empty", "",
      "online", true,
      "zero", 0));

  static final DeviceContext ANONYMOUS = new DeviceContext(null, Map.of("model", "th-100"));

  private static @Nullable Object eval(String rule) {
    return Rules.eval(rule, DEVICE, NOW);
  }

  private static Arguments row(String rule, String expected) {
    return Arguments.of(rule, expected);
  }

  static Stream<Arguments> data() {
    return Stream.of(
        row("{'var': 'model'}", "'th-100'"),
        row("{'var': ['model']}", "'th-100'"),
        row("{'var': 'site.region'}", "'eu-west'"),
        row("{'var': 'site.rooms.0.id'}", "'r1'"),
        row("{'var': 'tags.1'}", "'lte'"),
        row("{'var': 'tags.2'}", "null"),
        row("{'var': 'tags.length'}", "2"),
        row("{'var': 'site.nowhere'}", "null"),
        row("{'var': 'model.x'}", "null"),
        row("{'var': ['site.nowhere', 'fallback']}", "'fallback'"),
        row("{'var': ['nowhere', {'cat': ['computed', '-', 'fallback']}]}", "'computed-fallback'"),
        row("{'var': ['empty', 'fallback']}", "''"),
        row("{'var': ['zero', 'fallback']}", "0"),
        row("{'var': {'cat': ['site', '.', 'floor']}}", "3"),
        row("{'var': [{'if': [{'var': 'online'}, 'battery', 'ratio']}]}", "87"),
        row("{'var': 'targetingKey'}", "'dev-1'"),
        row("{'var': '$flagd.flagKey'}", "'test-flag'"),
        row("{'var': '$flagd.timestamp'}", "1700000000"),
        row("{'var': '$flagd'}", "{'flagKey': 'test-flag', 'timestamp': 1700000000}"),
        row("{'var': '$flagd.other'}", "null"),
        row("{'missing': ['model', 'empty', 'nowhere', 'site.floor', 'site.x']}", "['empty', 'nowhere', 'site.x']"),
        row("{'missing': [['model', 'nowhere']]}", "['nowhere']"),
        row("{'missing': 'nowhere'}", "['nowhere']"),
        row("{'missing': []}", "[]"),
        row("{'missing': ['targetingKey', '$flagd.flagKey']}", "[]"),
        row("{'missing_some': [1, ['model', 'nowhere']]}", "[]"),
        row("{'missing_some': [2, ['model', 'nowhere', 'empty']]}", "['nowhere', 'empty']"),
        row("{'missing_some': [0, ['nowhere']]}", "[]"),
        row("{'if': [{'missing': ['model']}, 'incomplete', 'complete']}", "'complete'"));
  }

  static Stream<Arguments> logic() {
    return Stream.of(
        row("{'if': [true, 'a', 'b']}", "'a'"),
        row("{'if': [false, 'a', 'b']}", "'b'"),
        row("{'if': [false, 'a']}", "null"),
        row("{'if': [[], 'a', 'b']}", "'b'"),
        row("{'if': [[0], 'a', 'b']}", "'a'"),
        row("{'if': ['', 'a', '0', 'b', 'c']}", "'b'"),
        // else-if chains: the first true condition wins, the last lone value is the else
        row("{'if': [{'==': [{'var': 'model'}, 'gw-10']}, 'gw', {'==': [{'var': 'model'}, 'th-100']}, 'th', 'other']}", "'th'"),
        row("{'if': [false, 1, false, 2, false, 3, 4]}", "4"),
        row("{'if': [false, 1, false, 2, false, 3]}", "null"),
        row("{'?:': [{'var': 'online'}, 'up', 'down']}", "'up'"),
        row("{'==': [1, '1']}", "true"),
        row("{'==': [0, '']}", "true"),
        row("{'==': [0, ' ']}", "true"),
        row("{'==': [null, 0]}", "false"),
        row("{'==': [null, null]}", "true"),
        row("{'==': [[], false]}", "true"),
        row("{'==': [[1], '1']}", "true"),
        row("{'==': [true, '1']}", "true"),
        row("{'==': [{'var': 'battery'}, '87']}", "true"),
        row("{'===': [1, '1']}", "false"),
        row("{'===': [1, 1.0]}", "true"),
        row("{'===': [{'var': 'battery'}, 87]}", "true"),
        row("{'!=': [1, '1']}", "false"),
        row("{'!==': [1, '1']}", "true"),
        row("{'!==': [null, null]}", "false"),
        row("{'!': [[]]}", "true"),
        row("{'!': ['']}", "true"),
        row("{'!': ['0']}", "false"),
        row("{'!': [0]}", "true"),
        row("{'!': [{}]}", "false"),
        row("{'!': {'var': 'nowhere'}}", "true"),
        row("{'!!': [[0]]}", "true"),
        row("{'!!': [[]]}", "false"),
        row("{'!!': ['false']}", "true"),
        row("{'!!': [{'var': 'empty'}]}", "false"),
        row("{'or': [0, '', 'x', 'y']}", "'x'"),
        row("{'or': [false, []]}", "[]"),
        row("{'or': [{'var': 'nowhere'}, {'var': 'model'}]}", "'th-100'"),
        row("{'and': [1, 'a', 0, 'b']}", "0"),
        row("{'and': [1, 'a', [1]]}", "[1]"),
        row("{'and': [true]}", "true"));
  }

  static Stream<Arguments> comparison() {
    return Stream.of(
        row("{'<': [1, 2]}", "true"),
        row("{'<': [2, 2]}", "false"),
        row("{'<=': [2, 2]}", "true"),
        row("{'>': [3, 2]}", "true"),
        row("{'>=': [2, 3]}", "false"),
        row("{'<': ['10', '9']}", "true"), // two strings compare lexicographically
        row("{'<': ['10', 9]}", "false"), // otherwise as numbers
        row("{'>': ['b', 'a']}", "true"),
        row("{'<': ['a', 1]}", "false"),
        row("{'>=': ['a', 1]}", "false"),
        row("{'<': [null, 1]}", "true"),
        row("{'<=': [null, 0]}", "true"),
        row("{'>': [true, 0]}", "true"),
        row("{'<': [[1], 2]}", "true"),
        row("{'>': [{'var': 'battery'}, 50]}", "true"),
        row("{'>=': [{'var': 'firmware'}, '2.10']}", "true"), // strings, not versions: use sem_ver
        // the between form: a < b < c, a <= b <= c
        row("{'<': [0, {'var': 'battery'}, 100]}", "true"),
        row("{'<': [0, {'var': 'battery'}, 87]}", "false"),
        row("{'<=': [0, {'var': 'battery'}, 87]}", "true"),
        row("{'<=': [87, {'var': 'battery'}, 87]}", "true"),
        row("{'<': [90, {'var': 'battery'}, 100]}", "false"));
  }

  static Stream<Arguments> text() {
    return Stream.of(
        row("{'in': ['ell', 'hello']}", "true"),
        row("{'in': ['', 'hello']}", "true"),
        row("{'in': ['x', '']}", "false"),
        row("{'in': [1, 'a1b']}", "true"),
        row("{'in': [{'var': 'model'}, ['th-100', 'th-200']]}", "true"),
        row("{'in': [{'var': 'model'}, ['TH-100']]}", "false"),
        row("{'in': ['1', [1]]}", "false"), // membership is ===
        row("{'in': [1, [1.0]]}", "true"),
        row("{'in': [null, [null]]}", "true"),
        row("{'in': ['beta', {'var': 'tags'}]}", "true"),
        row("{'in': ['eu', {'var': 'site.region'}]}", "true"),
        row("{'in': ['x', {'var': 'battery'}]}", "false"),
        row("{'in': ['x', {'var': 'nowhere'}]}", "false"),
        row("{'cat': ['fw-', {'var': 'firmware'}, '/', {'var': 'battery'}]}", "'fw-2.4.1/87'"),
        row("{'cat': [{'var': 'nowhere'}, 1.5, true, null, [1, [2, null]]]}", "'1.5true1,2,'"),
        row("{'cat': 'solo'}", "'solo'"),
        row("{'substr': ['firmware', 4]}", "'ware'"),
        row("{'substr': ['firmware', -4]}", "'ware'"),
        row("{'substr': ['firmware', 0, 4]}", "'firm'"),
        row("{'substr': ['firmware', 0, -4]}", "'firm'"),
        row("{'substr': ['firmware', -4, -1]}", "'war'"),
        row("{'substr': ['firmware', 20]}", "''"),
        row("{'substr': [12345, 1, 2]}", "'23'"),
        row("{'substr': ['firmware', 2, null]}", "''"),
        row("{'starts_with': [{'var': 'model'}, 'th-']}", "true"),
        row("{'starts_with': [{'var': 'model'}, 'gw-']}", "false"),
        row("{'starts_with': ['abc', '']}", "true"),
        row("{'ends_with': [{'var': 'model'}, '100']}", "true"),
        row("{'ends_with': [{'var': 'model'}, 'th']}", "false"),
        // flagd: both arguments must be strings, else no result
        row("{'starts_with': [{'var': 'battery'}, '8']}", "null"),
        row("{'ends_with': ['abc', null]}", "null"),
        row("{'starts_with': [{'var': 'nowhere'}, 'a']}", "null"));
  }

  static Stream<Arguments> arithmetic() {
    return Stream.of(
        row("{'+': [1, 2, 3]}", "6"),
        row("{'+': [1, '2']}", "3"),
        row("{'+': '3.5'}", "3.5"),
        row("{'+': ['3px', 1]}", "4"), // parseFloat
        row("{'+': []}", "0"),
        row("{'-': [5, 7]}", "-2"),
        row("{'-': [5]}", "-5"),
        row("{'-': ['5', '2']}", "3"),
        row("{'*': [2, '3', 1.5]}", "9"),
        row("{'*': ['4']}", "'4'"), // a lone argument is returned as is, as json-logic-js does
        row("{'/': [1, 4]}", "0.25"),
        row("{'/': [{'var': 'battery'}, 2]}", "43.5"),
        row("{'%': [7, 3]}", "1"),
        row("{'%': [-7, 3]}", "-1"),
        row("{'min': [3, 1, 2]}", "1"),
        row("{'max': [3, '4', 2]}", "4"),
        row("{'min': [{'var': 'battery'}, 50]}", "50"),
        row("{'max': [1, null]}", "1"),
        row("{'min': [-1, null]}", "-1"));
  }

  static Stream<Arguments> arrays() {
    return Stream.of(
        row("{'merge': [[1], [2, [3]], 4]}", "[1, 2, [3], 4]"),
        row("{'merge': [{'var': 'tags'}, 'wifi']}", "['beta', 'lte', 'wifi']"),
        row("{'merge': []}", "[]"),
        row("{'map': [[1, 2, 3], {'*': [{'var': ''}, 2]}]}", "[2, 4, 6]"),
        row("{'map': [{'var': 'site.rooms'}, {'var': 'id'}]}", "['r1']"),
        row("{'map': [{'var': 'nowhere'}, 1]}", "[]"),
        row("{'filter': [[1, 2, 3, 4], {'>': [{'var': ''}, 2]}]}", "[3, 4]"),
        row("{'filter': [{'var': 'tags'}, {'starts_with': [{'var': ''}, 'l']}]}", "['lte']"),
        row("{'filter': ['abc', true]}", "[]"),
        row("{'reduce': [[1, 2, 3], {'+': [{'var': 'current'}, {'var': 'accumulator'}]}, 10]}", "16"),
        row("{'reduce': [[1, 2, 3], {'cat': [{'var': 'accumulator'}, {'var': 'current'}]}]}", "'123'"),
        row("{'reduce': [{'var': 'nowhere'}, {'var': 'current'}, 'initial']}", "'initial'"),
        row("{'all': [[1, 2], {'>': [{'var': ''}, 0]}]}", "true"),
        row("{'all': [[1, 0], {'>': [{'var': ''}, 0]}]}", "false"),
        row("{'all': [[], true]}", "false"),
        row("{'some': [[1, 0], {'==': [{'var': ''}, 0]}]}", "true"),
        row("{'some': [[], true]}", "false"),
        row("{'some': [{'var': 'tags'}, {'==': [{'var': ''}, 'beta']}]}", "true"),
        row("{'none': [[1, 2], {'>': [{'var': ''}, 2]}]}", "true"),
        row("{'none': [[1, 3], {'>': [{'var': ''}, 2]}]}", "false"),
        row("{'none': [[], true]}", "true"),
        // inside a scope, var reads the element; the device is out of sight
        row("{'map': [[1], {'var': 'model'}]}", "[null]"),
        row("{'map': [[[1, 2]], {'var': '1'}]}", "[2]"));
  }

  @ParameterizedTest(name = "{0} is {1}")
  @MethodSource({"data", "logic", "comparison", "text", "arithmetic", "arrays"})
  void operator(String rule, String expected) {
    assertValue(expected, eval(rule));
  }

  @Test
  void varWithoutPathIsTheWholeContext() {
    assertValue(
        "{'model': 'th-100', 'targetingKey': 'dev-1', '$flagd': {'flagKey': 'test-flag', 'timestamp': 7}}",
        Rules.eval("{'var': ''}", new DeviceContext("dev-1", Map.of("model", "th-100")), 7));
    assertValue("{'model': 'th-100', '$flagd': {'flagKey': 'test-flag', 'timestamp': 7}}",
        Rules.eval("{'var': []}", ANONYMOUS, 7));
    assertValue("{'model': 'th-100', '$flagd': {'flagKey': 'test-flag', 'timestamp': 7}}",
        Rules.eval("{'var': null}", ANONYMOUS, 7));
  }

  @Test
  void targetingKeyIsMissingWhenTheDeviceHasNone() {
    assertValue("null", Rules.eval("{'var': 'targetingKey'}", ANONYMOUS, 0));
    assertValue("'anonymous'", Rules.eval("{'var': ['targetingKey', 'anonymous']}", ANONYMOUS, 0));
    assertValue("['targetingKey']", Rules.eval("{'missing': ['targetingKey']}", ANONYMOUS, 0));
  }

  @Test
  void theDevicesTargetingKeyWinsOverAnAttributeOfThatName() {
    DeviceContext device = new DeviceContext("dev-1", Map.of("targetingKey", "spoofed"));
    assertValue("'dev-1'", Rules.eval("{'var': 'targetingKey'}", device, 0));
  }

  @Test
  void timestampIsTheEvaluationsEpochSeconds() {
    Expr rule = compile(json("{'>=': [{'var': '$flagd.timestamp'}, 1800000000]}"));
    assertFalse(rule.test(new Scope(DEVICE, 1_799_999_999L)));
    assertTrue(rule.test(new Scope(DEVICE, 1_800_000_000L)));
  }

  @Test
  void literalOperationsAreComputedOnceAtCompileTime() {
    assertTrue(compile(json("{'+': [1, 2]}")).isConstant());
    assertTrue(compile(json("{'if': [true, 'on', 'off']}")).isConstant());
    assertFalse(compile(json("{'+': [1, {'var': 'battery'}]}")).isConstant());
    assertFalse(compile(json("{'var': 'model'}")).isConstant());
    assertEquals(3.0, ((Number) compile(json("{'+': [1, 2]}")).eval(new Scope(DEVICE, 0))).doubleValue());
  }

  @Test
  void inCompilesToTheNodeItsHaystackCalls() {
    // a few literal strings are scanned, other literal lists looked up in a hash set
    assertInstanceOf(Text.InStrings.class, compile(json("{'in': [{'var': 'model'}, ['a', 'b']]}")));
    assertInstanceOf(Text.InSet.class, compile(json("{'in': [{'var': 'model'}, ['a', 1]]}")));
    assertInstanceOf(Text.InSet.class, compile(json("{'in': [{'var': 'model'}, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']]}")));
    assertInstanceOf(Text.InString.class, compile(json("{'in': [{'var': 'model'}, 'th-100,th-200']}")));
    assertInstanceOf(Text.In.class, compile(json("{'in': [{'var': 'model'}, {'var': 'tags'}]}")));
    // a list with a computed element is evaluated per device, then searched
    assertInstanceOf(Text.In.class, compile(json("{'in': ['a', ['b', {'var': 'model'}]]}")));
    assertValue("true", eval("{'in': ['th-100', ['b', {'var': 'model'}]]}"));
  }

  @Test
  void evaluatorsAreInlinedWhereReferenced() {
    FlagSet set = Rules.flagSet("""
        {"flags": {
           "f": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                 "targeting": {"if": [{"$ref": "beta-th"}, "on", "off"]}}},
         "$evaluators": {
           "beta-th": {"and": [{"$ref": "beta"}, {"starts_with": [{"var": "model"}, "th-"]}]},
           "beta": {"in": ["beta", {"var": "tags"}]}}}""");
    assertEquals("on", set.resolve("f", DEVICE).variant());
    assertEquals("off", set.resolve("f", new DeviceContext("d", Map.of("model", "th-1"))).variant());
  }

  @Test
  void flagKeyIsTheKeyOfTheFlagBeingEvaluatedEvenInASharedEvaluator() {
    FlagSet set = Rules.flagSet("""
        {"flags": {
           "a": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "b",
                 "targeting": {"$ref": "own-key"}},
           "b": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
                 "targeting": {"$ref": "own-key"}}},
         "$evaluators": {"own-key": {"var": "$flagd.flagKey"}}}""");
    assertEquals("a", set.resolve("a", DEVICE).variant());
    assertEquals("b", set.resolve("b", DEVICE).variant());
  }
}
