package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.rules.FlagType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a targeting result becomes: the variant, reason and error of each flag for a device. */
class FlagSetTest {

  private static final FlagSet SET = Rules.flagSet("""
      {"flags": {
         "static": {"state": "ENABLED", "variants": {"a": "A", "b": "B"}, "defaultVariant": "b"},
         "no-default": {"state": "ENABLED", "variants": {"a": "A"}},
         "no-default-targeted": {"state": "ENABLED", "variants": {"a": "A"},
                 "targeting": {"if": [{"var": "pick"}, "a"]}},
         "matched": {"state": "ENABLED", "variants": {"a": "A", "b": "B"}, "defaultVariant": "b",
                 "targeting": {"if": [{"==": [{"var": "model"}, "th-100"]}, "a"]}},
         "computed": {"state": "ENABLED", "variants": {"a": "A", "b": "B"}, "defaultVariant": "b",
                 "targeting": {"var": "choice"}},
         "by-boolean": {"state": "ENABLED", "variants": {"true": 1, "false": 0}, "defaultVariant": "false",
                 "targeting": {"==": [{"var": "model"}, "th-100"]}},
         "by-number": {"state": "ENABLED", "variants": {"1": 1.5, "2": 2.5}, "defaultVariant": "1",
                 "targeting": {"+": [{"var": "level"}, 1]}},
         "disabled": {"state": "DISABLED", "variants": {"a": true}, "defaultVariant": "a"},
         "object": {"state": "ENABLED", "variants": {"x": {"k": [1, 2]}}, "defaultVariant": "x",
                 "metadata": {"owner": "fleet", "tier": 2}},
         "clock": {"state": "ENABLED", "variants": {"old": false, "new": true}, "defaultVariant": "old",
                 "targeting": {"if": [{">=": [{"var": "$flagd.timestamp"}, 1800000000]}, "new", "old"]}}},
       "metadata": {"owner": "platform", "version": "7"}}""");

  private static final DeviceContext TH100 = new DeviceContext("dev-1", Map.of("model", "th-100", "level", 1));
  private static final DeviceContext OTHER = new DeviceContext("dev-2", Map.of("model", "gw-10"));

  private static Resolution resolve(String key, DeviceContext device) {
    return SET.resolve(key, SET.flag(key).type(), "fallback", device, 0);
  }

  @Test
  void withoutTargetingTheDefaultVariantIsStatic() {
    Resolution r = resolve("static", OTHER);
    assertEquals(Reason.STATIC, r.reason());
    assertEquals("b", r.variant());
    assertEquals("B", r.value());
    assertNull(r.errorCode());
  }

  @Test
  void withoutADefaultVariantTheCallersDefaultApplies() {
    for (String key : List.of("no-default", "no-default-targeted")) {
      Resolution r = resolve(key, OTHER);
      assertEquals(Reason.DEFAULT, r.reason(), key);
      assertNull(r.variant(), key);
      assertEquals("fallback", r.value(), key);
      assertNull(r.errorCode(), key);
    }
    Evaluation e = SET.evaluate(OTHER, 0);
    assertFalse(e.hasValue(SET.indexOf("no-default")));
    assertTrue(e.hasValue(SET.indexOf("static")));
  }

  @Test
  void targetingThatNamesAVariantIsAMatchAndOneThatGivesNothingIsTheDefault() {
    assertEquals(new Resolution("A", "a", Reason.TARGETING_MATCH, null, null, Map.of("owner", "platform", "version", "7")),
        resolve("matched", TH100));
    Resolution r = resolve("matched", OTHER);
    assertEquals(Reason.DEFAULT, r.reason());
    assertEquals("b", r.variant());
  }

  @Test
  void booleansAndNumbersNameVariantsByTheirText() {
    assertEquals("true", resolve("by-boolean", TH100).variant());
    assertEquals("false", resolve("by-boolean", OTHER).variant());
    // 1 + 1 is the double 2.0, whose text is "2"
    assertEquals("2", resolve("by-number", TH100).variant());
    assertEquals(2.5, resolve("by-number", TH100).value());
  }

  @Test
  void aComputedResultThatIsNoVariantIsAnError() {
    for (Object choice : List.of("c", List.of("a"), Map.of("a", 1), 1.5)) {
      Resolution r = resolve("computed", new DeviceContext("d", Map.of("choice", choice)));
      assertEquals(Reason.ERROR, r.reason(), choice::toString);
      assertEquals(ErrorCode.GENERAL, r.errorCode());
      assertEquals("fallback", r.value());
      assertEquals("targeting of flag \"computed\" did not give one of its variants", r.errorMessage());
    }
    assertEquals("a", resolve("computed", new DeviceContext("d", Map.of("choice", "a"))).variant());
  }

  @Test
  void aDisabledFlagGivesTheCallersDefault() {
    Resolution r = resolve("disabled", TH100);
    assertEquals(Reason.DISABLED, r.reason());
    assertEquals("fallback", r.value());
    assertNull(r.variant());
    assertNull(r.errorCode());
  }

  @Test
  void typedResolution() {
    Resolution missing = SET.resolve("nope", FlagType.BOOLEAN, false, TH100, 0);
    assertEquals(ErrorCode.FLAG_NOT_FOUND, missing.errorCode());
    assertEquals(false, missing.value());
    Resolution mismatch = SET.resolve("static", FlagType.BOOLEAN, false, TH100, 0);
    assertEquals(ErrorCode.TYPE_MISMATCH, mismatch.errorCode());
    assertEquals("flag \"static\" is string, not boolean", mismatch.errorMessage());
    // a FLOAT request accepts an INTEGER flag, and gets a double
    Resolution widened = SET.resolve("by-boolean", FlagType.FLOAT, 0.0, TH100, 0);
    assertEquals(1.0, widened.value());
    assertEquals(ErrorCode.TYPE_MISMATCH, SET.resolve("by-number", FlagType.INTEGER, 0L, TH100, 0).errorCode());
    assertEquals(Map.of("k", List.of(1L, 2L)), SET.resolve("object", FlagType.OBJECT, null, TH100, 0).value());
  }

  @Test
  void metadataIsTheFlagsOverTheDocuments() {
    assertEquals(Map.of("owner", "fleet", "tier", 2L, "version", "7"), resolve("object", TH100).metadata());
  }

  @Test
  void timeDependentFlagsAreKnownAndFollowTheTimestamp() {
    assertTrue(SET.flag("clock").timeDependent());
    assertFalse(SET.flag("matched").timeDependent());
    assertEquals("old", SET.resolve("clock", FlagType.BOOLEAN, null, TH100, 1_799_999_999L).variant());
    assertEquals("new", SET.resolve("clock", FlagType.BOOLEAN, null, TH100, 1_800_000_000L).variant());
    FlagSet whole = Rules.flagSet("""
        {"flags": {"w": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a",
                         "targeting": {"if": [{"var": ""}, "a"]}},
                   "d": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a",
                         "targeting": {"if": [{"var": {"var": "path"}}, "a"]}}}}""");
    assertTrue(whole.flag("w").timeDependent(), "reads the whole context, $flagd.timestamp included");
    assertTrue(whole.flag("d").timeDependent(), "reads a path known only when evaluated");
  }

  @Test
  void theWholeSetEvaluatesInKeyOrder() {
    Evaluation e = SET.evaluate(TH100, 0);
    assertEquals(SET.size(), e.size());
    for (int i = 1; i < e.size(); i++) {
      assertTrue(e.flag(i - 1).key().compareTo(e.flag(i).key()) < 0);
    }
    for (int i = 0; i < e.size(); i++) {
      Resolution fromSet = e.resolution(i, "fallback");
      Resolution single = SET.resolve(e.flag(i).key(), e.flag(i).type(), "fallback", TH100, 0);
      assertEquals(single, fromSet, e.flag(i).key());
    }
  }
}
