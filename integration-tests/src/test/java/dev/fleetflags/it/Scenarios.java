package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.InvalidProtocolBufferException;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.fleetflags.proto.v1.FlagUpdate;

/** What the admin and device scenarios share: how their broker is set up, and reading updates. */
final class Scenarios {

  private Scenarios() {}

  /** Small enough that an oversized request is cheap to send. */
  static final int MAX_DOCUMENT_BYTES = 65_536;

  /** MQTT 5 CONNECT user properties the scenarios' brokers take as attributes. */
  static final String ALLOWED_PROPERTY = "model";

  /**
   * Devices let in, one operator ({@value Operator#USERNAME}), {@value #ALLOWED_PROPERTY} allowed
   * as attribute, and the admin rate limit as given (the scenarios' own requests must not reach it
   * unless they mean to).
   */
  static ExtensionSetup setup(int adminRequestsPerSecond) {
    return ExtensionSetup.asPackaged()
        .withConfig(
            """
            <fleetflags>
                <device-authentication>allow</device-authentication>
                <attributes><user-property>%s</user-property></attributes>
                <operators>
                    <operator><username>%s</username><password-hash>%s</password-hash></operator>
                </operators>
                <limits>
                    <max-document-bytes>%d</max-document-bytes>
                    <admin-requests-per-second>%d</admin-requests-per-second>
                </limits>
            </fleetflags>
            """
                .formatted(
                    ALLOWED_PROPERTY,
                    Operator.USERNAME,
                    ExtensionStartScenarios.OPERATOR_HASH,
                    MAX_DOCUMENT_BYTES,
                    adminRequestsPerSecond));
  }

  /** The set up for scenarios that do not test the rate limit. */
  static final ExtensionSetup SETUP = setup(10_000);

  /** Closes what was opened, in this order; parts never opened (null) are passed over. */
  static void close(AutoCloseable... parts) {
    for (AutoCloseable part : parts) {
      if (part != null) {
        try {
          part.close();
        } catch (Exception e) {
          throw new IllegalStateException("cannot close " + part, e);
        }
      }
    }
  }

  static String flagTopic(String clientId) {
    return "flags/" + clientId;
  }

  static FlagUpdate update(byte[] payload) {
    try {
      return FlagUpdate.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not a FlagUpdate", e);
    }
  }

  /** Subscribes an MQTT 5 device to its flag topic and returns the update that follows. */
  static FlagUpdate subscribe(Mqtt5Device device) {
    assertEquals(
        Mqtt5SubAckReasonCode.GRANTED_QOS_1, device.subscribe(flagTopic(device.clientId())));
    return next(device);
  }

  static FlagUpdate subscribe(Mqtt3Device device) {
    assertEquals(
        Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_1,
        device.subscribe(flagTopic(device.clientId())));
    return next(device);
  }

  /** The next update on the device's flag topic. */
  static FlagUpdate next(Mqtt5Device device) {
    Mqtt5Publish message = device.awaitMessage();
    assertEquals(flagTopic(device.clientId()), message.getTopic().toString());
    return update(message.getPayloadAsBytes());
  }

  static FlagUpdate next(Mqtt3Device device) {
    Mqtt3Publish message = device.awaitMessage();
    assertEquals(flagTopic(device.clientId()), message.getTopic().toString());
    return update(message.getPayloadAsBytes());
  }

  /** What a new MQTT 5 device, connecting now without attributes, holds after its snapshot. */
  static HeldFlags newDevice(FleetFlagsBroker broker, String clientId) {
    try (Mqtt5Device device = Mqtt5Device.connect(broker, clientId)) {
      FlagUpdate snapshot = subscribe(device);
      assertEquals(true, snapshot.getSnapshot(), snapshot::toString);
      return new HeldFlags().apply(snapshot);
    }
  }
}
