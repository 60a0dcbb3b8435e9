package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code in} over a literal list of 100,000 device ids compiles to a hash lookup, so each
 * evaluation costs O(1) whatever the list's length, and answers exactly as the list search would.
 */
class LargeInListTest {

  private static final int IDS = 100_000;

  private static List<Object> ids() {
    List<Object> ids = new ArrayList<>(IDS);
    for (int i = 0; i < IDS; i++) {
      ids.add("dev-" + i);
    }
    return ids;
  }

  @Test
  void aLiteralListCompilesToTheHashSetNode() {
    Expr in = Rules.compile(Map.of("in", List.of(Map.of("var", "targetingKey"), ids())));
    assertInstanceOf(Text.InSet.class, in);
    assertTrue(in.test(new Scope(DeviceContext.of("dev-0"), 0)));
    assertTrue(in.test(new Scope(DeviceContext.of("dev-99999"), 0)));
    assertFalse(in.test(new Scope(DeviceContext.of("dev-100000"), 0)));
  }

  @Test
  void aFlagTargetingAHundredThousandDevicesAnswersForEachOfThemAndNoOther() {
    StringBuilder doc = new StringBuilder("{\"flags\": {\"pilot\": {\"state\": \"ENABLED\","
        + " \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"off\","
        + " \"targeting\": {\"if\": [{\"$ref\": \"pilot-fleet\"}, \"on\", \"off\"]}}},"
        + " \"$evaluators\": {\"pilot-fleet\": {\"in\": [{\"var\": \"targetingKey\"}, [");
    for (int i = 0; i < IDS; i++) {
      doc.append(i == 0 ? "" : ",").append("\"dev-").append(i).append('"');
    }
    doc.append("]]}}}");
    FlagSet set;
    try {
      set = new FlagSetCompiler(Limits.DEFAULT)
          .compile(doc.toString().getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    } catch (dev.fleetflags.rules.InvalidDocumentException e) {
      throw new AssertionError(e.problems().toString(), e);
    }
    int pilot = set.indexOf("pilot");
    int on = 0;
    for (int i = 0; i < IDS; i++) {
      on += set.variantIndex(pilot, DeviceContext.of("dev-" + i), 0) == 0 ? 1 : 0;
    }
    assertEquals(IDS, on);
    for (String other : List.of("dev-100000", "dev--1", "DEV-1", "dev-01", "dev-1 ", "", "dev-")) {
      assertEquals("off", set.resolve("pilot", DeviceContext.of(other)).variant(), other);
    }
    assertEquals("off", set.resolve("pilot", new DeviceContext(null, Map.of())).variant());
  }

  @Test
  void membershipInTheSetIsStrictEqualityAsInTheListSearch() {
    // the hash set must agree with a === search over the list for every kind of needle
    List<Object> literal = new ArrayList<>(ids());
    literal.addAll(List.of(1L, 2.5, true, "", List.of("x"), Map.of()));
    literal.add(null);
    Expr set = Rules.compile(Map.of("in", List.of(Map.of("var", "n"), literal)));
    Expr search = Rules.compile(Map.of("in", List.of(Map.of("var", "n"), Map.of("var", "list"))));
    assertInstanceOf(Text.InSet.class, set);
    assertInstanceOf(Text.In.class, search);
    List<Object> needles = new ArrayList<>(List.of(
        "dev-5", "dev-5.0", 1L, 1.0, "1", 2.5, "2.5", true, "true", false, 0L, -0.0, "", List.of("x"), Map.of(),
        "null"));
    needles.add(null);
    for (Object needle : needles) {
      java.util.HashMap<String, Object> attributes = new java.util.HashMap<>();
      attributes.put("n", needle);
      attributes.put("list", literal);
      Scope scope = new Scope(new DeviceContext("d", attributes), 0);
      assertEquals(search.test(scope), set.test(scope), () -> "needle " + needle);
    }
  }
}
