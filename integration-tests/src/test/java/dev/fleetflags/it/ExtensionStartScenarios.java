package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * How the packaged extension starts, or refuses to, on a real broker. Written once, run against
 * every kind of {@link FleetFlagsBroker} by the subclasses.
 */
abstract class ExtensionStartScenarios {

  /**
   * Starts a broker with the zip unpacked and the setup applied.
   *
   * @param expectStart whether the scenario expects FleetFlags to start (a container waits for it)
   */
  abstract FleetFlagsBroker start(ExtensionSetup setup, boolean expectStart);

  static final String FLAGS =
      """
      {"flags": {"beta": {"state": "ENABLED", "variants": {"on": true, "off": false},
                          "defaultVariant": "off"}}}""";

  @Test
  void startsFromThePackagedZipWithItsDefaults() {
    try (FleetFlagsBroker broker = start(ExtensionSetup.asPackaged(), true)) {
      assertTrue(broker.extensionStarted(), broker.logTail());
      assertTrue(
          broker
              .log()
              .contains("started: device topic flags/{clientId}, admin topics flags-admin/#"),
          broker.logTail());
      assertEquals(
          ExtensionZip.fromBuild().version(),
          FleetFlagsBroker.STARTED
              .matcher(broker.log())
              .results()
              .findFirst()
              .orElseThrow()
              .group(1));
      brokerServesMqtt5AndMqtt311Clients(broker);
    }
  }

  @Test
  void usesTheConfigurationAndSeedFileInItsFolder() {
    ExtensionSetup setup =
        ExtensionSetup.asPackaged()
            .withConfig(
                """
<fleetflags>
    <device-topic>fleet/{clientId}/flags</device-topic>
    <admin-topic-prefix>fleet-admin</admin-topic-prefix>
    <seed-file>%s</seed-file>
    <attributes><user-property>model</user-property></attributes>
    <operators>
        <operator><certificate-common-name>ci.example.com</certificate-common-name></operator>
    </operators>
</fleetflags>
"""
                    .formatted(ExtensionSetup.SEED_FILE))
            .withSeedFlags(FLAGS);
    try (FleetFlagsBroker broker = start(setup, true)) {
      assertTrue(broker.extensionStarted(), broker.logTail());
      String log = broker.log();
      assertTrue(log.contains("device topic fleet/{clientId}/flags"), broker.logTail());
      assertTrue(log.contains("admin topics fleet-admin/#"), broker.logTail());
      assertTrue(log.contains("seed-flags.json"), broker.logTail());
      assertTrue(log.contains("attribute user properties [model]"), broker.logTail());
      assertTrue(log.contains("operators [ci.example.com (certificate)]"), broker.logTail());
    }
  }

  @Test
  void anInvalidConfigurationPreventsTheStartWithTheReason() {
    ExtensionSetup setup =
        ExtensionSetup.asPackaged()
            .withConfig(
                """
                <fleetflags>
                    <device-topic>flags/+/{clientId}</device-topic>
                    <limits><max-depth>0</max-depth></limits>
                </fleetflags>
                """);
    try (FleetFlagsBroker broker = start(setup, false)) {
      assertFalse(broker.extensionStarted(), broker.logTail());
      String reason =
          broker
              .startPreventedReason()
              .orElseThrow(() -> new AssertionError("no refusal in the log:\n" + broker.logTail()));
      assertTrue(reason.contains("config.xml: setting device-topic (line 2)"), reason);
      assertTrue(reason.contains("'flags/+/{clientId}' contains a wildcard"), reason);
      assertTrue(reason.contains("setting limits/max-depth (line 3)"), reason);
      assertTrue(reason.contains("'0' is below the minimum of 1"), reason);
      // The broker itself keeps serving; only FleetFlags is off.
      brokerServesMqtt5AndMqtt311Clients(broker);
    }
  }

  @Test
  void aConfigurationThatIsNotXmlPreventsTheStart() {
    ExtensionSetup setup = ExtensionSetup.asPackaged().withConfig("<fleetflags>\n<limits>\n");
    try (FleetFlagsBroker broker = start(setup, false)) {
      String reason =
          broker
              .startPreventedReason()
              .orElseThrow(() -> new AssertionError("no refusal in the log:\n" + broker.logTail()));
      assertTrue(reason.contains("conf/config.xml: the file is not well-formed XML"), reason);
      assertFalse(broker.log().contains("\tat dev.fleetflags"), "a stack trace:\n" + broker.log());
    }
  }

  /** A message from an MQTT 3.1.1 client reaches an MQTT 5 client through the broker. */
  static void brokerServesMqtt5AndMqtt311Clients(FleetFlagsBroker broker) {
    try (Mqtt5Device receiver = Mqtt5Device.connect(broker, "it-receiver");
        Mqtt3Device sender = Mqtt3Device.connect(broker, "it-sender")) {
      assertFalse(receiver.subscribe("it/echo").isError());
      sender.publish("it/echo", "hello");
      Mqtt5Publish message = receiver.awaitMessage();
      assertEquals("it/echo", message.getTopic().toString());
      assertEquals("hello", new String(message.getPayloadAsBytes(), StandardCharsets.UTF_8));
    }
  }
}
