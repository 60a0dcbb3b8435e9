package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.FlagState;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every problem the parser and compiler report, with its location and reason, as an operator
 * reads them in a rejected admin write (strict compilation); and what lenient compilation, which
 * serves a document as flagd does, makes of the same problems.
 */
class ValidationTest {

  /** A valid flag's members, to which a row adds or replaces one. */
  private static final String ON_OFF = "'state': 'ENABLED', 'variants': {'on': true, 'off': false}, 'defaultVariant': 'off'";

  private static String flag(String key, String targeting) {
    return "{'flags': {'" + key + "': {" + ON_OFF + ", 'targeting': " + targeting + "}}}";
  }

  private static String flagWith(String members) {
    return "{'flags': {'f': {" + members + "}}}";
  }

  /** The problems strict compilation reports, as "location: reason". */
  static List<String> problems(Limits limits, String document) {
    byte[] bytes = document.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class,
        () -> new FlagSetCompiler(limits).compile(bytes, FlagSetCompiler.Mode.STRICT));
    List<String> found = new ArrayList<>();
    for (Problem p : e.problems()) {
      found.add(p.toString());
    }
    assertTrue(e.getMessage().startsWith(found.size() + (found.size() == 1 ? " problem" : " problems")));
    return found;
  }

  static List<String> problems(String document) {
    return problems(Limits.DEFAULT, document);
  }

  private static Arguments row(String document, String... expected) {
    return Arguments.of(document, List.of(expected));
  }

  static Stream<Arguments> structure() {
    return Stream.of(
        row("[]", "a flag document must be a JSON object, found an array"),
        row("'flags'", "a flag document must be a JSON object, found a string"),
        row("{'flags': {}, 'flag': {}}",
            "flag: unknown member; a flag document has flags, $evaluators, metadata and $schema"),
        row("{}", "flags: missing; a flag document needs a \"flags\" object"),
        row("{'flags': []}", "flags: must be an object of flags by key, found an array"),
        row("{'flags': {'': {" + ON_OFF + "}}}", "flags.: flag key must not be empty"),
        row("{'flags': {'f': 'on'}}", "flags.f: a flag must be an object, found a string"),
        row("{'flags': {'f': null}}", "flags.f: a flag must be an object, found null"),
        row(flagWith(ON_OFF + ", 'rules': {}"),
            "flags.f.rules: unknown member; a flag has state, variants, defaultVariant, targeting and metadata"),
        row(flagWith("'variants': {'on': true}"), "flags.f.state: missing; must be \"ENABLED\" or \"DISABLED\""),
        row(flagWith("'state': 'enabled', 'variants': {'on': true}"),
            "flags.f.state: must be \"ENABLED\" or \"DISABLED\", found \"enabled\""),
        row(flagWith("'state': true, 'variants': {'on': true}"),
            "flags.f.state: must be \"ENABLED\" or \"DISABLED\", found a boolean"),
        row(flagWith("'state': 'ENABLED'"), "flags.f.variants: missing; a flag needs at least one variant"),
        row(flagWith("'state': 'ENABLED', 'variants': [true, false]"),
            "flags.f.variants: must be an object of values by variant name, found an array"),
        row(flagWith("'state': 'ENABLED', 'variants': {}"), "flags.f.variants: is empty; a flag needs at least one variant"),
        row(flagWith("'state': 'ENABLED', 'variants': {'': true}"), "flags.f.variants.: variant name must not be empty"),
        row(flagWith("'state': 'ENABLED', 'variants': {'a': null}"),
            "flags.f.variants.a: a variant must be a boolean, string, number or object, found null"),
        row(flagWith("'state': 'ENABLED', 'variants': {'a': [1, 2]}"),
            "flags.f.variants.a: a variant must be a boolean, string, number or object, found an array"),
        row(flagWith("'state': 'ENABLED', 'variants': {'on': true, 'one': 1, 'text': 'x'}"),
            "flags.f.variants.one: variants of mixed types: this one is a number but \"on\" is a boolean; all variants of a flag must have one type",
            "flags.f.variants.text: variants of mixed types: this one is a string but \"on\" is a boolean; all variants of a flag must have one type"),
        row(flagWith("'state': 'ENABLED', 'variants': {'o': {}, 's': 'x'}"),
            "flags.f.variants.s: variants of mixed types: this one is a string but \"o\" is an object; all variants of a flag must have one type"),
        row(flagWith("'state': 'ENABLED', 'variants': {'on': true, 'off': false}, 'defaultVariant': 'of'"),
            "flags.f.defaultVariant: variant \"of\" does not exist; the flag's variants are \"on\", \"off\""),
        row(flagWith("'state': 'ENABLED', 'variants': {'on': true}, 'defaultVariant': true"),
            "flags.f.defaultVariant: must be a variant name or null, found a boolean"),
        row(flagWith(ON_OFF + ", 'targeting': [{'var': 'x'}]"),
            "flags.f.targeting: must be a JSON Logic object, found an array"),
        row(flagWith(ON_OFF + ", 'targeting': 'on'"), "flags.f.targeting: must be a JSON Logic object, found a string"),
        row(flagWith(ON_OFF + ", 'metadata': []"), "flags.f.metadata: must be an object, found an array"),
        row(flagWith(ON_OFF + ", 'metadata': {'owner': {'team': 'x'}, 'n': null}"),
            "flags.f.metadata.owner: metadata values must be strings, numbers or booleans, found an object",
            "flags.f.metadata.n: metadata values must be strings, numbers or booleans, found null"),
        row("{'flags': {}, 'metadata': 'x'}", "metadata: must be an object, found a string"),
        row("{'flags': {}, 'metadata': {'tags': ['a']}}",
            "metadata.tags: metadata values must be strings, numbers or booleans, found an array"),
        row("{'flags': {}, '$evaluators': []}", "$evaluators: must be an object of rules by name, found an array"),
        row("{'flags': {}, '$evaluators': {'': {'var': 'x'}}}", "$evaluators.: evaluator name must not be empty"));
  }

  static Stream<Arguments> targeting() {
    return Stream.of(
        row(flag("ota-v2", "{'if': [{'in': [{'var': 'id'}, {'bogus': [1]}]}, 'on', 'off']}"),
            "flags.ota-v2.targeting.if[0].in[1].bogus: unknown operator \"bogus\""),
        row(flag("ota-v2", "{'if': [{'in': [{'var': 'id'}, {'var': 'ids', 'x': 1}]}, 'on', 'off']}"),
            "flags.ota-v2.targeting.if[0].in[1]: an expression must have exactly one operator, found 2 members: var, x"),
        row(flag("f", "{'log': 'x'}"), "flags.f.targeting.log: unknown operator \"log\""),
        row(flag("f", "{'if': [{'==': [1, 2, 3]}, 'on', 'off']}"),
            "flags.f.targeting.if[0].==: wrong arity: \"==\" takes 2 arguments, found 3"),
        row(flag("f", "{'if': [{'!': [1, 2]}, 'on', 'off']}"),
            "flags.f.targeting.if[0].!: wrong arity: \"!\" takes 1 argument, found 2"),
        row(flag("f", "{'if': ['on']}"), "flags.f.targeting.if: wrong arity: \"if\" takes at least 2 arguments, found 1"),
        row(flag("f", "{'if': [{'substr': ['abc']}, 'on', 'off']}"),
            "flags.f.targeting.if[0].substr: wrong arity: \"substr\" takes 2 to 3 arguments, found 1"),
        row(flag("f", "{'if': [{'<': [1, 2, 3, 4]}, 'on', 'off']}"),
            "flags.f.targeting.if[0].<: wrong arity: \"<\" takes 2 to 3 arguments, found 4"),
        row(flag("f", "{'if': [{'>': [1, 2, 3]}, 'on', 'off']}"),
            "flags.f.targeting.if[0].>: wrong arity: \">\" takes 2 arguments, found 3"),
        row(flag("f", "{'if': [{'starts_with': ['a', 'b', 'c']}, 'on', 'off']}"),
            "flags.f.targeting.if[0].starts_with: wrong arity: \"starts_with\" takes 2 arguments, found 3"),
        row(flag("f", "{'if': [{'sem_ver': ['1.0.0', '=']}, 'on', 'off']}"),
            "flags.f.targeting.if[0].sem_ver: wrong arity: \"sem_ver\" takes 3 arguments, found 2"),
        row(flag("f", "{'if': [{'var': ['a', 'b', 'c']}, 'on', 'off']}"),
            "flags.f.targeting.if[0].var: wrong arity: \"var\" takes 0 to 2 arguments, found 3"),
        row(flag("f", "{'if': [{'missing_some': [1]}, 'on', 'off']}"),
            "flags.f.targeting.if[0].missing_some: wrong arity: \"missing_some\" takes 2 arguments, found 1"),
        row(flag("f", "{'if': [{'map': [[1]]}, 'on', 'off']}"),
            "flags.f.targeting.if[0].map: wrong arity: \"map\" takes 2 arguments, found 1"),
        row(flag("f", "{'if': [{'reduce': [[1]]}, 'on', 'off']}"),
            "flags.f.targeting.if[0].reduce: wrong arity: \"reduce\" takes 2 to 3 arguments, found 1"),
        row(flag("f", "{'if': [{'*': []}, 'on', 'off']}"),
            "flags.f.targeting.if[0].*: wrong arity: \"*\" takes at least 1 argument, found 0"),
        row(flag("f", "{'if': [{'-': [1, 2, 3]}, 'on', 'off']}"),
            "flags.f.targeting.if[0].-: wrong arity: \"-\" takes 1 to 2 arguments, found 3"),
        row(flag("f", "{'if': [{'min': []}, 'on', 'off']}"),
            "flags.f.targeting.if[0].min: wrong arity: \"min\" takes at least 1 argument, found 0"),
        row(flag("f", "{'if': [{'or': []}, 'on', 'off']}"),
            "flags.f.targeting.if[0].or: wrong arity: \"or\" takes at least 1 argument, found 0"),
        row(flag("f", "{'if': [{'/': [1]}, 'on', 'off']}"),
            "flags.f.targeting.if[0]./: wrong arity: \"/\" takes 2 arguments, found 1"),
        row(flag("f", "{'if': [{'in': ['a']}, 'on', 'off']}"),
            "flags.f.targeting.if[0].in: wrong arity: \"in\" takes 2 arguments, found 1"),
        // variants named by targeting must exist
        row(flag("f", "{'if': [{'var': 'beta'}, 'on', 'of']}"),
            "flags.f.targeting.if[2]: variant \"of\" does not exist; the flag's variants are \"on\", \"off\""),
        row(flag("f", "'of'"), "flags.f.targeting: must be a JSON Logic object, found a string"),
        row(flag("f", "{'if': [{'var': 'beta'}, true, 'off']}"),
            "flags.f.targeting.if[1]: variant \"true\" does not exist; the flag's variants are \"on\", \"off\""),
        row(flag("f", "{'if': [{'var': 'a'}, 'on', {'var': 'b'}, 'onn', 'off']}"),
            "flags.f.targeting.if[3]: variant \"onn\" does not exist; the flag's variants are \"on\", \"off\""),
        row(flag("f", "{'if': [{'var': 'beta'}, ['on'], 'off']}"),
            "flags.f.targeting.if[1]: targeting must give a variant name here, found an array"),
        row(flag("f", "{'if': [{'var': 'beta'}, {}, 'off']}"),
            "flags.f.targeting.if[1]: targeting must give a variant name here, found an object"),
        row(flag("f", "{'if': [{'var': 'beta'}, {'if': [{'var': 'x'}, 'on', 'nope']}, 'off']}"),
            "flags.f.targeting.if[1].if[2]: variant \"nope\" does not exist; the flag's variants are \"on\", \"off\""),
        // fractional
        row(flag("f", "{'fractional': []}"), "flags.f.targeting.fractional: fractional needs at least one bucket [variant, weight]"),
        row(flag("f", "{'fractional': [{'var': 'id'}]}"),
            "flags.f.targeting.fractional: fractional needs at least one bucket [variant, weight] after the bucketing expression"),
        row(flag("f", "{'fractional': [['on', 50, 1], ['off', 50]]}"),
            "flags.f.targeting.fractional[0]: a fractional bucket must be [variant] or [variant, weight], found an array of 3"),
        row(flag("f", "{'fractional': [['on', 50], []]}"),
            "flags.f.targeting.fractional[1]: a fractional bucket must be [variant] or [variant, weight], found an array of 0"),
        row(flag("f", "{'fractional': [['on', 50], 'off']}"),
            "flags.f.targeting.fractional[1]: a fractional bucket must be [variant] or [variant, weight], found a string"),
        row(flag("f", "{'fractional': [['on', 50.5], ['off', 50]]}"),
            "flags.f.targeting.fractional[0][1]: bad weight: a weight must be a whole number from 0 to 2147483647, found 50.5"),
        row(flag("f", "{'fractional': [['on', '50'], ['off', 50]]}"),
            "flags.f.targeting.fractional[0][1]: bad weight: a weight must be a whole number from 0 to 2147483647, found a string"),
        row(flag("f", "{'fractional': [['on', -5], ['off', 50]]}"),
            "flags.f.targeting.fractional[0][1]: bad weight: a weight must be a whole number from 0 to 2147483647, found -5"),
        row(flag("f", "{'fractional': [['on', 0], ['off', 0]]}"),
            "flags.f.targeting.fractional: bad weights: the weights add up to 0, so no bucket can be chosen"),
        row(flag("f", "{'fractional': [['on', 2147483647], ['off', 1]]}"),
            "flags.f.targeting.fractional: bad weights: the weights add up to 2147483648, more than 2147483647"),
        row(flag("f", "{'fractional': [{'var': 'id'}, ['on', 50], ['of', 50]]}"),
            "flags.f.targeting.fractional[2][0]: variant \"of\" does not exist; the flag's variants are \"on\", \"off\""),
        // sem_ver
        row(flag("f", "{'if': [{'sem_ver': [{'var': 'fw'}, '=>', '1.0.0']}, 'on', 'off']}"),
            "flags.f.targeting.if[0].sem_ver[1]: unknown sem_ver operator \"=>\"; use one of = != < <= > >= ^ ~"),
        row(flag("f", "{'if': [{'sem_ver': [{'var': 'fw'}, '>=', '1.x']}, 'on', 'off']}"),
            "flags.f.targeting.if[0].sem_ver[2]: not a semantic version: \"1.x\""),
        row(flag("f", "{'if': [{'sem_ver': [{'var': 'fw'}, '>=', true]}, 'on', 'off']}"),
            "flags.f.targeting.if[0].sem_ver[2]: not a semantic version: a boolean"));
  }

  static Stream<Arguments> references() {
    return Stream.of(
        row(flag("f", "{'if': [{'$ref': 'beta'}, 'on', 'off']}"),
            "flags.f.targeting.if[0].$ref: unknown $ref \"beta\"; the document defines no $evaluators"),
        row("{'flags': {'f': {" + ON_OFF + ", 'targeting': {'if': [{'$ref': 'beta'}, 'on', 'off']}}},"
                + " '$evaluators': {'alpha': true, 'gamma': false}}",
            "flags.f.targeting.if[0].$ref: unknown $ref \"beta\"; defined evaluators are alpha, gamma"),
        row(flag("f", "{'if': [{'$ref': 1}, 'on', 'off']}"),
            "flags.f.targeting.if[0].$ref: $ref must name an evaluator, found a number"),
        row("{'flags': {'f': {" + ON_OFF + ", 'targeting': {'if': [{'$ref': 'a'}, 'on', 'off']}}},"
                + " '$evaluators': {'a': {'and': [{'$ref': 'b'}]}, 'b': {'!': {'$ref': 'a'}}}}",
            "$evaluators.b.!.$ref: cyclic $ref: a -> b -> a",
            "$evaluators.a.and[0].$ref: cyclic $ref: b -> a -> b"),
        row("{'flags': {}, '$evaluators': {'self': {'$ref': 'self'}}}", "$evaluators.self.$ref: cyclic $ref: self -> self"),
        // an evaluator is checked on its own and for each flag that uses it
        row("{'flags': {'f': {" + ON_OFF + ", 'targeting': {'$ref': 'pick'}}},"
                + " '$evaluators': {'pick': {'if': [{'var': 'x'}, 'on', 'nope']}}}",
            "$evaluators.pick.if[2]: variant \"nope\" does not exist; the flag's variants are \"on\", \"off\" (in flag \"f\")"),
        row("{'flags': {}, '$evaluators': {'e': {'bogus': 1}}}", "$evaluators.e.bogus: unknown operator \"bogus\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource({"structure", "targeting", "references"})
  void reports(String document, List<String> expected) {
    assertEquals(expected, problems(document));
  }

  // ---- JSON and limits -----------------------------------------------------------------------

  /** Where the parser stopped: at the offending character, or just after an unrecognized word. */
  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("{\"flags\": {", "line 1, column 12"),
        Arguments.of("{\n  \"flags\": {\n    \"f\": {\"state\": ENABLED}\n  }\n}", "line 3, column 27"),
        Arguments.of("{\"flags\": {},}", "line 1, column 14"),
        Arguments.of("{\"flags\": {}} x", "line 1, column 16"),
        Arguments.of("{'flags': {}}", "line 1, column 2"),
        Arguments.of("{\"flags\": {\"f\": \"\u0001\"}}", "line 1, column 18"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedJsonIsReportedWithLineAndColumn(String text, String location) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (FlagSetCompiler.Mode mode : FlagSetCompiler.Mode.values()) {
      InvalidDocumentException e = assertThrows(InvalidDocumentException.class,
          () -> new FlagSetCompiler(Limits.DEFAULT).compile(bytes, mode));
      assertEquals(1, e.problems().size(), e.problems()::toString);
      Problem p = e.problems().get(0);
      assertEquals(location, p.location(), p::toString);
      assertTrue(p.reason().startsWith("malformed JSON: "), p::toString);
      assertTrue(!p.reason().contains("\n"), p::toString);
    }
  }

  @Test
  void emptyAndTrailingContent() {
    assertEquals(List.of("document is empty"), problems(""));
    assertEquals(List.of("document is empty"), problems(" \n\t "));
    assertEquals(List.of("line 1, column 15: unexpected content after the JSON value"), problems("{'flags': {}} {}"));
  }

  @Test
  void duplicateKeysAreReportedWhereverTheyAre() {
    assertEquals(
        List.of("flags.f: duplicate key \"f\"", "flags.g.variants.on: duplicate key \"on\""),
        problems("{'flags': {'f': {" + ON_OFF + "}, 'f': {" + ON_OFF + "},"
            + " 'g': {'state': 'ENABLED', 'variants': {'on': true, 'on': false}}}}"));
    assertEquals(List.of("flags: duplicate key \"flags\""), problems("{'flags': {}, 'flags': {}}"));
    assertEquals(List.of("flags.f.targeting.if[0].var: duplicate key \"var\""),
        problems(flag("f", "{'if': [{'var': 'a', 'var': 'b'}, 'on', 'off']}")));
  }

  @Test
  void documentSizeLimit() {
    String document = flag("f", "{'if': [{'var': 'x'}, 'on', 'off']}").replace('\'', '"');
    int size = document.getBytes(StandardCharsets.UTF_8).length;
    assertEquals(List.of("document is " + size + " bytes, more than the limit of " + (size - 1) + " bytes"),
        problems(limits(size - 1, 64, 1000, 10, 10, 100), document));
    FlagSet atTheLimit = assertDoesNotThrow(() -> new FlagSetCompiler(limits(size, 64, 1000, 10, 10, 100))
        .compile(document.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT));
    assertEquals(1, atTheLimit.size());
  }

  @Test
  void depthLimit() {
    // root 1, flags 2, f 3, variants 4
    assertEquals(List.of("flags.f.variants: nested deeper than the limit of 3 levels"),
        problems(limits(10_000, 3, 1000, 10, 10, 100), flagWith(ON_OFF)));
    // targeting: root 1, flags 2, f 3, targeting 4, if 5, args 6, == 7, args 8
    String deep = flag("f", "{'if': [{'==': [[1], 1]}, 'on', 'off']}");
    assertEquals(List.of("flags.f.targeting.if[0].==[0]: nested deeper than the limit of 7 levels"),
        problems(limits(10_000, 7, 1000, 10, 10, 100), deep));
  }

  @Test
  void depthLimitAfterRefExpansion() {
    // each evaluator is shallow, but inlined into one another they nest deeper than allowed
    String document = "{'flags': {'f': {" + ON_OFF + ", 'targeting': {'if': [{'$ref': 'a'}, 'on', 'off']}}},"
        + " '$evaluators': {'a': {'!': {'$ref': 'b'}}, 'b': {'!': {'$ref': 'c'}}, 'c': {'!': {'$ref': 'd'}},"
        + " 'd': {'!': {'var': 'x'}}}}";
    Rules.flagSet(document);
    List<String> found = problems(limits(10_000, 6, 1000, 10, 10, 100), document);
    assertTrue(!found.isEmpty() && found.stream().allMatch(p -> p.endsWith(
        "nested deeper than the limit of 6 levels (after $ref expansion)")), found::toString);
    assertTrue(found.contains("$evaluators.c.!: nested deeper than the limit of 6 levels (after $ref expansion)"), found::toString);
  }

  @Test
  void nodeLimit() {
    String document = flag("f", "{'if': [{'in': [{'var': 'id'}, ['a', 'b', 'c', 'd', 'e']]}, 'on', 'off']}");
    // root, flags, f, state, variants, on, off, defaultVariant, targeting, if, {in}, in, {var}, "id": 14;
    // the list is the 15th
    assertEquals(List.of("flags.f.targeting.if[0].in[1]: document has more than the limit of 14 JSON values"),
        problems(limits(10_000, 64, 14, 10, 10, 100), document));
  }

  @Test
  void nodeLimitAfterRefExpansion() {
    // 'big' is small in the document but used many times over
    StringBuilder uses = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      uses.append(i == 0 ? "" : ", ").append("{'$ref': 'big'}");
    }
    String document = "{'flags': {'f': {" + ON_OFF + ", 'targeting': {'if': [{'or': [" + uses + "]}, 'on', 'off']}}},"
        + " '$evaluators': {'big': {'in': [{'var': 'id'}, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']]}}}";
    // refused before anything is inlined, at the use of 'big' that crosses the limit (13 nodes each)
    assertEquals(
        List.of("flags.f.targeting.if[0].or[10].$ref: targeting has 426 nodes after $ref expansion, more than the limit of 150 nodes"),
        problems(limits(10_000, 64, 150, 10, 10, 100), document));
  }

  @Test
  void flagLimit() {
    String document = "{'flags': {'a': {" + ON_OFF + "}, 'b': {" + ON_OFF + "}, 'c': {" + ON_OFF + "}}}";
    assertEquals(
        List.of("flags: has 3 flags, more than the limit of 2"),
        problems(limits(10_000, 64, 1000, 2, 10, 100), document));
  }

  @Test
  void flagLimitOnAMergedDocument() {
    Map<String, FlagDefinition> flags = new LinkedHashMap<>();
    for (String key : List.of("a", "b", "c")) {
      flags.put(key, new FlagDefinition(key, FlagState.ENABLED, Map.of("on", true), "on", null, Map.of()));
    }
    FlagSetCompiler compiler = new FlagSetCompiler(limits(10_000, 64, 1000, 2, 10, 100));
    assertEquals(List.of(new Problem("flags", "the flag set would have 3 flags, more than the limit of 2")),
        compiler.validate(new FlagDocument(flags, Map.of(), Map.of())));
  }

  @Test
  void variantLimit() {
    assertEquals(List.of("flags.f.variants: has 3 variants, more than the limit of 2"),
        problems(limits(10_000, 64, 1000, 10, 2, 100),
            flagWith("'state': 'ENABLED', 'variants': {'a': 1, 'b': 2, 'c': 3}")));
  }

  @Test
  void keyLengthLimit() {
    assertEquals(
        List.of("flags.flag-six: flag key is 8 characters, more than the limit of 7",
            "flags.flag-six.variants.variant8: variant name is 8 characters, more than the limit of 7",
            "$evaluators.evaluato: evaluator name is 8 characters, more than the limit of 7"),
        problems(limits(10_000, 64, 1000, 10, 10, 7),
            "{'flags': {'flag-six': {'state': 'ENABLED', 'variants': {'variant8': 1, 'seven77': 2}}},"
                + " '$evaluators': {'evaluato': true, 'sevenev': false}}"));
  }

  @Test
  void keyLengthCountsCharactersNotUtf16Units() {
    String seven = "\uD83D\uDE80".repeat(7); // 7 characters, 14 UTF-16 units
    assertEquals(List.of("flags." + seven + "x: flag key is 8 characters, more than the limit of 7"),
        problems(limits(10_000, 64, 1000, 10, 10, 7),
            "{'flags': {'" + seven + "x': {'state': 'ENABLED', 'variants': {'" + seven + "': 1}, 'defaultVariant': '" + seven + "'}}}"));
  }

  @Test
  void namesHoldNoControlCharacters() {
    String rule = "; names may not hold control characters (U+0000 to U+001F, U+007F)";
    assertEquals(
        List.of("flags.a\\u0000b: flag key holds the control character U+0000 (character 2)" + rule,
            "flags.a\\u0000b.variants.o\\u001fn: variant name holds the control character U+001F (character 2)" + rule,
            "$evaluators.e\\u007f: evaluator name holds the control character U+007F (character 2)" + rule),
        problems("{'flags': {'a\\u0000b': {'state': 'ENABLED', 'variants': {'o\\u001fn': 1}}}, '$evaluators': {'e\\u007f': true}}"));
  }

  @Test
  void textThatIsNotUnicodeIsRefusedWithItsPath() {
    String lone = " holds a lone UTF-16 surrogate \\ud800 (character 4): half of a pair without its other half, which a \\u escape"
        + " can write but is no character; text must be valid Unicode";
    assertEquals(List.of("flags.ota\\ud800: not valid Unicode: the member name" + lone),
        problems("{'flags': {'ota\\ud800': {" + ON_OFF + "}}}"));
    assertEquals(
        List.of("flags.f.metadata.owner: not valid Unicode: the string" + lone,
            "flags.f.targeting.if[0].==[1]: not valid Unicode: the string" + lone.replace("character 4", "character 1")),
        problems("{'flags': {'f': {" + ON_OFF + ", 'metadata': {'owner': 'fw-\\ud800'},"
            + " 'targeting': {'if': [{'==': [{'var': 'model'}, '\\ud800x-1']}, 'on', 'off']}}}}"));
  }

  private static Limits limits(int bytes, int depth, int nodes, int flags, int variants, int keyLength) {
    return new Limits(bytes, depth, nodes, flags, variants, keyLength);
  }

  // ---- every problem at once --------------------------------------------------------------------

  @Test
  void aStrictDocumentWithSeveralProblemsListsThemAll() {
    String document = """
        {"flags": {
           "good": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"},
           "typo": {"state": "ENABLD", "variants": {"on": true, "off": false}, "defaultVariant": "of"},
           "mixed": {"state": "ENABLED", "variants": {"a": 1, "b": "2"}},
           "rules": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                     "targeting": {"if": [{"in": [{"var": "id"}, {"$ref": "fleet"}]}, "on", {"==": [1]}, "of", "off"]}},
           "split": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
                     "targeting": {"fractional": [["a", 0.5], ["c", 50]]}}},
         "$evaluators": {"fleet": {"sem_ver": [{"var": "fw"}, "~>", "1.0"]}},
         "metadata": {"owner": ["ops"]}}""";
    assertEquals(List.of(
            "flags.typo.state: must be \"ENABLED\" or \"DISABLED\", found \"ENABLD\"",
            "flags.typo.defaultVariant: variant \"of\" does not exist; the flag's variants are \"on\", \"off\"",
            "flags.mixed.variants.b: variants of mixed types: this one is a string but \"a\" is a number; all variants of a flag must have one type",
            "metadata.owner: metadata values must be strings, numbers or booleans, found an array",
            "$evaluators.fleet.sem_ver[1]: unknown sem_ver operator \"~>\"; use one of = != < <= > >= ^ ~",
            "flags.rules.targeting.if[2].==: wrong arity: \"==\" takes 2 arguments, found 1",
            "flags.rules.targeting.if[3]: variant \"of\" does not exist; the flag's variants are \"on\", \"off\"",
            "flags.split.targeting.fractional[0][1]: bad weight: a weight must be a whole number from 0 to 2147483647, found 0.5",
            "flags.split.targeting.fractional[1][0]: variant \"c\" does not exist; the flag's variants are \"a\", \"b\""),
        problems(document));
  }

  // ---- lenient: as flagd serves a document --------------------------------------------------------

  @Test
  void lenientServesWhatFlagdServesAndMarksWhatFlagdCannotParse() {
    FlagSet set = Rules.lenientFlagSet("""
        {"flags": {
           "good": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
           "broken": {"state": "ENABLD", "variants": {"on": true}, "defaultVariant": "on"},
           "unknown-op": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                          "targeting": {"if": [{"bogus": 1}, "on", "off"]}},
           "arity": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                     "targeting": {"if": [{"==": [1]}, "on", "off"]}},
           "missing-variant": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                     "targeting": {"if": [true, "gone", "off"]}}}}""");
    DeviceContext device = DeviceContext.of("d");
    assertEquals(Reason.STATIC, set.resolve("good", device).reason());
    Resolution broken = set.resolve("broken", device);
    assertEquals(ErrorCode.PARSE_ERROR, broken.errorCode());
    assertEquals("flags.broken.state: must be \"ENABLED\" or \"DISABLED\", found \"ENABLD\"", broken.errorMessage());
    Resolution unknown = set.resolve("unknown-op", device);
    assertEquals(ErrorCode.PARSE_ERROR, unknown.errorCode());
    assertEquals("flags.unknown-op.targeting.if[0].bogus: unknown operator \"bogus\"", unknown.errorMessage());
    Resolution arity = set.resolve("arity", device);
    assertNull(arity.errorCode());
    assertEquals("off", arity.variant()); // {"==": [1]} is 1 == null: false
    Resolution missing = set.resolve("missing-variant", device);
    assertEquals(Reason.ERROR, missing.reason());
    assertEquals(ErrorCode.GENERAL, missing.errorCode());
  }

  @Test
  void lenientStillRejectsWhatIsNoFlagDocument() {
    for (String text : List.of("[]", "{\"flags\": ", "\"x\"")) {
      assertThrows(InvalidDocumentException.class, () -> new FlagSetCompiler(Limits.DEFAULT)
          .compile(text.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.LENIENT), text);
    }
  }

  @Test
  void aValidDocumentHasNoProblems() {
    FlagSet set = Rules.flagSet("""
        {"$schema": "https://flagd.dev/schema/v0/flags.json",
         "flags": {
           "int-float": {"state": "DISABLED", "variants": {"a": 1, "b": 2.5}, "defaultVariant": null},
           "obj": {"state": "ENABLED", "variants": {"x": {"a": [1]}, "y": {}}, "defaultVariant": "y",
                   "targeting": {}, "metadata": {"owner": "ops", "tier": 2, "beta": true}}},
         "$evaluators": {"unused": {"var": "x"}},
         "metadata": {"version": "1"}}""");
    assertEquals(2, set.size());
    assertEquals(List.of(), new FlagSetCompiler(Limits.DEFAULT).validate(set.document()));
  }
}
