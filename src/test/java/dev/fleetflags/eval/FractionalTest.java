package dev.fleetflags.eval;

import static dev.fleetflags.eval.Rules.flagSet;
import static dev.fleetflags.eval.Rules.lenientFlagSet;
import static dev.fleetflags.eval.Rules.stringFlag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * flagd's {@code fractional}, v2 bucketing: {@code (unsigned murmur3_32(bucketBy) * totalWeight)
 * >> 32} against cumulative weights; bucketBy defaults to flag key + targeting key.
 */
class FractionalTest {

  private static Resolution resolve(FlagSet set, String key, DeviceContext device) {
    return set.resolve(key, dev.fleetflags.rules.FlagType.STRING, "caller-default", device, 0);
  }

  private static DeviceContext device(String targetingKey) {
    return DeviceContext.of(targetingKey);
  }

  private static DeviceContext user(String name) {
    return new DeviceContext(null, Map.of("user", Map.of("name", name)));
  }

  // ---- the hash -------------------------------------------------------------------------------

  @ParameterizedTest(name = "murmur3_32({0}) = {1}")
  @CsvSource({
      "'', 00000000",
      "hello, 248bfa47",
      "The quick brown fox jumps over the lazy dog, 2e4ff723",
      // from an independent JavaScript implementation over Buffer.from(s, "utf8")
      "héllo wörld €, 1b76f25c",
      "\uD83D\uDE00x, 721ce13e",
  })
  void murmur3MatchesKnownVectors(String input, String hex) {
    int expected = Integer.parseUnsignedInt(hex, 16);
    assertEquals(expected, Murmur3.hashUtf8(input));
    assertEquals(expected, Murmur3.hash(input.getBytes(StandardCharsets.UTF_8)));
    assertEquals(expected, Murmur3.hashUtf8NoAlloc(Murmur3.EMPTY, input));
  }

  @Test
  void hashingAPrefixThenTheRestIsHashingTheWhole() {
    Random random = new Random(1);
    char[] alphabet = "ab-_.@0é€\uD83D\uDE00\uD800\uDC00".toCharArray(); // includes lone surrogates
    for (int i = 0; i < 2_000; i++) {
      String prefix = randomString(random, alphabet);
      String rest = randomString(random, alphabet);
      if (!prefix.isEmpty() && !rest.isEmpty()
          && Character.isHighSurrogate(prefix.charAt(prefix.length() - 1))
          && Character.isLowSurrogate(rest.charAt(0))) {
        continue; // a pair split between the two halves encodes differently from the whole
      }
      int whole = Murmur3.hash((prefix + rest).getBytes(StandardCharsets.UTF_8));
      Murmur3.State state = Murmur3.absorb(Murmur3.EMPTY, prefix);
      assertEquals(whole, Murmur3.hashUtf8NoAlloc(state, rest), () -> prefix + " + " + rest);
      assertEquals(whole, Murmur3.hashUtf8(state, rest));
    }
  }

  private static String randomString(Random random, char[] alphabet) {
    StringBuilder sb = new StringBuilder();
    for (int n = random.nextInt(12); n > 0; n--) {
      sb.append(alphabet[random.nextInt(alphabet.length)]);
    }
    return sb.toString();
  }

  // ---- flagd's own vectors (open-feature/flagd-testbed, evaluator/gherkin/fractional.feature, v2) ----

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"jack, hearts", "queen, spades", "ten, clubs", "nine, diamonds", "3, clubs"})
  void bucketByAnExpression(String name, String suit) {
    FlagSet set = flagSet(stringFlag("fractional-flag",
        "{'fractional': [{'cat': [{'var': '$flagd.flagKey'}, {'var': 'user.name'}]},"
            + " ['clubs', 25], ['diamonds', 25], ['hearts', 25], ['spades', 25]]}",
        "clubs", "clubs", "diamonds", "hearts", "spades"));
    assertEquals(suit, resolve(set, "fractional-flag", user(name)).value());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"seven, hearts", "eight, diamonds", "nine, clubs", "two, spades"})
  void aSharedSeedBucketsAlikeAcrossFlags(String name, String suit) {
    String rule = "{'fractional': [{'cat': ['shared-seed', {'var': 'user.name'}]},"
        + " ['clubs', 25], ['diamonds', 25], ['hearts', 25], ['spades', 25]]}";
    for (String key : new String[] {"fractional-flag-A-shared-seed", "fractional-flag-B-shared-seed"}) {
      FlagSet set = flagSet(stringFlag(key, rule, "clubs", "clubs", "diamonds", "hearts", "spades"));
      assertEquals(suit, resolve(set, key, user(name)).value());
    }
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"jon@company.com, heads", "jane@company.com, tails"})
  void shorthandBucketsByFlagKeyAndTargetingKeyWithWeightOne(String targetingKey, String side) {
    FlagSet set = flagSet(stringFlag("fractional-flag-shorthand",
        "{'fractional': [['heads'], ['tails', 1]]}", "heads", "heads", "tails"));
    assertEquals(side, resolve(set, "fractional-flag-shorthand", device(targetingKey)).value());
  }

  /** Keys whose hashes fall on the boundaries of a 50/50 split. */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"ejOoVL, lower", "bY9fO-, lower", "SI7p-, lower", "6LvT0, upper", "ceQdGm, upper"})
  void hashEdgeCases(String targetingKey, String half) {
    FlagSet set = flagSet(stringFlag("fractional-hash-edge-flag",
        "{'fractional': [{'var': 'targetingKey'}, ['lower', 50], ['upper', 50]]}", "lower", "lower", "upper"));
    assertEquals(half, resolve(set, "fractional-hash-edge-flag", device(targetingKey)).value());
  }

  // ---- the formula --------------------------------------------------------------------------------

  @Test
  void bucketIsTheHashScaledToTheTotalWeight() {
    FlagSet set = flagSet(stringFlag("split",
        "{'fractional': [['a', 3], ['b', 0], ['c', 5], ['d', 1]]}", "a", "a", "b", "c", "d"));
    String[] byPoint = {"a", "a", "a", "c", "c", "c", "c", "c", "d"};
    for (int i = 0; i < 2_000; i++) {
      String key = "dev-" + i;
      long hash = Integer.toUnsignedLong(Murmur3.hash(("split" + key).getBytes(StandardCharsets.UTF_8)));
      int point = (int) ((hash * 9) >>> 32);
      assertEquals(byPoint[point], resolve(set, "split", device(key)).value(), key);
    }
  }

  @Test
  void aRolloutStepOnlyMovesDevicesIntoTheGrowingBucketAndAboutAsManyAsTheStep() {
    int onAt10 = 0;
    int onAt20 = 0;
    FlagSet at10 = flagSet(stringFlag("rollout", "{'fractional': [['on', 10], ['off', 90]]}", "off", "on", "off"));
    FlagSet at20 = flagSet(stringFlag("rollout", "{'fractional': [['on', 20], ['off', 80]]}", "off", "on", "off"));
    for (int i = 0; i < 10_000; i++) {
      DeviceContext d = device("dev-" + i);
      boolean before = "on".equals(resolve(at10, "rollout", d).value());
      boolean after = "on".equals(resolve(at20, "rollout", d).value());
      assertTrue(!before || after, "dev-" + i + " left the rollout when it grew");
      onAt10 += before ? 1 : 0;
      onAt20 += after ? 1 : 0;
    }
    // murmur3 spreads keys evenly: 1,000 and 2,000 expected, a wide margin for a fixed key set
    assertTrue(onAt10 > 850 && onAt10 < 1_150, "on at 10%: " + onAt10);
    assertTrue(onAt20 > 1_800 && onAt20 < 2_200, "on at 20%: " + onAt20);
  }

  @Test
  void theSameDeviceAlwaysGetsTheSameBucket() {
    FlagSet set = flagSet(stringFlag("sticky", "{'fractional': [['a', 1], ['b', 1], ['c', 1]]}", "a", "a", "b", "c"));
    for (int i = 0; i < 100; i++) {
      Object first = resolve(set, "sticky", device("dev-" + i)).value();
      for (int again = 0; again < 3; again++) {
        assertEquals(first, resolve(set, "sticky", device("dev-" + i)).value());
      }
    }
  }

  @Test
  void theDefaultBucketByIncludesTheFlagKeySoFlagsSplitIndependently() {
    FlagSet set = flagSet("""
        {"flags": {
          "x": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
                "targeting": {"fractional": [["a", 50], ["b", 50]]}},
          "y": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
                "targeting": {"fractional": [["a", 50], ["b", 50]]}}}}""");
    int same = 0;
    for (int i = 0; i < 2_000; i++) {
      DeviceContext d = device("dev-" + i);
      same += resolve(set, "x", d).value().equals(resolve(set, "y", d).value()) ? 1 : 0;
    }
    assertTrue(same > 850 && same < 1_150, "agreeing devices: " + same);
  }

  // ---- edges ----------------------------------------------------------------------------------------

  @Test
  void withoutTargetingKeyOrBucketByThereIsNoBucket() {
    FlagSet set = flagSet(stringFlag("f", "{'fractional': [['a', 50], ['b', 50]]}", "b", "a", "b"));
    Resolution r = resolve(set, "f", new DeviceContext(null, Map.of()));
    assertEquals(Reason.DEFAULT, r.reason());
    assertEquals("b", r.value());
  }

  @Test
  void aBucketByThatGivesNullFallsBackToFlagKeyAndTargetingKey() {
    FlagSet withMissing = flagSet(stringFlag("f",
        "{'fractional': [{'var': 'missing_key'}, ['a', 50], ['b', 50]]}", "a", "a", "b"));
    FlagSet shorthand = flagSet(stringFlag("f", "{'fractional': [['a', 50], ['b', 50]]}", "a", "a", "b"));
    for (int i = 0; i < 200; i++) {
      DeviceContext d = device("dev-" + i);
      assertEquals(resolve(shorthand, "f", d).value(), resolve(withMissing, "f", d).value());
    }
    assertEquals(Reason.DEFAULT, resolve(withMissing, "f", new DeviceContext(null, Map.of())).reason());
  }

  @Test
  void aBucketByThatIsNotAStringGivesNoBucket() {
    FlagSet set = flagSet(stringFlag("f", "{'fractional': [{'var': 'n'}, ['a', 50], ['b', 50]]}", "b", "a", "b"));
    Resolution r = resolve(set, "f", new DeviceContext("dev-1", Map.of("n", 42)));
    assertEquals(Reason.DEFAULT, r.reason());
    assertEquals("b", r.value());
  }

  @Test
  void aSingleBucketAlwaysWins() {
    FlagSet set = flagSet(stringFlag("f", "{'fractional': [['single', 1]]}", "other", "single", "other"));
    for (int i = 0; i < 100; i++) {
      assertEquals("single", resolve(set, "f", device("k" + i)).value());
    }
  }

  @ParameterizedTest(name = "{0} tier={1} -> {2}")
  @CsvSource({
      "jon@company.com, premium, premium", "jon@company.com, basic, standard",
      "user1, premium, standard", "user1, basic, standard"})
  void variantsMayBeComputed(String targetingKey, String tier, String expected) {
    FlagSet set = flagSet(stringFlag("fractional-nested-if-flag",
        "{'fractional': [{'var': 'targetingKey'},"
            + " [{'if': [{'==': [{'var': 'tier'}, 'premium']}, 'premium', 'standard']}, 50], ['standard', 50]]}",
        "fallback", "premium", "standard", "fallback"));
    assertEquals(expected, resolve(set, "fractional-nested-if-flag",
        new DeviceContext(targetingKey, Map.of("tier", tier))).value());
  }

  @Test
  void aComputedVariantThatIsNoVariantIsAnError() {
    FlagSet set = flagSet(stringFlag("fractional-nested-var-flag",
        "{'fractional': [{'var': 'targetingKey'}, [{'var': 'color'}, 50], ['blue', 50]]}",
        "fallback", "red", "green", "blue", "fallback"));
    DeviceContext jon = new DeviceContext("jon@company.com", Map.of("color", "red"));
    assertEquals("red", resolve(set, "fractional-nested-var-flag", jon).value());
    Resolution yellow = resolve(set, "fractional-nested-var-flag",
        new DeviceContext("jon@company.com", Map.of("color", "yellow")));
    assertEquals(Reason.ERROR, yellow.reason());
    assertEquals(ErrorCode.GENERAL, yellow.errorCode());
    assertEquals("caller-default", yellow.value());
  }

  @ParameterizedTest(name = "{0} tier={1} -> {2}")
  @CsvSource({
      "jon@company.com, premium, red", "jon@company.com, basic, blue",
      "user1, premium, red", "user1, basic, blue"})
  void weightsMayBeComputed(String targetingKey, String tier, String expected) {
    FlagSet set = flagSet(stringFlag("fractional-nested-weight-flag",
        "{'fractional': [{'var': 'targetingKey'},"
            + " ['red', {'if': [{'==': [{'var': 'tier'}, 'premium']}, 100, 0]}], ['blue', 10]]}",
        "fallback", "red", "blue", "fallback"));
    assertEquals(expected, resolve(set, "fractional-nested-weight-flag",
        new DeviceContext(targetingKey, Map.of("tier", tier))).value());
  }

  @Test
  void aNegativeWeightCountsAsZero() {
    // strict validation refuses a literal negative weight; flagd serves it as 0
    FlagSet literal = lenientFlagSet(stringFlag("f",
        "{'fractional': [{'var': 'targetingKey'}, ['one', -50], ['two', 100]]}", "fallback", "one", "two", "fallback"));
    FlagSet computed = flagSet(stringFlag("f",
        "{'fractional': [{'var': 'targetingKey'}, ['one', {'var': 'w'}], ['two', 100]]}", "fallback", "one", "two", "fallback"));
    for (int i = 0; i < 200; i++) {
      assertEquals("two", resolve(literal, "f", device("k" + i)).value());
      assertEquals("two", resolve(computed, "f", new DeviceContext("k" + i, Map.of("w", -50))).value());
    }
  }

  @Test
  void weightsThatAddUpToZeroGiveNoBucket() {
    FlagSet literal = lenientFlagSet(stringFlag("f",
        "{'fractional': [{'var': 'targetingKey'}, ['one', 0], ['two', 0]]}", "fallback", "one", "two", "fallback"));
    FlagSet computed = flagSet(stringFlag("f",
        "{'fractional': [['one', {'var': 'w'}], ['two', {'var': 'w'}]]}", "fallback", "one", "two", "fallback"));
    Resolution r = resolve(literal, "f", device("any-user"));
    assertEquals("fallback", r.value());
    assertEquals(Reason.DEFAULT, r.reason());
    assertEquals(Reason.DEFAULT, resolve(computed, "f", new DeviceContext("u", Map.of("w", 0))).reason());
    assertEquals(Reason.TARGETING_MATCH, resolve(computed, "f", new DeviceContext("u", Map.of("w", 3))).reason());
  }

  @Test
  void computedWeightsMustBeWholeNumbersAndAddUpToAtMost2147483647() {
    FlagSet set = flagSet(stringFlag("f",
        "{'fractional': [['one', {'var': 'w'}], ['two', 1]]}", "fallback", "one", "two", "fallback"));
    assertEquals(Reason.DEFAULT, resolve(set, "f", new DeviceContext("u", Map.of("w", 1.5))).reason());
    assertEquals(Reason.DEFAULT, resolve(set, "f", new DeviceContext("u", Map.of("w", "10"))).reason());
    assertEquals(Reason.DEFAULT, resolve(set, "f", new DeviceContext("u", Map.of("w", 2147483647L))).reason());
    assertEquals(Reason.TARGETING_MATCH, resolve(set, "f", new DeviceContext("u", Map.of("w", 2147483646L))).reason());
    assertEquals(Reason.TARGETING_MATCH, resolve(set, "f", new DeviceContext("u", Map.of("w", 2.0))).reason());
  }

  @Test
  void fractionalMayBeACondition() {
    FlagSet set = flagSet("""
        {"flags": {
          "big": {"state": "ENABLED", "variants": {"hundreds": 100, "ones": 1}, "defaultVariant": "ones",
                  "targeting": {"if": [{"fractional": [[false, 0], [true, 100]]}, "hundreds", "ones"]}},
          "small": {"state": "ENABLED", "variants": {"hundreds": 100, "ones": 1}, "defaultVariant": "hundreds",
                  "targeting": {"if": [{"fractional": [[false, 100], [true, 0]]}, "hundreds", "ones"]}}}}""");
    assertEquals("hundreds", set.resolve("big", device("some-targeting-key")).variant());
    assertEquals("ones", set.resolve("small", device("some-targeting-key")).variant());
  }

  @Test
  void variantsMayBeBooleansOrNumbersNamingVariants() {
    FlagSet set = flagSet("""
        {"flags": {"f": {"state": "ENABLED", "variants": {"true": "yes", "1": "one"}, "defaultVariant": "1",
                         "targeting": {"fractional": [[true, 1], [1, 0]]}}}}""");
    assertEquals("true", set.resolve("f", device("d")).variant());
    assertNull(Rules.eval("{'fractional': [['a', 1]]}", new DeviceContext(null, Map.of()), 0));
  }
}
