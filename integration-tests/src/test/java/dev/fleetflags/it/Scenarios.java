package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the scenarios share: how their brokers are set up, flag documents, reading updates, and
 * closing what they opened.
 */
final class Scenarios {

  private Scenarios() {}

  /** Small enough that an oversized request is cheap to send. */
  static final int MAX_DOCUMENT_BYTES = 65_536;

  /** MQTT 5 CONNECT user properties the admin and device scenarios' brokers take as attributes. */
  static final String ALLOWED_PROPERTY = "model";

  /**
   * The packaged extension letting devices in (no other security extension needed), with one
   * operator ({@value Operator#USERNAME}), these CONNECT user properties allowed as attributes, and
   * {@code more} settings (elements of {@code <fleetflags>}).
   */
  static ExtensionSetup open(List<String> attributes, String more) {
    StringBuilder userProperties = new StringBuilder();
    attributes.forEach(a -> userProperties.append("<user-property>").append(a).append("</user-property>"));
    return ExtensionSetup.asPackaged()
        .withConfig(
            """
            <fleetflags>
                <device-authentication>allow</device-authentication>
                %s
                <operators>
                    <operator><username>%s</username><password-hash>%s</password-hash></operator>
                </operators>
                %s
            </fleetflags>
            """
                .formatted(
                    attributes.isEmpty() ? "" : "<attributes>" + userProperties + "</attributes>",
                    Operator.USERNAME,
                    Operator.PASSWORD_HASH,
                    more));
  }

  /**
   * The admin and device scenarios' broker: {@value #ALLOWED_PROPERTY} allowed as attribute, the
   * operator's admin write limit as given and its query limit high (the scenarios' own requests
   * must not reach them unless they mean to).
   */
  static ExtensionSetup setup(int adminRequestsPerSecond) {
    return open(
        List.of(ALLOWED_PROPERTY),
        """
        <limits>
            <max-document-bytes>%d</max-document-bytes>
            <admin-requests-per-second>%d</admin-requests-per-second>
            <admin-queries-per-second>10000</admin-queries-per-second>
        </limits>"""
            .formatted(MAX_DOCUMENT_BYTES, adminRequestsPerSecond));
  }

  /** The set up for scenarios that do not test the rate limit. */
  static final ExtensionSetup SETUP = setup(10_000);

  /** A flagd document of flag entries ({@code "key": {...}}). */
  static String document(String... flags) {
    return "{\"flags\": {" + String.join(",\n", flags) + "}}";
  }

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

  /** Subscribes an MQTT 5 device to its flag topic and returns the update that follows. */
  static FlagUpdate subscribe(Mqtt5Device device) {
    assertEquals(Mqtt5SubAckReasonCode.GRANTED_QOS_1, device.subscribe(device.flagTopic()));
    return device.awaitUpdate();
  }

  static FlagUpdate subscribe(Mqtt3Device device) {
    assertEquals(Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_1, device.subscribe(device.flagTopic()));
    return device.awaitUpdate();
  }

  /** What a new MQTT 5 device, connecting now without attributes, holds after its snapshot. */
  static HeldFlags newDevice(FleetFlagsBroker broker, String clientId) {
    try (Mqtt5Device device = Mqtt5Device.connect(broker, clientId)) {
      FlagUpdate snapshot = subscribe(device);
      assertEquals(true, snapshot.getSnapshot(), snapshot::toString);
      return new HeldFlags().apply(snapshot);
    }
  }

  /** The keys of the flags an update sets. */
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
