package dev.fleetflags.openfeature;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A FleetFlags operator on the admin protocol as the README gives it: JSON requests under {@code
 * flags-admin/}, each answered on its MQTT 5 response topic with its correlation data.
 */
final class Operator implements AutoCloseable {

  /** Integers as longs, as devices hold them (sint64). */
  static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_LONG_FOR_INTS).build();

  private final Mqtt5AsyncClient client;
  private final String answers;
  private final Map<ByteBuffer, CompletableFuture<String>> waiting = new ConcurrentHashMap<>();

  Operator(Broker broker, String clientId) {
    this.client = MqttClient.builder().identifier(clientId).serverHost(broker.host()).serverPort(broker.port())
        .useMqttVersion5().buildAsync();
    this.answers = "e2e/answers/" + clientId;
    connect();
  }

  private void connect() {
    join(client.connectWith().simpleAuth().username(Broker.OPERATOR)
        .password(Broker.OPERATOR_PASSWORD.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send());
    join(client.subscribeWith().topicFilter(answers).qos(MqttQos.AT_LEAST_ONCE).callback(this::answered).send());
  }

  /** Connects again after the broker restarted. */
  void reconnect() {
    if (client.getState().isConnected()) {
      join(client.disconnect());
    }
    connect();
  }

  private void answered(Mqtt5Publish answer) {
    answer.getCorrelationData().ifPresent(c -> {
      CompletableFuture<String> f = waiting.remove(c);
      if (f != null) {
        f.complete(StandardCharsets.UTF_8.decode(answer.getPayload().orElse(ByteBuffer.allocate(0))).toString());
      }
    });
  }

  /** Publishes a request to {@code flags-admin/<action>} and returns its answer. */
  JsonNode send(String action, String json) {
    ByteBuffer correlation = ByteBuffer.wrap(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
    CompletableFuture<String> answer = new CompletableFuture<>();
    waiting.put(correlation, answer);
    join(client.publishWith().topic("flags-admin/" + action).qos(MqttQos.AT_LEAST_ONCE)
        .payload(json.getBytes(StandardCharsets.UTF_8)).responseTopic(answers).correlationData(correlation).send());
    return parse(join(answer));
  }

  /** A write, which must be accepted. */
  JsonNode accepted(String action, String json) {
    JsonNode answer = send(action, json);
    if (!"accepted".equals(answer.path("status").asText())) {
      throw new AssertionError(action + " " + json + " was answered " + answer);
    }
    return answer;
  }

  /** {@code query/evaluate}: what the device should hold. */
  Evaluated evaluate(String device) {
    JsonNode answer = send("query/evaluate", "{\"device\": \"" + device + "\"}");
    if (!"ok".equals(answer.path("status").asText())) {
      throw new AssertionError("query/evaluate for " + device + " was answered " + answer);
    }
    Map<String, JsonNode> values = new LinkedHashMap<>();
    Map<String, String> variants = new LinkedHashMap<>();
    answer.get("flags").fields().forEachRemaining(e -> {
      // a flag without a value is not in the device's set: the device uses its own default
      if (e.getValue().hasNonNull("value")) {
        values.put(e.getKey(), e.getValue().get("value"));
        variants.put(e.getKey(), e.getValue().path("variant").asText());
      }
    });
    return new Evaluated(device, answer.path("connected").asBoolean(), values, variants,
        answer.get("stateHash").asText(), answer.get("revision").asLong());
  }

  /** What {@code query/evaluate} says a device should hold (values as the answer writes them). */
  record Evaluated(String device, boolean connected, Map<String, JsonNode> values, Map<String, String> variants,
      String stateHash, long revision) {}

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }

  private static <T> T join(CompletableFuture<T> future) {
    try {
      return future.get(Waiting.WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("no answer within " + Waiting.WAIT, e);
    }
  }

  @Override
  public void close() {
    client.disconnect();
  }
}
