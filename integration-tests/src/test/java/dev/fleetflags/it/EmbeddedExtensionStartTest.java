package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The start scenarios on HiveMQ CE embedded in this JVM, plus what only it can show. */
class EmbeddedExtensionStartTest extends ExtensionStartScenarios {

  @Override
  FleetFlagsBroker start(ExtensionSetup setup, boolean expectStart) {
    return EmbeddedBroker.start(setup);
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

  @Test
  void restartsOnTheSameFolders() throws Exception {
    try (EmbeddedBroker broker = EmbeddedBroker.start(ExtensionSetup.asPackaged())) {
      Path marker = broker.dataFolder().resolve("marker");
      Files.writeString(marker, "kept");
      broker.restart();
      assertEquals(
          2, FleetFlagsBroker.STARTED.matcher(broker.log()).results().count(), broker.logTail());
      assertEquals("kept", Files.readString(marker));
      brokerServesMqtt5AndMqtt311Clients(broker);
    }
  }

  @Test
  void requestsGetTheAnswerCarryingTheirCorrelationData() {
    try (EmbeddedBroker broker = EmbeddedBroker.start(ExtensionSetup.asPackaged());
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
