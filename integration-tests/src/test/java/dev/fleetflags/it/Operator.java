package dev.fleetflags.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A FleetFlags operator on the admin protocol, as the README describes it: JSON requests published
 * under {@code flags-admin/}, answers parsed. An MQTT 5 operator names a response topic of its own
 * ({@code it/answers/<clientId>}, not the default one) and matches the answer by its correlation
 * data; an MQTT 3.1.1 operator reads {@code flags-admin/responses/<clientId>}.
 */
final class Operator implements AutoCloseable {

  static final String USERNAME = "ops";
  static final String PREFIX = "flags-admin/";

  /** The password of {@value #USERNAME}. */
  static final String PASSWORD = "it-secret";

  /**
   * PBKDF2-SHA256 of {@value #PASSWORD}, salt "fleetflags-it-sa", 10,000 iterations (the fewest
   * FleetFlags accepts, to keep sign-in fast in tests).
   */
  static final String PASSWORD_HASH =
      "pbkdf2-sha256:10000:ZmxlZXRmbGFncy1pdC1zYQ==:un38uyuYPMK/lyg3EwQmuUMXDwMe75kTxMtUzYWBGvk=";

  /** Integers as longs, so that they equal the {@code sint64} values devices receive. */
  static final ObjectMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.USE_LONG_FOR_INTS).build();

  private final MqttDevice<?> client;

  private Operator(MqttDevice<?> client) {
    this.client = client;
  }

  /** An MQTT 5 operator signed in as {@value #USERNAME}. */
  static Operator mqtt5(FleetFlagsBroker broker, String clientId) {
    return new Operator(
        Mqtt5Device.with(broker, clientId).credentials(USERNAME, PASSWORD).connect());
  }

  /** An MQTT 3.1.1 operator signed in as {@value #USERNAME}, subscribed to its answers. */
  static Operator mqtt3(FleetFlagsBroker broker, String clientId) {
    Mqtt3Device client = Mqtt3Device.connect(broker, clientId, USERNAME, PASSWORD);
    assertEquals(
        Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_1, client.subscribe(responsesTopic(clientId)));
    return new Operator(client);
  }

  static String responsesTopic(String clientId) {
    return PREFIX + "responses/" + clientId;
  }

  String clientId() {
    return client.clientId();
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
    if (client instanceof Mqtt5Device mqtt5) {
      return parse(mqtt5.request(PREFIX + action, payload, "it/answers/" + clientId()));
    }
    Mqtt3Device mqtt3 = (Mqtt3Device) client;
    mqtt3.publish(PREFIX + action, payload);
    var answer = mqtt3.awaitMessage();
    assertEquals(responsesTopic(clientId()), answer.getTopic().toString());
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

  /** {@code devices/attributes} setting these attributes of these devices. */
  JsonNode attributes(Map<String, Map<String, String>> devices) {
    return attributes(JSON.createObjectNode().set("devices", JSON.valueToTree(devices)).toString());
  }

  JsonNode queryFlags() {
    return send("query/flags", "{}");
  }

  JsonNode evaluate(String device) {
    return send("query/evaluate", "{\"device\": \"" + device + "\"}");
  }

  /** {@code query/evaluate} for a device, read as what the device should hold. */
  Evaluated evaluated(String device) {
    return Evaluated.of(evaluate(device));
  }

  JsonNode history(int limit) {
    return send("query/history", "{\"limit\": " + limit + "}");
  }

  /** The store's revision, from query/flags. */
  long revision() {
    return queryFlags().get("revision").asLong();
  }

  /** The answer of a write, which must be "accepted". */
  static JsonNode accepted(JsonNode answer) {
    assertEquals("accepted", answer.path("status").asText(), answer::toString);
    return answer;
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }

  /**
   * What {@code query/evaluate} says a device should hold.
   *
   * @param values the value of each flag in the device's set, as the answer writes it
   * @param stateHash the hash of that set, as the answer writes it (8 hex digits)
   */
  record Evaluated(String device, Map<String, JsonNode> values, String stateHash, long revision) {

    /** Reads an answer of {@code query/evaluate}, which must be "ok". */
    static Evaluated of(JsonNode answer) {
      assertEquals("ok", answer.path("status").asText(), answer::toString);
      Map<String, JsonNode> values = new LinkedHashMap<>();
      answer
          .get("flags")
          .fields()
          .forEachRemaining(
              e -> {
                // A flag without a value (no variant) is not in the device's set: it uses its own
                // default.
                if (e.getValue().hasNonNull("value")) {
                  values.put(e.getKey(), e.getValue().get("value"));
                }
              });
      return new Evaluated(
          answer.get("device").asText(),
          values,
          answer.get("stateHash").asText(),
          answer.get("revision").asLong());
    }

    /** Keys whose value differs from {@code before}, or that appeared or disappeared since. */
    Set<String> changedSince(Evaluated before) {
      Set<String> keys = new TreeSet<>(before.values.keySet());
      keys.addAll(values.keySet());
      keys.removeIf(key -> Objects.equals(before.values.get(key), values.get(key)));
      return keys;
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
