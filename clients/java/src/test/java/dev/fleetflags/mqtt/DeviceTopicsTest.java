package dev.fleetflags.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The device's topics under the broker's {@code <device-topic>} template, with its rules. */
class DeviceTopicsTest {

  @Test
  void theDefaultAndOtherTemplates() {
    assertEquals(new DeviceTopics("flags/dev-1", "flags/dev-1/resync", "flags/dev-1/ack"), DeviceTopics.of(DeviceTopics.DEFAULT_TEMPLATE, "dev-1"));
    assertEquals(new DeviceTopics("fleet/gw-7/flags", "fleet/gw-7/flags/resync", "fleet/gw-7/flags/ack"), DeviceTopics.of("fleet/{clientId}/flags", "gw-7"));
    assertEquals(new DeviceTopics("dev-1", "dev-1/resync", "dev-1/ack"), DeviceTopics.of("{clientId}", "dev-1"));
  }

  @Test
  void templatesTheBrokerWouldRefuseAreRefused() {
    for (String bad : List.of("flags", "flags/{clientId}/{clientId}", "flags/x{clientId}", "flags/{clientId}x",
        "flags/+/{clientId}", "flags/{clientId}/#")) {
      assertThrows(IllegalArgumentException.class, () -> DeviceTopics.of(bad, "dev-1"), bad);
    }
  }
}
