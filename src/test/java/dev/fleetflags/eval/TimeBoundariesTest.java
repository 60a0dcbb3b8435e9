package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The seconds at which a flag's value may change with time alone, found when it is compiled: every
 * comparison of {@code $flagd.timestamp} with a constant, in every operator and through {@code
 * $ref}; and, over random rules, a flag's value never changes from one second to the next except
 * at one of its boundaries.
 */
class TimeBoundariesTest {

  private static FlagSet set(String targeting) {
    return Rules.flagSet("{'flags': {'f': {'state': 'ENABLED', 'variants': {'a': 'a', 'b': 'b'}, 'defaultVariant': 'a',"
        + " 'targeting': " + targeting + "}, 'plain': {'state': 'ENABLED', 'variants': {'x': 1}, 'defaultVariant': 'x'}},"
        + " '$evaluators': {'launched': {'>=': [{'var': '$flagd.timestamp'}, 1767225600]}}}");
  }

  private static long[] boundaries(String targeting) {
    return set(targeting).flag("f").timeBoundaries();
  }

  @Test
  void everyComparisonOfTheTimestampWithAConstantGivesItsSeconds() {
    assertArrayEquals(new long[] {1767225600, 1767225601}, boundaries("{'if': [{'<': [{'var': '$flagd.timestamp'}, 1767225600]}, 'a', 'b']}"));
    assertArrayEquals(new long[] {1767225601}, boundaries("{'if': [{'>=': [{'var': '$flagd.timestamp'}, 1767225600.5]}, 'b', 'a']}"));
    assertArrayEquals(new long[] {100, 101, 200, 201}, boundaries("{'if': [{'<': [100, {'var': '$flagd.timestamp'}, 200]}, 'b', null]}"));
    assertArrayEquals(new long[] {5, 6}, boundaries("{'if': [{'==': [{'var': '$flagd.timestamp'}, '5']}, 'b', null]}"));
    assertArrayEquals(new long[] {7200, 7201}, boundaries("{'if': [{'>': [{'+': [3600, 3600]}, {'var': '$flagd.timestamp'}]}, 'b', null]}"),
        "a constant computed from literals counts");
    assertArrayEquals(new long[] {1767225600, 1767225601}, boundaries("{'if': [{'$ref': 'launched'}, 'b', 'a']}"), "through $ref");
    FlagSet set = set("{'if': [{'$ref': 'launched'}, 'b', 'a']}");
    assertTrue(set.flag("f").timeDependent());
    assertTrue(set.timeDependent());
    assertFalse(set.flag("plain").timeDependent());
    assertArrayEquals(new long[0], set.flag("plain").timeBoundaries());
  }

  @Test
  void theTimeReadOtherwiseHasNoBoundaries() {
    assertArrayEquals(new long[0], boundaries("{'if': [{'<': [{'var': '$flagd.timestamp'}, {'var': 'expiry'}]}, 'a', 'b']}"));
    assertArrayEquals(new long[0], boundaries("{'if': [{'<': [{'-': [{'var': '$flagd.timestamp'}, 60]}, 100]}, 'a', 'b']}"));
    assertArrayEquals(new long[0], boundaries("{'if': [{'<': [{'var': 'n'}, 5]}, 'a', 'b']}"));
  }

  @Test
  void theSetNamesTheNextBoundaryAndTheFlagsTurningByThen() {
    FlagSet set = Rules.flagSet("{'flags': {"
        + "'early': {'state': 'ENABLED', 'variants': {'a': 1, 'b': 2}, 'defaultVariant': 'a', 'targeting': {'if': [{'>=': [{'var': '$flagd.timestamp'}, 1000]}, 'b', null]}},"
        + "'late': {'state': 'ENABLED', 'variants': {'a': 1, 'b': 2}, 'defaultVariant': 'a', 'targeting': {'if': [{'>=': [{'var': '$flagd.timestamp'}, 2000]}, 'b', null]}},"
        + "'none': {'state': 'ENABLED', 'variants': {'a': 1}, 'defaultVariant': 'a'}}}");
    assertEquals(1000, set.nextTimeBoundary(0));
    assertEquals(1001, set.nextTimeBoundary(1000));
    assertEquals(2000, set.nextTimeBoundary(1001));
    assertEquals(-1, set.nextTimeBoundary(2001));
    assertEquals(List.of("early"), set.flagsTurningBetween(999, 1000));
    assertEquals(List.of("early", "late"), set.flagsTurningBetween(0, 5000));
    assertEquals(List.of(), set.flagsTurningBetween(1001, 1999));
  }

  /** Random rules over the time: between two boundaries, every second gives the same variant. */
  @Test
  void aFlagsValueChangesOnlyAtItsBoundaries() {
    Random random = new Random(3);
    String[] ops = {"<", "<=", ">", ">=", "==", "!=", "===", "!=="};
    for (int rule = 0; rule < 200; rule++) {
      String a = ops[random.nextInt(ops.length)];
      String b = ops[random.nextInt(ops.length)];
      long c1 = 1000 + random.nextInt(40);
      double c2 = 1000 + random.nextInt(400) / 10.0;
      String targeting = "{'if': [{'" + a + "': [{'var': '$flagd.timestamp'}, " + c1 + "]}, 'b', {'" + b + "': [" + c2
          + ", {'var': '$flagd.timestamp'}]}, 'a', null]}";
      FlagSet set = set(targeting);
      long[] boundaries = set.flag("f").timeBoundaries();
      int index = set.indexOf("f");
      DeviceContext device = DeviceContext.of("dev-1");
      for (long t = 990; t < 1050; t++) {
        int before = set.variantIndex(index, device, t - 1);
        int now = set.variantIndex(index, device, t);
        if (before != now) {
          long second = t;
          assertTrue(Arrays.binarySearch(boundaries, second) >= 0,
              () -> targeting + " turns at " + second + ", not among its boundaries " + Arrays.toString(boundaries));
        }
      }
    }
  }
}
