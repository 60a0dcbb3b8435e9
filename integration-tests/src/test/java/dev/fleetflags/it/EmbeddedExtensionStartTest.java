package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The start scenarios on HiveMQ CE embedded in this JVM, plus what only it can show. */
class EmbeddedExtensionStartTest extends ExtensionStartScenarios<EmbeddedBroker> {

  @Override
  EmbeddedBroker start(ExtensionSetup setup, boolean expectStart) {
    return EmbeddedBroker.start(setup);
  }

  /**
   * With the default device-authentication (delegate) FleetFlags leaves non-operators to other
   * security extensions; the embedded broker has none, so they are refused.
   */
  @Test
  void withTheDefaultsOtherClientsAreRefusedWhereNoOtherExtensionAdmitsThem() {
    EmbeddedBroker broker = shared(ExtensionSetup.asPackaged());
    Mqtt5ConnAckException mqtt5 =
        assertThrows(Mqtt5ConnAckException.class, () -> Mqtt5Device.connect(broker, "dev-1"));
    assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, mqtt5.getMqttMessage().getReasonCode());
    Mqtt3ConnAckException mqtt3 =
        assertThrows(Mqtt3ConnAckException.class, () -> Mqtt3Device.connect(broker, "dev-2"));
    assertEquals(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED, mqtt3.getMqttMessage().getReturnCode());
  }

  @Test
  void withoutAConfigurationFileItStartsWithTheDefaultsAndSaysSo() {
    try (EmbeddedBroker broker =
        EmbeddedBroker.start(ExtensionSetup.asPackaged().withoutFile("conf/config.xml"))) {
      assertTrue(broker.extensionStarted(), broker.logTail());
      assertTrue(broker.log().contains("no configuration file"), broker.logTail());
      assertTrue(
          broker.log().contains("data folder " + broker.dataFolder().resolve("fleetflags")),
          broker.logTail());
    }
  }

  /**
   * On the seeded broker the other scenarios share: they only connect clients, which a restart
   * leaves to reconnect, and this is the only one that restarts it.
   */
  @Test
  void restartsOnTheSameFoldersWithItsStore() throws Exception {
    EmbeddedBroker broker = shared(SEEDED_OPEN);
    Path marker = broker.dataFolder().resolve("marker");
    Files.writeString(marker, "kept");
    broker.restart();
    assertEquals(
        2, FleetFlagsBroker.STARTED.matcher(broker.log()).results().count(), broker.logTail());
    assertEquals("kept", Files.readString(marker));
    // The store survived: the seed is not applied twice, and its flags are served.
    assertTrue(
        broker.log().contains("not applied: the store already holds flags"), broker.logTail());
    try (Mqtt5Device device = Mqtt5Device.connect(broker, "dev-restart")) {
      device.subscribe("flags/dev-restart");
      assertTrue(device.awaitMessage().getPayloadAsBytes().length > 0);
    }
  }

  /** The harness's MQTT 5 request/response, on the broker without FleetFlags. */
  @Test
  void requestsGetTheAnswerCarryingTheirCorrelationData() {
    try (EmbeddedBroker broker = EmbeddedBroker.start(ExtensionSetup.asPackaged().disabled());
        Mqtt5Device responder = Mqtt5Device.connect(broker, "it-responder");
        Mqtt5Device requester = Mqtt5Device.connect(broker, "it-requester")) {
      responder.subscribe("it/requests");
      Thread answering =
          new Thread(
              () -> {
                Mqtt5Publish request = responder.awaitMessage();
                responder.respond(
                    request,
                    "re: " + new String(request.getPayloadAsBytes(), StandardCharsets.UTF_8));
              });
      answering.start();
      assertEquals("re: ping", requester.request("it/requests", "ping", "it/responses/requester"));
      answering.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
