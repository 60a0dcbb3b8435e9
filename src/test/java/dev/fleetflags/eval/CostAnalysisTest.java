package dev.fleetflags.eval;

import static dev.fleetflags.eval.Rules.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.CostAnalysis.Cost;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The worst-case bounds validation computes ({@link CostAnalysis}): what each operator costs, the
 * flags that are refused with the place where they go over a limit, and that what a flag is charged
 * at run time never exceeds what was bounded for it.
 */
class CostAnalysisTest {

  private static final String ON_OFF = "'state': 'ENABLED', 'variants': {'on': 'on', 'off': 'off'}, 'defaultVariant': 'off'";

  static String flag(String key, String targeting) {
    return "{'flags': {'" + key + "': {" + ON_OFF + ", 'targeting': " + targeting + "}}}";
  }

  static String numbers(int n) {
    return IntStream.rangeClosed(1, n).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
  }

  /** The flag found in the wild: a string doubled 40 times over, in a few hundred bytes. */
  static final String REDUCE_DOUBLING =
      flag("bomb", "{'reduce': [" + numbers(40) + ", {'cat': [{'var': 'accumulator'}, {'var': 'accumulator'}]}, 'ab']}");

  /** Three maps over 200-element lists, nested: 8 million evaluations of the innermost logic. */
  static final String NESTED_MAPS = flag("nested", "{'if': [{'some': [{'map': [" + numbers(200) + ", {'map': [" + numbers(200)
      + ", {'map': [" + numbers(200) + ", {'cat': ['x', {'var': ''}]}]}]}]}, {'==': [{'var': ''}, 'x']}]}, 'on', 'off']}");

  static List<String> problems(Limits limits, String document) {
    try {
      FlagDocumentParser.Result parsed =
          new FlagDocumentParser(limits).parse(document.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
      return new FlagSetCompiler(limits).validate(parsed.document()).stream().map(Problem::toString).toList();
    } catch (InvalidDocumentException e) {
      throw new AssertionError(e.problems().toString(), e);
    }
  }

  static List<String> problems(String document) {
    return problems(Limits.DEFAULT, document);
  }

  // ---- refused with the place ---------------------------------------------------------------

  @Test
  void reduceThatDoublesAStringIsRefusedAtTheCat() {
    assertTrue(REDUCE_DOUBLING.length() < 400, REDUCE_DOUBLING);
    // The accumulator starts as 2 characters and doubles: 2^20 after 19 elements.
    assertEquals(List.of("flags.bomb.targeting.reduce[1].cat: evaluating this may create 1,048,576 characters and"
            + " array elements for one device, more than the limit of 1000000 (limits/max-evaluation-size)"),
        problems(REDUCE_DOUBLING));
  }

  @Test
  void nestedMapsAreRefusedWhereTheyMultiply() {
    List<String> found = problems(NESTED_MAPS);
    assertTrue(found.get(0).startsWith("flags.nested.targeting.if[0].some[0].map[1].map: evaluating this may take "), found::toString);
    assertTrue(found.get(0).endsWith("steps for one device, more than the limit of 100000 (limits/max-evaluation-steps)"), found::toString);
    // and the some's logic, which compares each of 200 such arrays as text
    assertTrue(found.stream().skip(1).allMatch(p -> p.startsWith("flags.nested.targeting.if[0].some[1]")), found::toString);
  }

  @Test
  void everyPlaceOverALimitIsReported() {
    String two = "{'flags': {"
        + "'a': {" + ON_OFF + ", 'targeting': {'reduce': [" + numbers(40) + ", {'cat': [{'var': 'accumulator'}, {'var': 'accumulator'}]}, 'ab']}},"
        + "'b': {" + ON_OFF + ", 'targeting': {'if': [{'all': [" + numbers(5000) + ", {'all': [" + numbers(5000) + ", true]}]}, 'on']}}}}";
    List<String> found = problems(two);
    assertEquals(2, found.size(), found::toString);
    assertTrue(found.get(0).startsWith("flags.a.targeting.reduce[1].cat: "), found::toString);
    assertTrue(found.get(1).startsWith("flags.b.targeting.if[0].all: "), found::toString);
  }

  @Test
  void aReduceThatGrowsFasterThanLinearlyOverManyElementsIsRefusedAtTheReduce() {
    // Holds itself as an element each time: a new shape each time, and small after the 32 elements followed exactly.
    String squares = flag("sq", "{'if': [{'reduce': [" + numbers(100) + ", {'merge': [{'var': 'accumulator'}, [{'var': 'accumulator'}]]}, []]}, 'on']}");
    List<String> found = problems(squares);
    assertEquals(1, found.size(), found::toString);
    assertTrue(found.get(0).startsWith("flags.sq.targeting.if[0].reduce: "), found::toString);
  }

  @Test
  void aRuleTooComplexToBoundIsRefused() {
    // reduces nested three deep, each growing a string: each level follows the one inside it for
    // every element it follows (33 times), which the analysis does not pursue beyond its budget
    String rule = "'x'";
    for (int i = 0; i < 3; i++) {
      rule = "{'reduce': [" + numbers(40) + ", {'cat': [{'var': 'accumulator'}, " + rule + "]}, '']}";
    }
    List<String> found = problems(flag("deep", "{'if': [" + rule + ", 'on']}"));
    assertEquals(1, found.size(), found::toString);
    assertTrue(found.get(0).matches("flags\\.deep\\.targeting\\.if\\[0\\]\\.reduce.*: too complex to bound its cost:"
        + " analysing it took more than \\d+ steps; simplify it"), found::toString);
  }

  @Test
  void refBombIsRefusedBeforeItIsExpanded() {
    // e0 uses e1 twice, e1 uses e2 twice, ...: 2^30 nodes expanded from a document of a few KB.
    StringBuilder evaluators = new StringBuilder();
    for (int i = 1; i < 30; i++) {
      evaluators.append(i == 1 ? "" : ", ").append("'e").append(i).append("': {'or': [{'$ref': 'e").append(i + 1)
          .append("'}, {'$ref': 'e").append(i + 1).append("'}]}");
    }
    evaluators.append(", 'e30': {'var': 'x'}");
    String document = "{'flags': {'bomb': {" + ON_OFF + ", 'targeting': {'if': [{'$ref': 'e0'}, 'on']}}},"
        + " '$evaluators': {'e0': {'$ref': 'e1'}, " + evaluators + "}}";
    List<String> found = problems(document);
    // 3 * 2^30 + 1 nodes: e1 to e29 are an 'or' of two $refs each (3 nodes), e30 has 2
    assertTrue(found.contains("flags.bomb.targeting.if[0].$ref: targeting has 3221225473 nodes after $ref expansion,"
        + " more than the limit of 1000000 nodes"), found::toString);
    assertTrue(found.stream().anyMatch(p -> p.startsWith("$evaluators.e0.$ref: ")), found::toString);
    // and a flag that refers to it is not served: it cannot be compiled
    FlagSet lenient = lenient(document);
    assertEquals(ErrorCode.PARSE_ERROR, lenient.resolve("bomb", DeviceContext.of("d")).errorCode());
  }

  @Test
  void aLongChainOfEvaluatorsIsSizedWithoutRecursion() {
    // 20,000 evaluators, each referring to the next: deeper than a thread's stack would go.
    StringBuilder evaluators = new StringBuilder();
    int n = 20_000;
    for (int i = 1; i < n; i++) {
      evaluators.append(i == 1 ? "" : ", ").append("'c").append(i).append("': {'!': {'$ref': 'c").append(i + 1).append("'}}");
    }
    evaluators.append(", 'c").append(n).append("': true");
    String document = "{'flags': {'chain': {" + ON_OFF + ", 'targeting': {'if': [{'$ref': 'c0'}, 'on']}}},"
        + " '$evaluators': {'c0': {'$ref': 'c1'}, " + evaluators + "}}";
    // c1 has 40,000 nodes expanded, c2 39,998, ...: the set's total crosses a million at c25
    List<String> found = problems(document);
    assertEquals(List.of("$evaluators.c25: the flag set's targeting would have more than the limit of 1000000 nodes after"
        + " $ref expansion (1039375 with this, evaluators each counted once on their own)"), found);
  }

  @Test
  void theWholeSetsExpansionIsBounded() {
    // each flag alone is within the limit of 100 nodes; together they are not
    Limits limits = new Limits(100_000, 64, 100, 10, 10, 100);
    String document = "{'flags': {'a': {" + ON_OFF + ", 'targeting': {'if': [{'$ref': 'big'}, 'on']}},"
        + " 'b': {" + ON_OFF + ", 'targeting': {'if': [{'$ref': 'big'}, 'on']}}},"
        + " '$evaluators': {'big': {'in': [{'var': 'id'}, " + numbers(30) + "]}}}";
    // big has 35 nodes, each flag 39
    assertEquals(List.of("flags.b.targeting: the flag set's targeting would have more than the limit of 100 nodes after"
        + " $ref expansion (113 with this, evaluators each counted once on their own)"), problems(limits, document));
  }

  // ---- accepted --------------------------------------------------------------------------------

  @Test
  void flagsNearTheLimitsAreAccepted() throws InvalidDocumentException {
    // The client id has at most 65,535 characters: 15 copies are within a million, 16 are not.
    String fifteen = "{'cat': [" + String.join(", ", java.util.Collections.nCopies(15, "{'var': 'targetingKey'}")) + "]}";
    String sixteen = "{'cat': [" + String.join(", ", java.util.Collections.nCopies(16, "{'var': 'targetingKey'}")) + "]}";
    assertEquals(List.of(), problems(flag("near", "{'if': [{'starts_with': [" + fifteen + ", 'x']}, 'on']}")));
    assertEquals(List.of("flags.far.targeting.if[0].starts_with[0].cat: evaluating this may create 1,048,560 characters"
            + " and array elements for one device, more than the limit of 1000000 (limits/max-evaluation-size)"),
        problems(flag("far", "{'if': [{'starts_with': [" + sixteen + ", 'x']}, 'on']}")));

    // Steps: a flag that costs exactly the limit is accepted, one step more is not.
    String targeting = "{'if': [{'all': [" + numbers(3000) + ", {'>': [{'var': ''}, 0]}]}, 'on']}";
    TargetingCompiler compiler = new TargetingCompiler(Limits.DEFAULT, Map.of(), "f", null);
    Expr expr = compiler.compileRule(json(targeting), "rule");
    long steps = compiler.weight() + CostAnalysis.worstCase(expr, compiler.weight(), Limits.DEFAULT).steps();
    // per element: the logic's weight (3) and comparing two values that may be 25-character texts
    assertEquals(7 + 3000 * (3 + 13), steps);
    assertEquals(List.of(), problems(Limits.DEFAULT.withEvaluation((int) steps, 1000), flag("exact", targeting)));
    assertEquals(List.of("flags.over.targeting.if[0].all: evaluating this may take " + String.format("%,d", steps)
            + " steps for one device, more than the limit of " + (steps - 1) + " (limits/max-evaluation-steps)"),
        problems(Limits.DEFAULT.withEvaluation((int) steps - 1, 1000), flag("over", targeting)));
    // and at run time it fits its budget exactly
    FlagSet exact = new FlagSetCompiler(Limits.DEFAULT.withEvaluation((int) steps, 1000)).compile(
        new FlagSetCompiler(Limits.DEFAULT).compile(flag("exact", targeting).replace('\'', '"').getBytes(StandardCharsets.UTF_8),
            FlagSetCompiler.Mode.LENIENT).document(), FlagSetCompiler.Mode.STRICT);
    assertEquals("on", exact.resolve("exact", DeviceContext.of("d")).value());
  }

  @Test
  void aReduceThatGrowsLinearlyIsBoundedByExtrapolating() {
    // The accumulator gains one element per element: 256 of them at most (an attribute's array).
    Cost cost = worstCase("{'reduce': [{'var': 'groups'}, {'merge': [{'var': 'accumulator'}, [{'var': 'current'}]]}, []]}",
        Limits.DEFAULT);
    assertTrue(cost.value().length() >= 256 && cost.value().length() < 2 * 256 + 2, cost::toString);
    assertTrue(cost.size() < 256L * 256 * 4, cost::toString);
    // A sum stops growing: its bound is a number.
    Cost sum = worstCase("{'reduce': [{'var': 'groups'}, {'+': [{'var': 'accumulator'}, {'var': 'current'}]}, 0]}", Limits.DEFAULT);
    assertEquals(Bound.SCALARS, sum.value());
  }

  // ---- each operator's bound ---------------------------------------------------------------------

  static Cost worstCase(String rule, Limits limits) {
    TargetingCompiler compiler = new TargetingCompiler(limits, Map.of(), "f", null);
    Expr expr = compiler.compileRule(json(rule), "rule");
    return CostAnalysis.worstCase(expr, compiler.weight(), limits);
  }

  @Test
  void operatorBounds() {
    Limits limits = Limits.DEFAULT;
    int attribute = limits.maxAttributeLength();
    // a string attribute, the client id, the flag key
    // an attribute: a string of at most 256 characters, or an array of 256 scalars (numbers print
    // in up to 25 characters) with at most 256 characters of strings
    assertEquals(attribute + 26L * attribute, worstCase("{'cat': [{'var': 'model'}]}", limits).value().text());
    assertEquals(attribute, worstCase("{'var': 'model'}", limits).value().length());
    assertEquals(65_535, worstCase("{'cat': [{'var': 'targetingKey'}]}", limits).value().text());
    assertEquals(65_535, worstCase("{'cat': [{'var': 'username'}]}", limits).value().text());
    assertEquals(Bound.SCALARS, worstCase("{'var': '$flagd.timestamp'}", limits).value());
    assertEquals(limits.maxKeyLength(), worstCase("{'cat': [{'var': '$flagd.flagKey'}]}", limits).value().text());
    // cat creates the sum of its arguments
    assertEquals(2L * 65_535 + 3, worstCase("{'cat': [{'var': 'targetingKey'}, 'xyz', {'var': 'targetingKey'}]}", limits).size());
    // substr gives at most its source
    assertEquals(65_535, worstCase("{'substr': [{'var': 'targetingKey'}, 1]}", limits).value().text());
    // merge: the elements of both, each created
    Cost merged = worstCase("{'merge': [[1, 2, 3], {'var': 'groups'}]}", limits);
    assertEquals(3 + attribute, merged.value().length());
    assertEquals(3 + attribute, merged.size());
    // map: one element per element, the body's weight charged for each
    Cost mapped = worstCase("{'map': [{'var': 'groups'}, {'cat': [{'var': ''}, '!']}]}", limits);
    assertEquals(attribute, mapped.value().length());
    assertEquals(attribute + 1, mapped.value().element().text()); // an element: a string of the array, or a number
    // filter keeps elements as they are
    assertEquals(attribute, worstCase("{'filter': [{'var': 'groups'}, true]}", limits).value().length());
    // all, some, none give booleans
    assertEquals(Bound.SCALARS, worstCase("{'some': [{'var': 'groups'}, {'var': ''}]}", limits).value());
    // an array literal of computed elements
    assertEquals(2, worstCase("[{'var': 'a'}, {'var': 'b'}]", limits).value().length());
    // comparison reads both sides, a step per 8 characters; a long literal costs its length
    String longText = "x".repeat(8000);
    assertTrue(worstCase("{'==': [{'var': 'a'}, '" + longText + "']}", limits).steps() >= 1000);
    // in over a literal string searches it
    assertEquals((8000 + 65_535 + 7) / 8, worstCase("{'in': [{'var': 'targetingKey'}, '" + longText + "']}", limits).steps());
    // in over a short literal array of strings reads the needle once
    assertEquals(65_535 / 8 + 1, worstCase("{'in': [{'var': 'targetingKey'}, ['x', 'y']]}", limits).steps());
  }

  // ---- what is charged never exceeds what was bounded ------------------------------------------

  static Stream<String> rules() {
    return Stream.of(
        "{'cat': [{'var': 'model'}, '-', {'var': 'targetingKey'}, {'var': 'groups'}]}",
        "{'substr': [{'cat': [{'var': 'model'}, {'var': 'model'}]}, 2, -3]}",
        "{'substr': [{'var': 'groups'}, {'var': 'n'}, {'var': 'groups'}]}",
        "{'merge': [{'var': 'groups'}, [{'var': 'model'}], {'var': 'n'}]}",
        "{'map': [{'var': 'groups'}, {'cat': [{'var': ''}, {'var': ''}]}]}",
        "{'filter': [{'var': 'groups'}, {'==': [{'var': ''}, 'g1']}]}",
        "{'all': [{'var': 'groups'}, {'in': [{'var': ''}, 'g0,g1,g2,g3']}]}",
        "{'some': [{'map': [{'var': 'groups'}, [{'var': ''}]]}, {'in': ['g2', {'var': ''}]}]}",
        "{'none': [{'var': 'groups'}, {'<': [{'var': ''}, 'g']}]}",
        "{'reduce': [{'var': 'groups'}, {'cat': [{'var': 'accumulator'}, {'var': 'current'}]}, '']}",
        "{'reduce': [{'var': 'groups'}, {'merge': [{'var': 'accumulator'}, [{'var': 'current'}]]}, []]}",
        "{'reduce': [{'var': 'groups'}, {'+': [{'var': 'accumulator'}, 1]}, 0]}",
        "{'==': [{'var': 'groups'}, {'var': 'model'}]}",
        "{'!=': [{'var': 'model'}, {'cat': [{'var': 'model'}]}]}",
        "{'<': [{'var': 'groups'}, {'var': 'model'}, {'var': 'groups'}]}",
        "{'>=': [{'var': 'model'}, {'var': 'groups'}]}",
        "{'+': [{'var': 'groups'}, {'var': 'model'}, '3.5']}",
        "{'*': [{'var': 'n'}, {'var': 'model'}]}",
        "{'-': [{'var': 'groups'}]}",
        "{'/': [{'var': 'model'}, {'var': 'n'}]}",
        "{'max': [{'var': 'groups'}, 3]}",
        "{'in': [{'var': 'model'}, {'var': 'groups'}]}",
        "{'in': [{'var': 'groups'}, {'cat': [{'var': 'model'}, {'var': 'model'}]}]}",
        "{'in': [{'var': 'model'}, '" + "ab".repeat(100) + "']}",
        "{'in': [{'var': 'model'}, ['a', 'b', 'c']]}",
        "{'starts_with': [{'var': 'model'}, {'var': 'model'}]}",
        "{'missing': [{'var': 'groups'}]}",
        "{'missing': ['model', 'x', '']}",
        "{'missing_some': [1, {'var': 'groups'}]}",
        "{'var': [{'var': 'groups'}]}",
        "{'var': [{'cat': ['groups.', {'var': 'n'}]}]}",
        "{'var': ''}",
        "{'sem_ver': [{'var': 'model'}, '>=', {'var': 'model'}]}",
        "{'fractional': [{'var': 'model'}, ['a', 50], ['b', 50]]}",
        "{'if': [{'var': 'groups'}, {'cat': [{'var': 'groups'}]}, {'var': 'model'}]}",
        "{'or': [{'var': 'x'}, {'merge': [{'var': 'groups'}, {'var': 'groups'}]}]}");
  }

  /**
   * Devices whose attributes are as large as the extension admits: a string at the cap, arrays of
   * the cap's number of elements (numbers, booleans, and strings of the cap's characters in all).
   */
  private static final List<DeviceContext> LARGEST = largestDevices();

  static List<DeviceContext> largestDevices() {
    int n = Limits.DEFAULT.maxAttributeLength();
    List<Object> mixed = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      mixed.add(i < 10 ? "g" + i : i % 2 == 0 ? (Object) (-i * 1_000_000_007L) : Boolean.TRUE);
    }
    List<Object> numbers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      numbers.add(-0.12345678901234568); // printed in 20 characters
    }
    List<DeviceContext> devices = new ArrayList<>();
    for (List<Object> groups : List.of(mixed, numbers, List.<Object>of("m".repeat(n)))) {
      Map<String, Object> attributes = new LinkedHashMap<>();
      attributes.put("model", "m".repeat(n));
      attributes.put("groups", groups);
      attributes.put("n", 2L);
      devices.add(new DeviceContext("d".repeat(65_535), attributes));
    }
    devices.add(new DeviceContext("d", Map.of("model", "1.2.3-" + "a".repeat(n - 6), "groups", List.of("1.2.3"))));
    return devices;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void whatIsChargedNeverExceedsTheBound(String rule) {
    TargetingCompiler compiler = new TargetingCompiler(Limits.DEFAULT, Map.of(), "f", null);
    Expr expr = compiler.compileRule(json(rule), "rule");
    Cost bound = CostAnalysis.worstCase(expr, compiler.weight(), Limits.DEFAULT);
    for (DeviceContext device : LARGEST) {
      Scope s = new Scope(device, 1_700_000_000L);
      expr.eval(s);
      long steps = Integer.MAX_VALUE - s.stepsLeft();
      long size = Integer.MAX_VALUE - s.sizeLeft();
      assertTrue(steps <= bound.steps(), () -> rule + ": charged " + steps + " steps, bounded " + bound.steps());
      assertTrue(size <= bound.size(), () -> rule + ": created " + size + ", bounded " + bound.size());
    }
  }

  // ---- at run time ------------------------------------------------------------------------------

  static FlagSet lenient(String document) {
    try {
      return new FlagSetCompiler(Limits.DEFAULT).compile(document.replace('\'', '"').getBytes(StandardCharsets.UTF_8),
          FlagSetCompiler.Mode.LENIENT);
    } catch (InvalidDocumentException e) {
      throw new AssertionError(e.problems().toString(), e);
    }
  }

  @Test
  void aStoredFlagOverTheLimitsFailsAloneAtRunTime() {
    // Served as the store would serve it: the other flags of the set evaluate as usual.
    String document = "{'flags': {"
        + "'bomb': {" + ON_OFF + ", 'targeting': {'reduce': [" + numbers(40) + ", {'cat': [{'var': 'accumulator'}, {'var': 'accumulator'}]}, 'ab']}},"
        + "'nested': {" + ON_OFF + ", 'targeting': {'if': [{'some': [{'map': [" + numbers(200) + ", {'map': [" + numbers(200)
        + ", {'map': [" + numbers(200) + ", {'var': ''}]}]}]}, {'==': [{'var': ''}, 'x']}]}, 'on', 'off']}},"
        + "'plain': {" + ON_OFF + ", 'targeting': {'if': [{'==': [{'var': 'model'}, 'x']}, 'on', 'off']}}}}";
    FlagSet set = lenient(document);
    DeviceContext device = new DeviceContext("dev-1", Map.of("model", "x"));
    Evaluation all = set.evaluate(device);
    for (String key : List.of("bomb", "nested")) {
      Resolution r = set.resolve(key, device);
      assertEquals(Reason.ERROR, r.reason(), key);
      assertEquals(ErrorCode.GENERAL, r.errorCode(), key);
      assertTrue(r.errorMessage().startsWith("evaluation budget exceeded"), r::errorMessage);
      assertEquals(null, all.value(set.indexOf(key)));
    }
    assertEquals("on", all.value(set.indexOf("plain")));
  }

  @Test
  void aFlagWhoseTargetingAloneWeighsMoreThanTheLimitIsAnErrorWithoutBeingEvaluated() throws InvalidDocumentException {
    String document = flag("heavy", "{'if': [{'and': [{'==': [{'var': 'a'}, 1]}, {'==': [{'var': 'b'}, 2]}]}, 'on', 'off']}");
    Limits limits = Limits.DEFAULT.withEvaluation(5, 1000);
    // if, and, ==, var (2: one path segment), 1, ==, var, 2, on, off
    assertEquals(List.of("flags.heavy.targeting: targeting has 12 steps to evaluate even without loops, more than the"
        + " limit of 5 steps per evaluation (limits/max-evaluation-steps)"), problems(limits, document));
    FlagSet set = new FlagSetCompiler(limits).compile(document.replace('\'', '"').getBytes(StandardCharsets.UTF_8),
        FlagSetCompiler.Mode.LENIENT);
    Resolution r = set.resolve("heavy", new DeviceContext("d", Map.of("a", 1L, "b", 2L)));
    assertEquals(ErrorCode.GENERAL, r.errorCode());
    assertTrue(r.errorMessage().startsWith("evaluation budget exceeded"), r::errorMessage);
  }

  @Test
  void anAttributeLargerThanAdmittedRunsOutOfTheBudgetNotOfMemory() {
    // Accepted: with attributes within the cap it costs a few hundred characters.
    String document = flag("long", "{'if': [{'in': ['x', {'cat': [{'var': 'a'}, {'var': 'a'}, {'var': 'a'}, {'var': 'a'}]}]}, 'on', 'off']}");
    FlagSet set = Rules.flagSet(document);
    assertEquals("on", set.resolve("long", new DeviceContext("d", Map.of("a", "x"))).value());
    // A context built around the caps (as a stored registry record from before them could be).
    DeviceContext huge = new DeviceContext("d", Map.of("a", "y".repeat(300_000)));
    Resolution r = set.resolve("long", huge);
    assertEquals(ErrorCode.GENERAL, r.errorCode());
    assertTrue(r.errorMessage().startsWith("evaluation budget exceeded"), r::errorMessage);
  }
}
