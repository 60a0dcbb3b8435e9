package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** flagd's {@code sem_ver}: reading versions, precedence, and each operator. */
class SemVerTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "1.2.3", "0.0.0", "v1.2.3", "V1.2.3", "1.2", "v1", "1", "10.20.30", "1.2.3-rc.1", "1.2.3-0",
      "1.2.3-alpha-1", "1.2.3+build.5", "1.2.3-rc.1+build.5", "1.2.3+001", "1.2.3-x.7.z.92",
      "999999999999999999.0.0"})
  void reads(String version) {
    assertNotNull(SemVer.parse(version), version);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "v", "x", "1.", "1.2.", "1.2.3.", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "1.2.x",
      "1.2-rc.1", "1-rc.1", "1.2+b", "1.2.3-", "1.2.3+", "1.2.3-rc..1", "1.2.3-01", "1.2.3-rc_1",
      "1.2.3 ", " 1.2.3", "v 1.2.3", "vv1.2.3", "-1.2.3", "1.2.3-rc.1+", "1.2.3+b+c",
      "1000000000000000000.0.0"})
  void refuses(String version) {
    assertNull(SemVer.parse(version), version);
  }

  /** Precedence from semver.org, item 11, in ascending order. */
  private static final String[] ASCENDING = {
      "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
      "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0-0", "2.0.0"};

  @Test
  void precedenceFollowsSemverOrg() {
    for (int i = 0; i < ASCENDING.length; i++) {
      for (int j = 0; j < ASCENDING.length; j++) {
        SemVer a = SemVer.parse(ASCENDING[i]);
        SemVer b = SemVer.parse(ASCENDING[j]);
        int expected = Integer.compare(i, j);
        assertEquals(expected, Integer.signum(a.compareTo(b)), ASCENDING[i] + " vs " + ASCENDING[j]);
      }
    }
  }

  @ParameterizedTest(name = "{0} {1} {2} is {3}")
  @CsvSource({
      "1.2.3, =, 1.2.3, true",
      "1.2.3, =, v1.2.3, true",
      "v1.2.3, =, V1.2.3, true",
      "1.2, =, 1.2.0, true",
      "1, =, 1.0.0, true",
      "1.2.3+build.1, =, 1.2.3+build.2, true", // build metadata is ignored
      "1.2.3+build.1, =, 1.2.3, true",
      "1.2.3-rc.1, =, 1.2.3, false",
      "1.2.3, !=, 1.2.4, true",
      "1.2.3, !=, 1.2.3+b, false",
      "1.2.3, <, 1.2.4, true",
      "1.2.3, <, 1.10.0, true", // numerically, not as text
      "1.2.3-rc.1, <, 1.2.3, true",
      "1.2.3, <, 1.2.3, false",
      "1.2.3, <=, 1.2.3, true",
      "1.2.4, <=, 1.2.3, false",
      "2.0.0, >, 1.99.99, true",
      "2.0.0-alpha, >, 1.99.99, true",
      "1.2.3, >, 1.2.3-rc.9, true",
      "1.2.3, >=, 1.2.3, true",
      "1.2.2, >=, 1.2.3, false",
      // ^: same major; ~: same major and minor (flagd's reading, either way round)
      "1.9.0, ^, 1.2.3, true",
      "1.0.0, ^, 1.2.3, true",
      "2.0.0, ^, 1.2.3, false",
      "0.9.0, ^, 0.1.0, true",
      "1.2.9, ~, 1.2.3, true",
      "1.2.0, ~, 1.2.3, true",
      "1.3.0, ~, 1.2.3, false",
      "2.2.3, ~, 1.2.3, false",
  })
  void operators(String version, String op, String target, boolean expected) {
    String rule = "{'sem_ver': ['" + version + "', '" + op + "', '" + target + "']}";
    assertEquals(expected, Rules.eval(rule));
    assertEquals(expected, Rules.eval("{'sem_ver': [{'var': 'v'}, '" + op + "', '" + target + "']}", Map.of("v", version)));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{'sem_ver': [2, '=', '2.0.0']} | true", // numbers are read as their text
      "{'sem_ver': [1.5, '=', '1.5.0']} | true",
      "{'sem_ver': ['1.5.0', '=', 1.5]} | true",
      "{'sem_ver': [{'var': 'fw'}, '>=', '2.4.0']} | true",
      "{'sem_ver': [{'var': 'old'}, '>=', '2.4.0']} | false",
  })
  void versionsFromData(String rule, boolean expected) {
    assertEquals(expected, Rules.eval(rule, Map.of("fw", "v2.10.0", "old", "2.3.99")));
  }

  @ParameterizedTest(name = "{0} gives no result")
  @ValueSource(strings = {
      "{'sem_ver': [{'var': 'nowhere'}, '=', '1.0.0']}",
      "{'sem_ver': [{'var': 'flag'}, '=', '1.0.0']}",
      "{'sem_ver': [{'var': 'list'}, '=', '1.0.0']}",
      "{'sem_ver': [{'var': 'bad'}, '=', '1.0.0']}",
      "{'sem_ver': ['1.0.0', {'var': 'op'}, '1.0.0']}",
      "{'sem_ver': ['1.0.0', '=', {'var': 'bad'}]}",
  })
  void unreadableInputsGiveNull(String rule) {
    assertNull(Rules.eval(rule, Map.of("flag", true, "list", java.util.List.of("1.0.0"), "bad", "1.x", "op", "=>")));
  }

  @Test
  void aFlagTargetsAFirmwareRange() {
    FlagSet set = Rules.flagSet("""
        {"flags": {"ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
          "targeting": {"if": [{"and": [{"sem_ver": [{"var": "firmware"}, ">=", "2.4.0"]},
                                        {"sem_ver": [{"var": "firmware"}, "<", "3.0.0-0"]}]}, "on", "off"]}}}}""");
    String[][] cases = {
        {"2.4.0", "on"}, {"v2.4.1", "on"}, {"2.10.0", "on"}, {"2.4.0-rc.1", "off"}, {"3.0.0-beta", "off"},
        {"2.3.99", "off"}, {"3.0.0", "off"}, {"garbage", "off"}};
    for (String[] c : cases) {
      assertEquals(c[1], set.resolve("ota", new DeviceContext("d", Map.of("firmware", c[0]))).variant(), c[0]);
    }
  }
}
