package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the admin and device scenarios share: how their broker is set up, reading updates, and
 * comparing what a device holds with what the admin protocol says.
 */
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

  // --- comparisons -----------------------------------------------------------------------------

  /**
   * The device holds exactly the flags query/evaluate gives a value for, with those values, and the
   * state hash it reports.
   */
  static void assertHolds(HeldFlags held, JsonNode evaluation) {
    assertEquals("ok", evaluation.get("status").asText(), evaluation::toString);
    Set<String> valued = new TreeSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = evaluation.get("flags").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode value = e.getValue().get("value");
      if (value == null || value.isNull()) {
        continue;
      }
      valued.add(e.getKey());
      Flag flag = held.flags().get(e.getKey());
      if (flag != null) {
        assertTrue(
            sameValue(flag, value),
            e.getKey() + ": the device holds " + flag + ", query/evaluate says " + value);
      }
    }
    assertEquals(valued, held.flags().keySet(), evaluation::toString);
    assertEquals(evaluation.get("stateHash").asText(), held.stateHashText());
  }

  private static boolean sameValue(Flag flag, JsonNode value) {
    return switch (flag.getValueCase()) {
      case BOOL -> value.isBoolean() && value.asBoolean() == flag.getBool();
      case INT -> value.isIntegralNumber() && value.asLong() == flag.getInt();
      case DOUBLE -> value.isNumber() && value.asDouble() == flag.getDouble();
      case STRING -> value.isTextual() && value.asText().equals(flag.getString());
      case JSON -> value.equals(Operator.parse(flag.getJson().toStringUtf8()));
      case VALUE_NOT_SET -> false;
    };
  }

  static Set<String> keys(FlagUpdate update) {
    Set<String> keys = new TreeSet<>();
    update.getFlagsList().forEach(f -> keys.add(f.getKey()));
    return keys;
  }

  static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(n -> texts.add(n.asText()));
    return texts;
  }
}
