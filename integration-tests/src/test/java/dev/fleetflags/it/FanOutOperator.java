package dev.fleetflags.it;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * An operator over MQTT 5 request/response: writes flags and registry attributes, and asks the
 * extension what it evaluates for a device. Every answer is checked for the expected status.
 */
final class FanOutOperator implements AutoCloseable {

  /** Integers as longs, so that they equal the {@code sint64} values devices receive. */
  static final ObjectMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.USE_LONG_FOR_INTS).build();

  private final Mqtt5Device client;

  private FanOutOperator(Mqtt5Device client) {
    this.client = client;
  }

  /** Signs in as the operator of {@link ExtensionStartScenarios#OPERATOR_HASH}. */
  static FanOutOperator connect(FleetFlagsBroker broker, String clientId) {
    return new FanOutOperator(
        Mqtt5Device.with(broker, clientId)
            .credentials("ops", ExtensionStartScenarios.OPERATOR_PASSWORD)
            .connect());
  }

  /** {@code flags-admin/flags/apply}; the answer, which must be "accepted". */
  JsonNode apply(String flagdDocument) {
    return request("flags/apply", flagdDocument, "accepted");
  }

  /** {@code flags-admin/flags/delete}; the answer, which must be "accepted". */
  JsonNode delete(String request) {
    return request("flags/delete", request, "accepted");
  }

  /** {@code flags-admin/devices/attributes}; the answer, which must be "accepted". */
  JsonNode attributes(String request) {
    return request("devices/attributes", request, "accepted");
  }

  /** {@code flags-admin/query/evaluate} for a device. */
  Evaluated evaluate(String device) {
    JsonNode answer = request("query/evaluate", "{\"device\":\"" + device + "\"}", "ok");
    Map<String, JsonNode> values = new LinkedHashMap<>();
    answer
        .get("flags")
        .fields()
        .forEachRemaining(
            e -> {
              // Flags without a variant are not in the device's set; it uses its own default.
              if (e.getValue().hasNonNull("variant")) {
                values.put(e.getKey(), e.getValue().get("value"));
              }
            });
    return new Evaluated(
        values,
        Integer.parseUnsignedInt(answer.get("stateHash").asText(), 16),
        answer.get("revision").asLong());
  }

  /**
   * What the extension evaluates for a device.
   *
   * @param values the value of each flag in the device's set
   * @param stateHash the hash of that set
   */
  record Evaluated(Map<String, JsonNode> values, int stateHash, long revision) {

    /** Keys whose value differs from {@code before}, or that appeared or disappeared since. */
    Set<String> changedSince(Evaluated before) {
      Set<String> keys = new TreeSet<>(before.values.keySet());
      keys.addAll(values.keySet());
      keys.removeIf(key -> Objects.equals(before.values.get(key), values.get(key)));
      return keys;
    }
  }

  private JsonNode request(String topic, String payload, String status) {
    String answer =
        client.request(
            "flags-admin/" + topic, payload, "flags-admin/responses/" + client.clientId());
    JsonNode json;
    try {
      json = JSON.readTree(answer);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!status.equals(json.path("status").asText())) {
      throw new AssertionError("flags-admin/" + topic + " answered " + answer);
    }
    return json;
  }

  @Override
  public void close() {
    client.close();
  }
}
