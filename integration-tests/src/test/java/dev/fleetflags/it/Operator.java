package dev.fleetflags.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;

/**
 * A FleetFlags operator on the admin protocol, as the README describes it: JSON requests published
 * under {@code flags-admin/}, answers parsed. An MQTT 5 operator names a response topic of its own
 * ({@code it/answers/<clientId>}, not the default one) and matches the answer by its correlation
 * data; an MQTT 3.1.1 operator reads {@code flags-admin/responses/<clientId>}.
 */
final class Operator implements AutoCloseable {

  static final String USERNAME = "ops";
  static final String PREFIX = "flags-admin/";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String clientId;
  private final Mqtt5Device mqtt5;
  private final Mqtt3Device mqtt3;

  private Operator(String clientId, Mqtt5Device mqtt5, Mqtt3Device mqtt3) {
    this.clientId = clientId;
    this.mqtt5 = mqtt5;
    this.mqtt3 = mqtt3;
  }

  /** An MQTT 5 operator signed in as {@value #USERNAME}. */
  static Operator mqtt5(FleetFlagsBroker broker, String clientId) {
    return new Operator(
        clientId,
        Mqtt5Device.with(broker, clientId)
            .credentials(USERNAME, ExtensionStartScenarios.OPERATOR_PASSWORD)
            .connect(),
        null);
  }

  /** An MQTT 3.1.1 operator signed in as {@value #USERNAME}, subscribed to its answers. */
  static Operator mqtt3(FleetFlagsBroker broker, String clientId) {
    Mqtt3Device client =
        Mqtt3Device.connect(broker, clientId, USERNAME, ExtensionStartScenarios.OPERATOR_PASSWORD);
    assertEquals(
        Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_1, client.subscribe(responsesTopic(clientId)));
    return new Operator(clientId, null, client);
  }

  static String responsesTopic(String clientId) {
    return PREFIX + "responses/" + clientId;
  }

  String clientId() {
    return clientId;
  }

  /**
   * Publishes a request to {@code flags-admin/<action>} and returns its answer.
   *
   * @param action the topic below the admin prefix, e.g. {@code flags/apply}
   */
  JsonNode send(String action, String json) {
    return send(action, json.getBytes(UTF_8));
  }

  JsonNode send(String action, byte[] payload) {
    if (mqtt5 != null) {
      return parse(
          mqtt5.request(PREFIX + action, new String(payload, UTF_8), "it/answers/" + clientId));
    }
    mqtt3.publish(PREFIX + action, payload);
    var answer = mqtt3.awaitMessage();
    assertEquals(responsesTopic(clientId), answer.getTopic().toString());
    return parse(new String(answer.getPayloadAsBytes(), UTF_8));
  }

  JsonNode apply(String document) {
    return send("flags/apply", document);
  }

  JsonNode replace(String document) {
    return send("flags/replace", document);
  }

  JsonNode delete(String request) {
    return send("flags/delete", request);
  }

  JsonNode attributes(String request) {
    return send("devices/attributes", request);
  }

  JsonNode queryFlags() {
    return send("query/flags", "{}");
  }

  JsonNode evaluate(String device) {
    return send("query/evaluate", "{\"device\": \"" + device + "\"}");
  }

  JsonNode history(int limit) {
    return send("query/history", "{\"limit\": " + limit + "}");
  }

  /** The store's revision, from query/flags. */
  long revision() {
    return queryFlags().get("revision").asLong();
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }

  @Override
  public void close() {
    if (mqtt5 != null) {
      mqtt5.close();
    } else {
      mqtt3.close();
    }
  }
}
