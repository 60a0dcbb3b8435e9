package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static dev.fleetflags.it.Scenarios.document;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.it.Device.Protocol;
import dev.fleetflags.it.Operator.Evaluated;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * An MQTT 5 device that states a Maximum Packet Size of {@value #MAX_PACKET} bytes, below its
 * snapshot, on a real broker with the packaged zip: the broker would drop anything larger, so
 * FleetFlags sends the snapshot and large deltas in parts. The device applies them as the README
 * says (every part checked against the hash it carries) and ends with exactly the evaluator's set.
 * A value that cannot fit at all is left out, counted and logged, and the device is not counted as
 * affected by it. One broker; the scenarios run in order, each with devices of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConstrainedDeviceTest {

  static final int MAX_PACKET = 512;
  static final int SETTINGS = 20;

  private EmbeddedBroker broker;
  private Operator operator;
  private ExtensionMetrics metrics;

  @BeforeAll
  void start() {
    broker = EmbeddedBroker.start(Fleet.setup(settings("first"), ""));
    operator = Operator.mqtt5(broker, "ops-constrained");
    metrics = new ExtensionMetrics(broker);
  }

  @AfterAll
  void stop() {
    Scenarios.close(operator, broker);
  }

  /** {@value #SETTINGS} string flags of about 45 bytes each on the wire, and a boolean one. */
  private static String settings(String value) {
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < SETTINGS; i++) {
      flags.add(stringFlag("setting-%02d".formatted(i), "%s-value-for-setting-%02d".formatted(value, i)));
    }
    flags.add(
        """
        "ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}""");
    return document(flags.toArray(String[]::new));
  }

  private static String stringFlag(String key, String value) {
    return """
           "%s": {"state": "ENABLED", "variants": {"v": "%s"}, "defaultVariant": "v"}"""
        .formatted(key, value);
  }

  private Device constrained(String clientId) {
    return Device.online(broker, new Device.Spec(clientId, Protocol.MQTT5, Map.of(), MAX_PACKET));
  }

  private Device plain(String clientId) {
    return Device.online(broker, new Device.Spec(clientId, Protocol.MQTT5, Map.of()));
  }

  /**
   * Applies the device's updates in order to what a fresh device holds, checking after each that
   * the hash it computes (README) is the one the update carried.
   */
  private static void assertEveryUpdateVerifies(Device device) {
    HeldFlags held = new HeldFlags();
    for (FlagUpdate update : device.received()) {
      held.apply(update);
      assertEquals(
          HeldFlags.hex(update.getStateHash()),
          held.stateHashText(),
          () -> device + ": an update's hash is not that of the set after it: " + update);
    }
  }

  @Test
  @Order(1)
  void aSnapshotAboveTheMaximumPacketSizeArrivesInPartsAndEndsAtTheEvaluatorsSet() {
    long splitBefore = metrics.counter("fleetflags.updates.split");
    try (Device full = plain("plain-1");
        Device small = constrained("small-1")) {
      FlagUpdate snapshot = full.received().get(0);
      assertTrue(
          snapshot.getSerializedSize() >= 840,
          "the snapshot is above the device's limit: " + snapshot.getSerializedSize());

      Evaluated expected = operator.evaluated("small-1");
      small.awaitHeld(held -> held.stateHashText().equals(expected.stateHash()), "its whole set");
      List<FlagUpdate> parts = small.received();
      assertTrue(parts.size() > 1, "in parts: " + parts.size());
      assertTrue(parts.get(0).getSnapshot(), "a snapshot of what fits first");
      for (FlagUpdate part : parts.subList(1, parts.size())) {
        assertFalse(part.getSnapshot(), "then deltas with the rest");
        assertEquals(snapshot.getRevision(), part.getRevision());
        assertTrue(part.getSerializedSize() < MAX_PACKET, part.toString());
      }
      assertEveryUpdateVerifies(small);
      small.assertHolds(expected);
      assertEquals(splitBefore + 1, metrics.counter("fleetflags.updates.split"));
    }
  }

  @Test
  @Order(2)
  void laterChangesReachItAsDeltasInPartsOrWhole() {
    try (Device full = plain("plain-2");
        Device small = constrained("small-2")) {
      Evaluated before = operator.evaluated("small-2");
      small.awaitHeld(held -> held.stateHashText().equals(before.stateHash()), "its whole set");
      int mark = small.receivedCount();

      // Every string changes: a delta far above 512 bytes.
      JsonNode all = accepted(operator.apply(settings("second")));
      assertEquals(2, all.get("devicesAffected").asInt(), all::toString);
      Evaluated second = operator.evaluated("small-2");
      small.awaitHeld(held -> held.stateHashText().equals(second.stateHash()), "the second set");
      List<FlagUpdate> deltas = small.received().subList(mark, small.receivedCount());
      assertTrue(deltas.size() > 1, "in parts: " + deltas.size());
      deltas.forEach(d -> assertFalse(d.getSnapshot(), "deltas from what it holds: " + d));
      small.assertHolds(second);
      full.awaitHeld(held -> held.stateHashText().equals(second.stateHash()), "the second set");
      assertEquals(2, full.receivedCount(), "one delta for a device without a limit");

      // A small change: one delta, as for any device.
      mark = small.receivedCount();
      accepted(operator.apply(document(otaOn(true))));
      Evaluated third = operator.evaluated("small-2");
      small.awaitHeld(held -> held.stateHashText().equals(third.stateHash()), "ota on");
      assertEquals(mark + 1, small.receivedCount());
      assertEveryUpdateVerifies(small);
      small.assertHolds(third);
      accepted(operator.apply(document(otaOn(false))));
    }
  }

  @Test
  @Order(3)
  void aValueThatCannotFitIsLeftOutCountedLoggedAndDoesNotCountTheDeviceAsAffected() {
    long tooLarge = metrics.counter("fleetflags.flags.too-large");
    try (Device full = plain("plain-3");
        Device small = constrained("small-3")) {
      String banner = "b".repeat(600);
      JsonNode answer = accepted(operator.apply(document(stringFlag("banner", banner))));
      assertEquals(1, answer.get("devicesAffected").asInt(), "the device without a limit only: " + answer);
      full.awaitHeld(held -> held.values().containsKey("banner"), "the banner");
      full.assertHolds(operator.evaluated("plain-3"));
      metrics.awaitCounter("fleetflags.flags.too-large", tooLarge + 1);

      // The small device holds its set without the banner, with that set's hash, and is told nothing.
      Evaluated evaluated = operator.evaluated("small-3");
      Map<String, JsonNode> withoutBanner = new TreeMap<>(evaluated.values());
      assertEquals(banner, withoutBanner.remove("banner").asText());
      HeldFlags held = small.held();
      assertEquals(withoutBanner, held.jsonValues());
      assertEquals(held.stateHashText(), HeldFlags.hex(small.receivedHash()));
      assertTrue(
          broker.log().contains("Device 'small-3' can take updates of"),
          "logged: " + broker.log().lines().filter(l -> l.contains("small-3")).toList());

      // What it holds is known: the next change is a delta, and the banner stays out.
      int mark = small.receivedCount();
      JsonNode ota = accepted(operator.apply(document(otaOn(true))));
      assertEquals(2, ota.get("devicesAffected").asInt(), ota::toString);
      small.awaitHeld(h -> h.values().get("ota").equals(Boolean.TRUE), "ota on");
      FlagUpdate delta = small.received().get(mark);
      assertFalse(delta.getSnapshot(), delta::toString);
      assertEquals(1, delta.getFlagsCount(), delta::toString);
      assertEveryUpdateVerifies(small);
    }
  }

  private static String otaOn(boolean on) {
    return """
           "ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "%s"}"""
        .formatted(on ? "on" : "off");
  }
}
