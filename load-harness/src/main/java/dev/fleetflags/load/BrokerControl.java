package dev.fleetflags.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fleetflags.it.Mqtt5Device;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The harness's requests to its {@link ControlExtension} inside the broker, and FleetFlags' admin
 * requests, over the operator's MQTT 5 connection (request/response with correlation data).
 */
final class BrokerControl {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Mqtt5Device operator;
  private final Duration wait;
  /** Runs the operator's blocking requests, one at a time, so that waiting for them is bounded. */
  private final ExecutorService requests = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "load-operator");
    t.setDaemon(true);
    return t;
  });

  BrokerControl(Mqtt5Device operator, Duration wait) {
    this.operator = operator;
    this.wait = wait;
  }

  /** FleetFlags' answer to an admin request. */
  JsonNode admin(String action, String json) {
    return read(request("flags-admin/" + action, json, "flags-admin/responses/" + operator.clientId()));
  }

  /**
   * Has the broker publish {@code size} zero bytes, QoS 1, to each client's topic through its own
   * PublishService: all at once from one thread, or as {@code load.baselineWindow} (publishes
   * outstanding at most) and {@code load.baselineSpacingNanos} (a wait between publishes) say, in
   * the clients' order or, with {@code load.baselineShuffled}, in a shuffled one.
   *
   * @return how many publishes the broker took
   */
  long baseline(int size, String topicTemplate, List<String> clients) {
    ObjectNode request = JSON.createObjectNode().put("size", size).put("topic", topicTemplate)
        .put("window", Integer.getInteger("load.baselineWindow", 0))
        .put("spacingNanos", Long.getLong("load.baselineSpacingNanos", 0));
    List<String> order = clients;
    if (Boolean.getBoolean("load.baselineShuffled")) {
      order = new ArrayList<>(clients);
      Collections.shuffle(order, new Random(clients.size()));
    }
    order.forEach(request.putArray("clients")::add);
    JsonNode answer = control(ControlExtension.BASELINE, request);
    return answer.path("successful").asLong(-1);
  }

  /**
   * From now on the broker follows each SUBACK with one message of {@code size} zero bytes to the
   * client's topic of the template, through its PublishService; 0 stops it.
   */
  void firstMessage(String topicTemplate, int size) {
    control(ControlExtension.FIRST_MESSAGE,
        JSON.createObjectNode().put("topic", topicTemplate).put("size", size));
  }

  /**
   * The broker JVM's heap in use after three full GCs; the live objects by class go to the file
   * (the broker's own JVM writes it).
   */
  long heapAfterGc(Path histogram) {
    ObjectNode request = JSON.createObjectNode().put("gc", true);
    request.put("histogram", histogram.toAbsolutePath().toString());
    return control(ControlExtension.STATUS, request).get("heapUsed").asLong();
  }

  /** The broker's connections and FleetFlags' metrics ({@code fleetflags.*}) now. */
  JsonNode status() {
    return control(ControlExtension.STATUS, JSON.createObjectNode());
  }

  /** Asks for the status until it satisfies the condition, within the bound; false if it never did. */
  boolean awaitStatus(Predicate<JsonNode> condition) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!condition.test(status())) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  private JsonNode control(String topic, ObjectNode request) {
    JsonNode answer = read(request(topic, request.toString(),
        ControlExtension.PREFIX + "answers/" + operator.clientId()));
    if (answer.has("error")) {
      throw new IllegalStateException("the broker's load control failed: " + answer.get("error"));
    }
    return answer;
  }

  /**
   * The operator's request and its answer, within the bound: the client's blocking publish has
   * none of its own (it waits for the broker's PUBACK), the wait for the answer has 30 s.
   */
  private String request(String topic, String payload, String responseTopic) {
    Future<String> answer = requests.submit(() -> operator.request(topic, payload, responseTopic));
    try {
      return answer.get(wait.toMillis() + Mqtt5Device.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      answer.cancel(true);
      throw new IllegalStateException("the broker did not answer the request on " + topic + " within "
          + wait.plus(Mqtt5Device.WAIT), e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the request on " + topic + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for the answer on " + topic, e);
    }
  }

  private static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + json, e);
    }
  }
}
