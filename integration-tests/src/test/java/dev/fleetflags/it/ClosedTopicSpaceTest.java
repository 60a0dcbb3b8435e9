package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static dev.fleetflags.it.Scenarios.document;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.publish.RetainedPublish;
import dev.fleetflags.it.Device.Protocol;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * FleetFlags' topic space is closed to forgeries made while it was not running: a retained
 * FlagUpdate planted on devices' flag topics while the extension was disabled is removed when it
 * starts, and a device's subscription to its own topics never gets a retained message, also one
 * that is there (planted here by another extension on the running broker). MQTT 5 and 3.1.1
 * devices, real broker, packaged zip.
 */
class ClosedTopicSpaceTest {

  private static final String SEED =
      document(
          """
          "mode": {"state": "ENABLED", "variants": {"real": "real", "other": "other"}, "defaultVariant": "real"}""");

  private static ExtensionSetup setup() {
    return Scenarios.open(List.of(), "<seed-file>" + ExtensionSetup.SEED_FILE + "</seed-file>")
        .withSeedFlags(SEED);
  }

  /**
   * What a forger would plant: a snapshot a README device accepts (its hash is right), of a flag
   * FleetFlags never had.
   */
  private static byte[] forgery() {
    Flag forged = Flag.newBuilder().setKey("forged").setBool(true).build();
    return FlagUpdate.newBuilder()
        .setRevision(999)
        .setSnapshot(true)
        .addFlags(forged)
        .setStateHash(HeldFlags.entryHash(forged))
        .build()
        .toByteArray();
  }

  @Test
  void retainedForgeriesPlantedWhileFleetFlagsWasNotRunningNeverReachADevice() throws IOException {
    try (EmbeddedBroker broker = EmbeddedBroker.start(setup().disabled())) {
      // FleetFlags is disabled (HiveMQ's DISABLED file): nothing guards its topics.
      Mqtt5BlockingClient forger =
          MqttClient.builder()
              .identifier("forger")
              .serverHost(broker.host())
              .serverPort(broker.mqttPort())
              .useMqttVersion5()
              .buildBlocking();
      forger.connect();
      for (String topic :
          List.of("flags/victim-5", "flags/victim-3", "flags/victim-5/ack", "flags-admin/responses/ops-x")) {
        forger.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).retain(true).payload(forgery()).send();
      }
      forger.disconnect();

      broker.stop();
      Files.delete(broker.extensionHome().resolve(ExtensionSetup.DISABLED_MARKER));
      broker.start();
      assertTrue(broker.extensionStarted(), broker::log);
      awaitLog(broker, "Removed 4 retained messages from FleetFlags' topics");

      try (Operator operator = Operator.mqtt5(broker, "ops-closed");
          Device mqtt5 = Device.online(broker, new Device.Spec("victim-5", Protocol.MQTT5, Map.of()));
          Device mqtt3 = Device.online(broker, new Device.Spec("victim-3", Protocol.MQTT3, Map.of()))) {
        assertOnlyFleetFlagsUpdates(operator, List.of(mqtt5, mqtt3));
      }
    }
  }


  @Test
  void aRetainedMessageOnADevicesOwnTopicIsNeverDeliveredToIt() throws Exception {
    try (EmbeddedBroker broker = EmbeddedBroker.startAlongside(setup(), AlongsideExtension.embedded())) {
      assertTrue(broker.extensionStarted(), broker::log);
      // Planted after FleetFlags' start, past its clean-up, as another extension could.
      for (String topic : List.of("flags/late-5", "flags/late-3")) {
        Services.retainedMessageStore()
            .addOrReplace(
                RetainedPublish.builder()
                    .topic(topic)
                    .qos(Qos.AT_LEAST_ONCE)
                    .payload(ByteBuffer.wrap(forgery()))
                    .build())
            .get(30, TimeUnit.SECONDS);
      }
      try (Mqtt5Device watcher =
          Mqtt5Device.with(broker, "ops-watch")
              .credentials(Operator.USERNAME, Operator.PASSWORD)
              .connect()) {
        assertFalse(watcher.subscribe("flags/late-5").isError());
        assertEquals(
            "forged",
            FlagUpdate.parseFrom(watcher.payload(watcher.awaitMessage())).getFlags(0).getKey(),
            "an operator's subscription shows the retained message is there");
      }
      try (Operator operator = Operator.mqtt5(broker, "ops-late");
          Device mqtt5 = Device.online(broker, new Device.Spec("late-5", Protocol.MQTT5, Map.of()));
          Device mqtt3 = Device.online(broker, new Device.Spec("late-3", Protocol.MQTT3, Map.of()))) {
        assertOnlyFleetFlagsUpdates(operator, List.of(mqtt5, mqtt3));
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError("planting the retained message failed", e);
    }
  }

  /**
   * The devices' first update is FleetFlags' snapshot, and after a change (whose delta comes after
   * anything the broker sends on subscribing) nothing they received was forged.
   */
  private static void assertOnlyFleetFlagsUpdates(Operator operator, List<Device> devices) {
    for (Device d : devices) {
      FlagUpdate first = d.received().get(0);
      assertTrue(first.getSnapshot(), () -> d + ": " + first);
      assertEquals(1, first.getRevision(), () -> d + " got the seed's revision: " + first);
    }
    accepted(operator.apply(SEED.replace("\"defaultVariant\": \"real\"", "\"defaultVariant\": \"other\"")));
    for (Device d : devices) {
      d.awaitHeld(h -> "other".equals(h.values().get("mode")), "mode = other");
      for (FlagUpdate u : d.received()) {
        assertFalse(Scenarios.keys(u).contains("forged"), () -> d + " received a forgery: " + d.received());
      }
      d.assertHolds(operator.evaluated(d.clientId()));
    }
  }

  private static void awaitLog(EmbeddedBroker broker, String line) {
    long deadline = System.nanoTime() + MqttDevice.WAIT.toNanos();
    while (!broker.log().contains(line)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no log line \"" + line + "\" within " + MqttDevice.WAIT + ":\n" + broker.log());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
