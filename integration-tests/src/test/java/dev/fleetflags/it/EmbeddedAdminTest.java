package dev.fleetflags.it;

import static dev.fleetflags.it.Scenarios.document;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.proto.v1.FlagUpdate;
import org.junit.jupiter.api.Test;

/** The admin scenarios on HiveMQ CE embedded in this JVM, plus what only it can show. */
class EmbeddedAdminTest extends AdminScenarios {

  @Override
  FleetFlagsBroker start(ExtensionSetup setup) {
    return EmbeddedBroker.start(setup);
  }

  /**
   * The store is the truth: after a restart on the same folders the broker serves the same flags at
   * the same revision, keeps registry and history, and confirms a device's hash without sending its
   * set although it remembers nothing of the device. Embedded only: a container restart on the same
   * volume cannot be run on these machines (no Docker engine).
   */
  @Test
  void restartedOnTheSameDataFolderItServesTheSameFlagsAtTheSameRevision() {
    try (EmbeddedBroker restarted = EmbeddedBroker.start(Scenarios.SETUP)) {
      JsonNode flags;
      JsonNode history;
      try (Operator ops = Operator.mqtt5(restarted, "ops-restart")) {
        assertEquals("accepted", ops.apply(DeviceScenarios.FLAGS).get("status").asText());
        assertEquals(
            "accepted", ops.apply(document(boolFlag("restart-1", "on"))).get("status").asText());
        assertEquals("accepted", ops.delete("{\"flags\": [\"dev-ratio\"]}").get("status").asText());
        JsonNode registry =
            ops.attributes("{\"devices\": {\"restart-device\": {\"region\": \"eu\"}}}");
        assertEquals("accepted", registry.get("status").asText(), registry::toString);
        flags = ops.queryFlags();
        history = ops.history(10);
      }
      HeldFlags before = Scenarios.newDevice(restarted, "restart-device");
      assertEquals("full", before.values().get("dev-mode"), "the registry's region");

      restarted.restart();

      assertTrue(
          restarted
              .log()
              .contains("started at revision " + flags.get("revision").asLong() + " with 6 flags"),
          restarted.logTail());
      try (Operator ops = Operator.mqtt5(restarted, "ops-restart")) {
        assertEquals(flags, ops.queryFlags(), "definitions, revisions and per-flag revisions");
        assertEquals(history, ops.history(10));
      }
      HeldFlags after = Scenarios.newDevice(restarted, "restart-device");
      assertEquals(before.revision(), after.revision());
      assertEquals(before.values(), after.values());
      assertEquals(before.stateHashText(), after.stateHashText());
      assertFalse(after.flags().containsKey("dev-ratio"));

      try (Mqtt5Device device =
          Mqtt5Device.with(restarted, "restart-device")
              .userProperty("fleetflags-state", before.stateHashText())
              .connect()) {
        FlagUpdate update = Scenarios.subscribe(device);
        assertFalse(update.getSnapshot(), update::toString);
        assertEquals(0, update.getFlagsCount(), update::toString);
        assertEquals(before.revision(), update.getRevision());
      }
    }
  }
}
