package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import dev.fleetflags.proto.v1.FlagAck;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Devices acknowledge what they receive (README, "Acknowledgements") on a real broker with the
 * packaged zip: MQTT 5 and 3.1.1 devices that apply, reject and fail a change, devices that never
 * ack, one that sends garbage and acks for a revision it was never sent, and two that try to ack
 * for another device. The compliance query's counts equal what the clients did; bad acks are
 * dropped, counted and logged once; another device's ack topic is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeviceAcksTest {

  private static final String SEED =
      """
      {"flags": {
        "ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"},
        "level": {"state": "ENABLED", "variants": {"low": 10, "high": 900}, "defaultVariant": "low"}
      }}""";

  private static final String CHANGE =
      """
      {"flags": {
        "ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
        "level": {"state": "ENABLED", "variants": {"low": 10, "high": 900}, "defaultVariant": "high"}
      }}""";

  /** What a device does with the change. */
  private enum Role {
    APPLIES,
    REJECTS,
    FAILS,
    APPLIES_THEN_FAILS,
    SILENT,
    GARBAGE
  }

  /** A device on either protocol that holds what it receives and acks as its role says. */
  private static final class AckingDevice implements AutoCloseable {
    final MqttDevice<?> client;
    final Role role;
    final HeldFlags held = new HeldFlags();

    AckingDevice(MqttDevice<?> client, Role role) {
      this.client = client;
      this.role = role;
    }

    String ackTopic() {
      return client.flagTopic() + "/ack";
    }

    /** Takes the next update, applies it, and returns it. */
    FlagUpdate take() {
      FlagUpdate update = client.awaitUpdate();
      held.apply(update);
      assertEquals(HeldFlags.hex(update.getStateHash()), held.stateHashText(), client.clientId());
      return update;
    }

    void ack(long revision, int hash, FlagAck.Status status, String reason, String... keys) {
      FlagAck.Builder ack = FlagAck.newBuilder().setRevision(revision).setStateHash(hash).setStatus(status).setReason(reason);
      for (String key : keys) {
        ack.addRejectedKeys(key);
      }
      client.publish(ackTopic(), ack.build().toByteArray());
    }

    @Override
    public void close() {
      client.close();
    }
  }

  private EmbeddedBroker broker;
  private Operator operator;
  private ExtensionMetrics metrics;
  private final List<AckingDevice> devices = new ArrayList<>();

  @BeforeAll
  void start() {
    broker = EmbeddedBroker.start(Fleet.setup(SEED, ""));
    operator = Operator.mqtt5(broker, "ops-acks");
    metrics = new ExtensionMetrics(broker);
  }

  @AfterAll
  void stop() {
    devices.forEach(AckingDevice::close);
    Scenarios.close(operator, broker);
  }

  private AckingDevice connect(String clientId, boolean mqtt5, Role role) {
    MqttDevice<?> client = mqtt5 ? Mqtt5Device.connect(broker, clientId) : Mqtt3Device.connect(broker, clientId);
    AckingDevice device = new AckingDevice(client, role);
    devices.add(device);
    assertTrue(client.subscribeGranted(client.flagTopic()));
    FlagUpdate snapshot = device.take();
    assertTrue(snapshot.getSnapshot());
    if (role != Role.SILENT && role != Role.GARBAGE) {
      device.ack(snapshot.getRevision(), snapshot.getStateHash(), FlagAck.Status.APPLIED, "");
    }
    return device;
  }

  private JsonNode compliance(String query) {
    JsonNode answer = operator.send("query/compliance", query);
    assertEquals("ok", answer.get("status").asText(), answer::toString);
    return answer;
  }

  @Test
  void theComplianceCountsAreWhatTheDevicesDidAndBadAcksAreDroppedAndCounted() {
    Map<String, AckingDevice> fleet = new LinkedHashMap<>();
    for (boolean mqtt5 : new boolean[] {true, false}) {
      String p = mqtt5 ? "m5-" : "m3-";
      fleet.put(p + "applies", connect(p + "applies", mqtt5, Role.APPLIES));
      fleet.put(p + "rejects", connect(p + "rejects", mqtt5, Role.REJECTS));
      fleet.put(p + "fails", connect(p + "fails", mqtt5, mqtt5 ? Role.FAILS : Role.APPLIES_THEN_FAILS));
      fleet.put(p + "silent", connect(p + "silent", mqtt5, Role.SILENT));
    }
    fleet.put("m5-garbage", connect("m5-garbage", true, Role.GARBAGE));
    metrics.awaitCounter("fleetflags.acks.applied", 6); // the snapshots of the six that ack
    long dropped = metrics.counter("fleetflags.acks.dropped");

    JsonNode written = accepted(operator.apply(CHANGE));
    long revision = written.get("revision").asLong();
    assertEquals(fleet.size(), written.get("devicesAffected").asInt(), written::toString);

    for (AckingDevice d : fleet.values()) {
      int before = d.held.stateHash();
      FlagUpdate delta = d.take();
      assertEquals(revision, delta.getRevision());
      switch (d.role) {
        case APPLIES -> d.ack(revision, delta.getStateHash(), FlagAck.Status.APPLIED, "");
        case REJECTS -> d.ack(revision, before, FlagAck.Status.REJECTED, "level 900 is above 100", "level");
        case FAILS -> d.ack(revision, delta.getStateHash(), FlagAck.Status.FAILED, "did not come back up");
        case APPLIES_THEN_FAILS -> {
          d.ack(revision, delta.getStateHash(), FlagAck.Status.APPLIED, "");
          d.ack(revision, delta.getStateHash(), FlagAck.Status.FAILED, "watchdog reset after applying");
        }
        case SILENT -> { }
        case GARBAGE -> {
          d.client.publish(d.ackTopic(), "applied, honestly");
          d.client.publish(d.ackTopic(), new byte[3000]);
          d.ack(revision + 1000, delta.getStateHash(), FlagAck.Status.APPLIED, "");
        }
      }
    }

    // Acks for another device: refused by the broker, never counted.
    byte[] forged = FlagAck.newBuilder().setRevision(revision).setStateHash(0).setStatus(FlagAck.Status.APPLIED).build()
        .toByteArray();
    try (Mqtt5Device forger = Mqtt5Device.connect(broker, "m5-forger")) {
      Mqtt5PubAckException refused =
          assertThrows(Mqtt5PubAckException.class, () -> forger.publish("flags/m5-silent/ack", forged));
      assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, refused.getMqttMessage().getReasonCode());
    }
    try (Mqtt3Device forger = Mqtt3Device.connect(broker, "m3-forger")) {
      assertThrows(RuntimeException.class, () -> forger.publish("flags/m3-silent/ack", forged));
      forger.awaitDisconnected();
    }

    metrics.awaitCounter("fleetflags.acks.failed", 2);
    metrics.awaitCounter("fleetflags.acks.rejected", 2);
    metrics.awaitCounter("fleetflags.acks.applied", 9);
    metrics.awaitCounter("fleetflags.acks.dropped", dropped + 3);
    assertEquals(9, metrics.counter("fleetflags.acks.applied"));
    assertEquals(dropped + 3, metrics.counter("fleetflags.acks.dropped"));
    assertEquals(0, metrics.counter("fleetflags.acks.rate-limited"));

    JsonNode figures = compliance("{\"revision\": " + revision + "}").get("revisions").get(0);
    assertEquals(revision, figures.get("revision").asLong());
    assertEquals(List.of(9L, 0L, 3L, 2L, 2L, 2L, 0L, 0L), counts(figures), figures::toString);
    assertEquals(2, figures.get("rejectedByFlag").get("level").asInt(), figures::toString);
    assertEquals(2, metrics.gauge("fleetflags.compliance.latest.applied"));
    assertEquals(3, metrics.gauge("fleetflags.compliance.latest.delivered"));
    assertEquals(revision, metrics.gauge("fleetflags.compliance.latest.revision"));

    JsonNode level = compliance("{\"flag\": \"level\"}");
    JsonNode held = level.get("held");
    assertEquals(9, held.get("devices").asInt(), held::toString);
    assertEquals(900, held.get("values").get(0).get("value").asInt(), held::toString);
    assertEquals(9, held.get("values").get(0).get("devices").asInt(), "what delivery sent them");
    assertEquals(9, held.get("current").asInt());
    assertEquals(revision, level.get("revisions").get(0).get("revision").asLong());

    String log = broker.log();
    assertEquals(1, log.lines().filter(l -> l.contains("Dropped an ack of device 'm5-garbage': it "))
        .count(), "three drops, one line a minute: " + log.lines().filter(l -> l.contains("ack")).toList());
    assertTrue(log.lines().noneMatch(l -> l.contains("Dropped an ack") && !l.contains("m5-garbage")), log);

    // A device that applied and leaves is counted until it returns.
    fleet.get("m5-applies").close();
    metrics.awaitIndexed(fleet.size() - 1);
    assertEquals(1, compliance("{\"revision\": " + revision + "}").get("revisions").get(0)
        .get("departedAfterApplying").asInt());
    try (Mqtt5Device back = Mqtt5Device.connect(broker, "m5-applies")) {
      metrics.awaitIndexed(fleet.size());
      assertEquals(0, compliance("{\"revision\": " + revision + "}").get("revisions").get(0)
          .get("departedAfterApplying").asInt());
    }
    assertTrue(fleet.get("m5-silent").client.nextMessage(Duration.ZERO).isEmpty(), "the forgers reached nobody");
  }

  /** targeted, pending, delivered, applied, rejected, failed, superseded, departedAfterApplying. */
  private static List<Long> counts(JsonNode figures) {
    List<Long> counts = new ArrayList<>();
    for (String name : List.of("targeted", "pending", "delivered", "applied", "rejected", "failed", "superseded",
        "departedAfterApplying")) {
      counts.add(figures.get(name).asLong());
    }
    return counts;
  }
}
