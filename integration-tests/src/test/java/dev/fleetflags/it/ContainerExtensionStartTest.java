package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The start scenarios on the official HiveMQ CE image (hivemq/hivemq-ce:2025.5) through the
 * HiveMQ Testcontainers module. Skipped, with the reason, where no Docker engine runs.
 */
@ExtendWith(DockerEngine.class)
class ContainerExtensionStartTest extends ExtensionStartScenarios<ContainerBroker> {

  @Override
  ContainerBroker start(ExtensionSetup setup, boolean expectStart) {
    return ContainerBroker.start(setup, expectStart);
  }

  /** The image's allow-all extension admits the clients FleetFlags delegates by default. */
  @Test
  void withTheDefaultsTheImagesAllowAllExtensionAdmitsDevices() {
    FleetFlagsBroker broker = shared(ExtensionSetup.asPackaged());
    try (Mqtt5Device mqtt5 = Mqtt5Device.connect(broker, "dev-1");
        Mqtt3Device mqtt3 = Mqtt3Device.connect(broker, "dev-2")) {
      assertTrue(broker.extensionStarted(), broker.logTail());
      assertEquals(Mqtt5SubAckReasonCode.GRANTED_QOS_1, mqtt5.subscribe("flags/dev-1"));
      assertEquals(Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_1, mqtt3.subscribe("flags/dev-2"));
    }
  }
}
