package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * How the packaged extension starts, or refuses to, on a real broker, and that what starts is
 * wired up. Written once, run against every kind of {@link FleetFlagsBroker} by the subclasses.
 *
 * <p>Scenarios that start FleetFlags as packaged, or seeded and open, share one broker per setup
 * (see {@link #shared}): they only read its log and connect clients of their own ids. Scenarios
 * that need a configuration of their own, or a broker without FleetFlags, start their own.
 *
 * @param <B> the kind of broker
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ExtensionStartScenarios<B extends FleetFlagsBroker> {

  /**
   * Starts a broker with the zip unpacked and the setup applied.
   *
   * @param expectStart whether the scenario expects FleetFlags to start (a container waits for it)
   */
  abstract B start(ExtensionSetup setup, boolean expectStart);

  private final Map<ExtensionSetup, B> shared = new LinkedHashMap<>();

  /** The class's broker with this setup, started when a scenario first asks for it. */
  B shared(ExtensionSetup setup) {
    return shared.computeIfAbsent(setup, s -> start(s, true));
  }

  @AfterAll
  void stopSharedBrokers() {
    Scenarios.close(shared.values().toArray(AutoCloseable[]::new));
  }

  static final String FLAGS =
      """
      {"flags": {"beta": {"state": "ENABLED", "variants": {"on": true, "off": false},
                          "defaultVariant": "off"}}}""";

  /** Seeded, with one operator, letting devices in (no other security extension needed). */
  static final ExtensionSetup SEEDED_OPEN =
      Scenarios.open(List.of(), "<seed-file>%s</seed-file>".formatted(ExtensionSetup.SEED_FILE))
          .withSeedFlags(FLAGS);

  @Test
  void startsFromThePackagedZipWithItsDefaults() {
    FleetFlagsBroker broker = shared(ExtensionSetup.asPackaged());
    assertTrue(broker.extensionStarted(), broker.logTail());
    assertTrue(
        broker.log().contains("device topic flags/{clientId}, admin topics flags-admin/#"),
        broker.logTail());
    assertEquals(
        ExtensionZip.fromBuild().version(),
        FleetFlagsBroker.STARTED.matcher(broker.log()).results().findFirst().orElseThrow().group(1));
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
                        <operator>
                            <certificate-common-name>ci.example.com</certificate-common-name>
                        </operator>
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
      assertTrue(log.contains("seed-flags.json applied"), broker.logTail());
      assertTrue(log.contains("attribute user properties [model]"), broker.logTail());
      assertTrue(log.contains("operators [ci.example.com (certificate)]"), broker.logTail());
    }
  }

  /** The parts are registered: authentication, topic authorization, delivery. */
  @Test
  void startedFromTheZipItServesDevicesTheirOwnFlagsOnly() throws Exception {
    FleetFlagsBroker broker = shared(SEEDED_OPEN);
    try (Mqtt5Device device = Mqtt5Device.connect(broker, "dev-1")) {
      assertEquals(Mqtt5SubAckReasonCode.GRANTED_QOS_1, device.subscribe("flags/dev-1"));
      Mqtt5Publish update = device.awaitMessage();
      assertEquals("flags/dev-1", update.getTopic().toString());
      FlagUpdate snapshot = FlagUpdate.parseFrom(update.getPayloadAsBytes());
      assertTrue(snapshot.getSnapshot(), snapshot::toString);
      assertEquals("beta", snapshot.getFlags(0).getKey(), snapshot::toString);
      assertFalse(snapshot.getFlags(0).getBool(), snapshot::toString);
      assertEquals(Mqtt5SubAckReasonCode.NOT_AUTHORIZED, device.subscribe("flags/dev-2"));
      assertEquals(Mqtt5SubAckReasonCode.NOT_AUTHORIZED, device.subscribe("flags/+"));
    }
    try (Mqtt3Device device = Mqtt3Device.connect(broker, "dev-3")) {
      assertEquals(Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_1, device.subscribe("flags/dev-3"));
      Mqtt3Publish update = device.awaitMessage();
      assertEquals("flags/dev-3", update.getTopic().toString());
      assertEquals(Mqtt3SubAckReturnCode.FAILURE, device.subscribe("flags/#"));
    }
  }

  /**
   * A client whose id is a wildcard has a flag topic that is a filter over every device's: it may
   * not subscribe to it (found by DeviceInputFuzzTest; it received every device's flags).
   */
  @Test
  void aClientWhoseIdIsAWildcardCannotSubscribeToEveryDevicesFlags() {
    FleetFlagsBroker broker = shared(SEEDED_OPEN);
    try (Mqtt5Device plus = Mqtt5Device.connect(broker, "+")) {
      assertEquals(Mqtt5SubAckReasonCode.NOT_AUTHORIZED, plus.subscribe("flags/+"));
    }
    try (Mqtt3Device hash = Mqtt3Device.connect(broker, "#")) {
      assertEquals(Mqtt3SubAckReturnCode.FAILURE, hash.subscribe("flags/#"));
    }
  }

  /**
   * An operator subscribes to its answers and gets them; devices FleetFlags let in use the
   * broker's other topics.
   */
  @Test
  void operatorsGetTheirAnswersAndDevicesKeepTheBrokersOtherTopics() {
    FleetFlagsBroker broker = shared(SEEDED_OPEN);
    try (Mqtt5Device operator =
        Mqtt5Device.with(broker, "ops-1").credentials("ops", Operator.PASSWORD).connect()) {
      String answer =
          operator.request("flags-admin/query/flags", "{}", "flags-admin/responses/ops-1");
      assertTrue(answer.contains("beta"), answer);
    }
    brokerServesMqtt5AndMqtt311Clients(broker);
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
