package dev.fleetflags.it;

import static dev.fleetflags.it.Scenarios.keys;
import static dev.fleetflags.it.Scenarios.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The device side of the protocol on a real broker, with MQTT 5 and MQTT 3.1.1 devices: the
 * snapshot on subscribe and its state hash (checked against the README's specification computed
 * here), attributes from CONNECT user properties and from the registry, and reconnects that present
 * a current or a stale state hash. One broker for the class: each scenario has its own client ids,
 * and those that change flags their own flag keys. Written once, run on every kind of {@link
 * FleetFlagsBroker} by the subclasses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DeviceScenarios {

  /**
   * One flag of each value type; targeting on attribute {@code model} (allowed as CONNECT user
   * property), {@code power} (not allowed: only the registry can set it) and {@code region}.
   */
  static final String FLAGS =
      """
      {"flags": {
        "dev-ota": {"state": "ENABLED", "variants": {"on": true, "off": false},
                    "defaultVariant": "off",
                    "targeting": {"if": [{"==": [{"var": "model"}, "th-200"]}, "on", "off"]}},
        "dev-interval": {"state": "ENABLED", "variants": {"normal": 60, "sparse": 300},
                         "defaultVariant": "normal",
                         "targeting": {"if": [{"==": [{"var": "power"}, "battery"]}, "sparse", null]}},
        "dev-ratio": {"state": "ENABLED", "variants": {"half": 0.5, "tenth": 0.1},
                      "defaultVariant": "half"},
        "dev-mode": {"state": "ENABLED", "variants": {"eco": "eco", "full": "full"},
                     "defaultVariant": "eco",
                     "targeting": {"if": [{"==": [{"var": "region"}, "eu"]}, "full", null]}},
        "dev-config": {"state": "ENABLED", "variants": {"v1": {"b": 1, "a": "x"}},
                       "defaultVariant": "v1"},
        "dev-off": {"state": "DISABLED", "variants": {"on": true, "off": false},
                    "defaultVariant": "on"}
      }}\
      """;

  private FleetFlagsBroker broker;
  private Operator operator;

  abstract FleetFlagsBroker start(ExtensionSetup setup);

  @BeforeAll
  void startBroker() {
    broker = start(Scenarios.SETUP);
    operator = Operator.mqtt5(broker, "ops-devices");
    assertEquals("accepted", operator.apply(FLAGS).get("status").asText());
  }

  @AfterAll
  void stopBroker() {
    Scenarios.close(operator, broker);
  }

  // --- snapshot on subscribe ------------------------------------------------------------------

  @Test
  void anMqtt5DeviceGetsItsWholeSetOnSubscribeWithTheReadmesStateHash() {
    try (Mqtt5Device device = Mqtt5Device.connect(broker, "d5-snapshot")) {
      FlagUpdate snapshot = Scenarios.subscribe(device);
      assertWholeSet(snapshot, "d5-snapshot");
    }
  }

  @Test
  void anMqtt311DeviceGetsItsWholeSetOnSubscribeWithTheReadmesStateHash() {
    try (Mqtt3Device device = Mqtt3Device.connect(broker, "d3-snapshot")) {
      FlagUpdate snapshot = Scenarios.subscribe(device);
      assertWholeSet(snapshot, "d3-snapshot");
    }
  }

  /** A device without attributes: every enabled flag at its default, each type on the wire. */
  private void assertWholeSet(FlagUpdate snapshot, String clientId) {
    assertTrue(snapshot.getSnapshot(), snapshot::toString);
    assertEquals(operator.revision(), snapshot.getRevision());
    assertEquals(List.of(), snapshot.getRemovedList());
    HeldFlags held = new HeldFlags().apply(snapshot);
    Map<String, Flag> flags = held.flags();
    // dev-off is disabled: not in the set, the device uses its built-in default. (Other
    // scenarios' flags may be there too.)
    Set<String> devFlags = new TreeSet<>(flags.keySet());
    devFlags.removeIf(key -> !key.startsWith("dev-"));
    assertEquals(
        Set.of("dev-ota", "dev-interval", "dev-ratio", "dev-mode", "dev-config"),
        devFlags,
        snapshot::toString);
    assertEquals(Flag.ValueCase.BOOL, flags.get("dev-ota").getValueCase());
    assertFalse(flags.get("dev-ota").getBool());
    assertEquals(Flag.ValueCase.INT, flags.get("dev-interval").getValueCase());
    assertEquals(60, flags.get("dev-interval").getInt());
    assertEquals(Flag.ValueCase.DOUBLE, flags.get("dev-ratio").getValueCase());
    assertEquals(0.5, flags.get("dev-ratio").getDouble());
    assertEquals(Flag.ValueCase.STRING, flags.get("dev-mode").getValueCase());
    assertEquals("eco", flags.get("dev-mode").getString());
    assertEquals(Flag.ValueCase.JSON, flags.get("dev-config").getValueCase());
    assertEquals("{\"a\":\"x\",\"b\":1}", flags.get("dev-config").getJson().toStringUtf8());
    // Variant names are off by default.
    assertTrue(flags.values().stream().allMatch(f -> f.getVariant().isEmpty()), flags::toString);
    assertEquals(
        HeldFlags.hex(snapshot.getStateHash()),
        held.stateHashText(),
        "the state hash computed as the README specifies");
    held.assertMatches(operator.evaluated(clientId));
  }

  // --- attributes ------------------------------------------------------------------------------

  /** Allowed user properties are attributes; others are ignored (power would change interval). */
  @Test
  void allowedConnectUserPropertiesAreTargetingAttributes() {
    try (Mqtt5Device device =
        Mqtt5Device.with(broker, "d5-props")
            .userProperty("model", "th-200")
            .userProperty("power", "battery")
            .connect()) {
      HeldFlags held = new HeldFlags().apply(Scenarios.subscribe(device));
      assertEquals(true, held.values().get("dev-ota"));
      assertEquals(60L, held.values().get("dev-interval"), "power is not on the allow-list");
      JsonNode evaluation = operator.evaluate("d5-props");
      assertEquals("th-200", evaluation.at("/attributes/model").asText());
      assertTrue(evaluation.at("/attributes/power").isMissingNode(), evaluation::toString);
      held.assertMatches(Operator.Evaluated.of(evaluation));
    }
  }

  /**
   * The registry changes what a connected device gets, with a delta, and wins over its CONNECT user
   * properties; removing the registry attribute brings the user property back.
   */
  @Test
  void registryAttributesChangeWhatAConnectedDeviceGetsAndWinOverUserProperties() {
    try (Mqtt5Device device =
        Mqtt5Device.with(broker, "d5-registry").userProperty("model", "th-200").connect()) {
      HeldFlags held = new HeldFlags().apply(Scenarios.subscribe(device));
      assertEquals(true, held.values().get("dev-ota"));

      JsonNode set =
          operator.attributes(
              """
              {"devices": {"d5-registry": {"model": "th-100", "power": "battery"}}}\
              """);
      assertEquals("accepted", set.get("status").asText(), set::toString);
      assertEquals(List.of("d5-registry"), texts(set.get("devices")));
      assertEquals(1, set.get("devicesAffected").asInt(), set::toString);
      FlagUpdate delta = device.awaitUpdate();
      assertFalse(delta.getSnapshot(), delta::toString);
      held.apply(delta);
      assertEquals(Set.of("dev-ota", "dev-interval"), keys(delta), delta::toString);
      assertEquals(false, held.values().get("dev-ota"), "the registry's model wins");
      assertEquals(300L, held.values().get("dev-interval"));
      assertEquals(HeldFlags.hex(delta.getStateHash()), held.stateHashText());
      JsonNode evaluation = operator.evaluate("d5-registry");
      assertEquals("th-100", evaluation.at("/attributes/model").asText());
      held.assertMatches(Operator.Evaluated.of(evaluation));

      JsonNode removed = operator.attributes("{\"devices\": {\"d5-registry\": {\"model\": null}}}");
      assertEquals("accepted", removed.get("status").asText(), removed::toString);
      held.apply(device.awaitUpdate());
      assertEquals(true, held.values().get("dev-ota"), "the user property again");
      assertEquals(300L, held.values().get("dev-interval"));
      held.assertMatches(operator.evaluated("d5-registry"));
    }
  }

  /** Attributes set while a device is away are in the snapshot it gets when it comes. */
  @Test
  void registryAttributesSetBeforeADeviceConnectsAreInItsSnapshot() {
    JsonNode set = operator.attributes("{\"devices\": {\"d3-registry\": {\"region\": \"eu\"}}}");
    assertEquals("accepted", set.get("status").asText(), set::toString);
    assertEquals(0, set.get("devicesAffected").asInt(), "not connected");
    try (Mqtt3Device device = Mqtt3Device.connect(broker, "d3-registry")) {
      HeldFlags held = new HeldFlags().apply(Scenarios.subscribe(device));
      assertEquals("full", held.values().get("dev-mode"));
      held.assertMatches(operator.evaluated("d3-registry"));
    }
  }

  // --- reconnects ------------------------------------------------------------------------------

  /**
   * A second connection with a device's client id takes its session over: it is served with what
   * its own CONNECT says, and the end of the old connection, which the broker reports after the
   * new one started, leaves the device indexed.
   */
  @Test
  void aSessionTakeoverServesTheNewConnection() {
    try (Mqtt5Device first =
        Mqtt5Device.with(broker, "d5-takeover").userProperty("model", "th-100").connect()) {
      assertEquals(false, new HeldFlags().apply(Scenarios.subscribe(first)).values().get("dev-ota"));
      try (Mqtt5Device second =
          Mqtt5Device.with(broker, "d5-takeover").userProperty("model", "th-200").connect()) {
        first.awaitDisconnected();
        HeldFlags held = new HeldFlags().apply(Scenarios.subscribe(second));
        assertEquals(true, held.values().get("dev-ota"), "the new connection's model");
        // HiveMQ reports the old connection's end before it sends that connection its DISCONNECT,
        // and handles a client id's events in order: this resync is handled after that end.
        second.publish("flags/d5-takeover/resync", "");
        FlagUpdate snapshot = second.awaitUpdate();
        assertTrue(snapshot.getSnapshot(), snapshot::toString);
        JsonNode evaluation = operator.evaluate("d5-takeover");
        assertTrue(evaluation.get("connected").asBoolean(), evaluation::toString);
        new HeldFlags().apply(snapshot).assertMatches(Operator.Evaluated.of(evaluation));
      }
    }
  }

  @Test
  void anMqtt5DevicePresentingItsCurrentHashGetsAnEmptyUpdate() {
    HeldFlags held = Scenarios.newDevice(broker, "d5-current");
    try (Mqtt5Device device =
        Mqtt5Device.with(broker, "d5-current")
            .userProperty("fleetflags-state", held.stateHashText())
            .connect()) {
      assertConfirms(Scenarios.subscribe(device), held);
    }
  }

  @Test
  void anMqtt311DevicePresentingItsCurrentHashOnResyncGetsAnEmptyUpdate() {
    HeldFlags held;
    try (Mqtt3Device device = Mqtt3Device.connect(broker, "d3-current")) {
      held = new HeldFlags().apply(Scenarios.subscribe(device));
    }
    try (Mqtt3Device device = Mqtt3Device.connect(broker, "d3-current")) {
      device.publish("flags/d3-current/resync", held.stateHashText());
      assertConfirms(Scenarios.subscribe(device), held);
    }
  }

  /** An empty delta at the current revision carrying the hash the device holds. */
  private void assertConfirms(FlagUpdate update, HeldFlags held) {
    assertFalse(update.getSnapshot(), update::toString);
    assertEquals(0, update.getFlagsCount(), update::toString);
    assertEquals(0, update.getRemovedCount(), update::toString);
    assertEquals(held.stateHashText(), HeldFlags.hex(update.getStateHash()));
    assertEquals(operator.revision(), update.getRevision());
  }

  @Test
  void anMqtt5DevicePresentingAStaleHashGetsTheDeltaToItsCurrentSet() {
    String prefix = "stale5-";
    HeldFlags held = withStaleFlags(prefix, () -> Scenarios.newDevice(broker, "d5-stale"));
    try (Mqtt5Device device =
        Mqtt5Device.with(broker, "d5-stale")
            .userProperty("fleetflags-state", held.stateHashText())
            .connect()) {
      assertBroughtUpToDate(Scenarios.subscribe(device), held, prefix, "d5-stale");
    }
  }

  /** The hash as four bytes, big-endian: the README's other form of a resync payload. */
  @Test
  void anMqtt311DevicePresentingAStaleHashOnResyncGetsTheDeltaToItsCurrentSet() {
    String prefix = "stale3-";
    HeldFlags held =
        withStaleFlags(
            prefix,
            () -> {
              try (Mqtt3Device device = Mqtt3Device.connect(broker, "d3-stale")) {
                return new HeldFlags().apply(Scenarios.subscribe(device));
              }
            });
    try (Mqtt3Device device = Mqtt3Device.connect(broker, "d3-stale")) {
      device.publish(
          "flags/d3-stale/resync", ByteBuffer.allocate(4).putInt(held.stateHash()).array());
      assertBroughtUpToDate(Scenarios.subscribe(device), held, prefix, "d3-stale");
    }
  }

  /**
   * Applies {@code <prefix>a} (false) and {@code <prefix>gone}, lets a device take its snapshot,
   * then, while it is away, turns {@code a} on, deletes {@code gone} and adds {@code new}: two
   * revisions it has not seen.
   */
  private HeldFlags withStaleFlags(String prefix, Supplier<HeldFlags> device) {
    JsonNode first =
        operator.apply(
            """
            {"flags": {
              "%1$sa": {"state": "ENABLED", "variants": {"on": true, "off": false},
                        "defaultVariant": "off"},
              "%1$sgone": {"state": "ENABLED", "variants": {"x": "x"}, "defaultVariant": "x"}
            }}\
            """
                .formatted(prefix));
    assertEquals("accepted", first.get("status").asText(), first::toString);
    HeldFlags held = device.get();
    assertEquals(false, held.values().get(prefix + "a"));
    JsonNode change =
        operator.apply(
            """
            {"flags": {
              "%1$sa": {"state": "ENABLED", "variants": {"on": true, "off": false},
                        "defaultVariant": "on"},
              "%1$snew": {"state": "ENABLED", "variants": {"seven": 7}, "defaultVariant": "seven"}
            }}\
            """
                .formatted(prefix));
    assertEquals("accepted", change.get("status").asText(), change::toString);
    JsonNode delete = operator.delete("{\"flags\": [\"" + prefix + "gone\"]}");
    assertEquals("accepted", delete.get("status").asText(), delete::toString);
    return held;
  }

  private void assertBroughtUpToDate(
      FlagUpdate update, HeldFlags held, String prefix, String clientId) {
    // The broker still holds the revision the device was sent, so it sends only the difference.
    assertFalse(update.getSnapshot(), update::toString);
    assertEquals(Set.of(prefix + "a", prefix + "new"), keys(update), update::toString);
    assertEquals(List.of(prefix + "gone"), update.getRemovedList());
    held.apply(update);
    assertEquals(true, held.values().get(prefix + "a"));
    assertEquals(7L, held.values().get(prefix + "new"));
    assertEquals(HeldFlags.hex(update.getStateHash()), held.stateHashText());
    assertEquals(operator.revision(), update.getRevision());
    held.assertMatches(operator.evaluated(clientId));
  }

  /**
   * A device may ask for its own resync only: another device's is refused ("not authorized" in the
   * PUBACK, then HiveMQ closes the connection), and that device gets nothing.
   */
  @Test
  void aDeviceCannotAskForAnotherDevicesResync() {
    try (Mqtt5Device victim = Mqtt5Device.connect(broker, "d5-victim")) {
      Scenarios.subscribe(victim);
      try (Mqtt5Device other = Mqtt5Device.connect(broker, "d5-other")) {
        Mqtt5PubAckException refused =
            assertThrows(
                Mqtt5PubAckException.class, () -> other.publish("flags/d5-victim/resync", ""));
        assertEquals(
            Mqtt5PubAckReasonCode.NOT_AUTHORIZED, refused.getMqttMessage().getReasonCode());
      }
      // Its own resync is granted and answered; by then a resync of the victim would have been too.
      try (Mqtt5Device other = Mqtt5Device.connect(broker, "d5-other")) {
        Scenarios.subscribe(other);
        other.publish("flags/d5-other/resync", "");
        assertTrue(other.awaitUpdate().getSnapshot());
      }
      assertTrue(victim.nextMessage(Duration.ZERO).isEmpty());
    }
  }

  /** A hash of no set the broker knows: the device gets its whole set. */
  @Test
  void aDevicePresentingAnUnknownHashGetsASnapshot() {
    try (Mqtt5Device device =
        Mqtt5Device.with(broker, "d5-unknown")
            .userProperty("fleetflags-state", "deadbeef")
            .connect()) {
      FlagUpdate update = Scenarios.subscribe(device);
      assertTrue(update.getSnapshot(), update::toString);
      new HeldFlags().apply(update).assertMatches(operator.evaluated("d5-unknown"));
    }
  }
}
