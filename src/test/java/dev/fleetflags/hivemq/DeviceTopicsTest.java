package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DeviceTopicsTest {

  private final DeviceTopics topics = new DeviceTopics("flags/{clientId}");

  @Test
  void topicsOfADevice() {
    assertEquals("flags/dev-1", topics.flagTopic("dev-1"));
    assertEquals("flags/dev-1/resync", topics.resyncTopic("dev-1"));
    assertEquals("dev-1", topics.resyncDevice("flags/dev-1/resync"));
    assertNull(topics.resyncDevice("flags/dev-1/ack"));
    assertNull(topics.resyncDevice("other/dev-1/resync"));
    assertTrue(topics.inSpace("flags/dev-1"));
    assertTrue(topics.inSpace("flags/dev-1/anything"));
    assertFalse(topics.inSpace("flags"));
    assertFalse(topics.inSpace("flags-admin/flags/apply"));
  }

  @ParameterizedTest(name = "{0} by dev-1 reaches others: {1}")
  @CsvSource({
      "flags/dev-1, false",
      "flags/dev-2, true",
      "flags/+, true",
      "flags/#, true",
      "#, true",
      "+/dev-1, false",
      "+/+, true",
      "flags/dev-2/resync, true",
      "flags/+/resync, true",
      "sensors/#, false",
      "$share/g/flags/+, true",
      "flags, false",
      "flags-admin/#, false"
  })
  void wildcardsOverOtherDevicesAreCaught(String filter, boolean reaches) {
    assertEquals(reaches, topics.reachesOtherDevices(filter, "dev-1"));
  }

  @Test
  void templatesWithLevelsAfterTheClientId() {
    DeviceTopics nested = new DeviceTopics("fleet/{clientId}/flags");
    assertEquals("fleet/d/flags", nested.flagTopic("d"));
    assertEquals("d", nested.resyncDevice("fleet/d/flags/resync"));
    assertTrue(nested.reachesOtherDevices("fleet/+/flags", "d"));
    assertFalse(nested.reachesOtherDevices("fleet/+/telemetry", "d"));
    assertFalse(nested.reachesOtherDevices("fleet/d/flags", "d"));
    assertTrue(nested.inSpace("fleet/x/flags/ack"));
    assertFalse(nested.inSpace("fleet/x/telemetry"));
  }

  @ParameterizedTest(name = "client id \"{0}\"")
  @CsvSource({"+", "#", "a/b", "dev+1", "''", "a\u0000b"})
  void clientIdsThatCannotFormATopicAreNamed(String clientId) {
    assertTrue(topics.clientIdProblem(clientId) != null, clientId);
  }

  @Test
  void clientIdsThatFormATopic() {
    assertNull(topics.clientIdProblem("dev-1"));
    assertNull(topics.clientIdProblem("$dev"), "not at the start of the topic");
    assertTrue(new DeviceTopics("{clientId}/flags").clientIdProblem("$dev").contains("'$'"));
  }

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource({
      "flags/dev-1, flags/dev-1, true",
      "flags/+, flags/dev-1, true",
      "flags/#, flags/dev-1, true",
      "flags/dev-1/#, flags/dev-1, true",
      "+/dev-1, flags/dev-1, true",
      "#, flags/dev-1, true",
      "$share/g/flags/+, flags/dev-1, true",
      "flags/dev-2, flags/dev-1, false",
      "flags/dev-1/+, flags/dev-1, false",
      "flags, flags/dev-1, false",
      "flags/dev-1/resync, flags/dev-1, false",
      "#, $SYS/x, false",
      "$SYS/#, $SYS/x, true"
  })
  void filtersMatchTopicsAsMqttSays(String filter, String topic, boolean matches) {
    assertEquals(matches, DeviceTopics.matches(filter, topic));
  }

  @Test
  void templateMustHoldTheClientIdAsOneLevel() {
    assertThrows(IllegalArgumentException.class, () -> new DeviceTopics("flags/x{clientId}"));
    assertThrows(IllegalArgumentException.class, () -> new DeviceTopics("flags/all"));
    assertThrows(IllegalArgumentException.class, () -> new DeviceTopics("{clientId}/{clientId}"));
  }

  @Test
  void stateHashesAsTextOrBytes() {
    assertEquals(0xdeadbeef, StateHashText.parse("deadbeef"));
    assertEquals(0xdeadbeef, StateHashText.parse("0xDEADBEEF"));
    assertNull(StateHashText.parse("dead"));
    assertNull(StateHashText.parse("zzzzzzzz"));
    assertEquals(0x01020304, StateHashText.parse(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4})));
    assertEquals("0000002a", StateHashText.format(42));
  }
}
