package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static dev.fleetflags.it.Scenarios.document;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAck;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.fleetflags.it.Device.Protocol;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Delivery keeps serving under what broke it before, on a real broker with the packaged zip:
 * devices that stop reading ({@value #STALLED} MQTT 5 clients with Receive Maximum 1 that never
 * acknowledge) with {@value #QUEUED_DELTAS} deltas queued behind them; a change whose plan is slow
 * while another operator asks something; a client id that cannot form a flag topic; a response
 * topic no answer can go to. One broker; the scenarios run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeliveryRobustnessTest {

  static final int STALLED = 200;
  static final int QUEUED_DELTAS = 20_000;

  /**
   * The bound on what {@value #QUEUED_DELTAS} deltas queued behind stalled devices may add to the
   * heap of this JVM (broker and clients), after a full GC. Each queued delta is one small PUBLISH in
   * the broker's queue for its client (HiveMQ's default queue of 1,000 messages per client bounds
   * how many); FleetFlags itself holds at most one pending update per device and never waits on a
   * device. Measured: 5.3 MB (about 265 bytes per queued delta).
   */
  static final long HEAP_BOUND_BYTES = 32L << 20;

  private EmbeddedBroker broker;
  private Operator operator;
  private ExtensionMetrics metrics;
  private final List<Mqtt5Device> stalled = new ArrayList<>();
  private long value;

  @BeforeAll
  void start() throws Exception {
    broker =
        EmbeddedBroker.start(
            Scenarios.open(
                    List.of("model", "region"),
                    """
                    <seed-file>%s</seed-file>
                    <limits>
                        <max-evaluation-steps>1000000</max-evaluation-steps>
                        <admin-requests-per-second>100000</admin-requests-per-second>
                        <admin-queries-per-second>100000</admin-queries-per-second>
                    </limits>"""
                        .formatted(ExtensionSetup.SEED_FILE))
                .withSeedFlags(document(pressureFlag(0))));
    operator = Operator.mqtt5(broker, "ops-robust");
    metrics = new ExtensionMetrics(broker);
    ExecutorService connecting = Executors.newFixedThreadPool(16);
    try {
      List<Future<Mqtt5Device>> started = new ArrayList<>();
      for (int i = 0; i < STALLED; i++) {
        String id = "stalled-%03d".formatted(i);
        started.add(
            connecting.submit(
                () -> {
                  Mqtt5Device d = Mqtt5Device.with(broker, id).stalled().connect();
                  assertEquals(Mqtt5SubAckReasonCode.GRANTED_QOS_1, d.subscribe(d.flagTopic()));
                  return d;
                }));
      }
      for (Future<Mqtt5Device> f : started) {
        stalled.add(f.get(MqttDevice.WAIT.toSeconds(), TimeUnit.SECONDS));
      }
    } finally {
      connecting.shutdownNow();
    }
    for (Mqtt5Device d : stalled) {
      d.awaitUpdate(); // the snapshot: the one message it is sent and never acknowledges
    }
    metrics.awaitIdle();
  }

  @AfterAll
  void stop() {
    List<AutoCloseable> all = new ArrayList<>(stalled);
    all.add(operator);
    all.add(broker);
    Scenarios.close(all.toArray(AutoCloseable[]::new));
  }

  private static String pressureFlag(long value) {
    return """
           "pressure": {"state": "ENABLED", "variants": {"v": %d}, "defaultVariant": "v"}"""
        .formatted(value);
  }

  /**
   * A flag whose targeting costs about a millisecond per device (a sum over 100 x 100 products; the
   * broker's limits/max-evaluation-steps is raised for it),
   * {@code round} making each version a different one: planning a change to it for {@value
   * #STALLED} devices evaluates it twice per device, half a second or more in all, where a query
   * takes milliseconds.
   */
  private static String slowFlag(int round) {
    StringBuilder list = new StringBuilder("[");
    for (int i = 0; i < 100; i++) {
      list.append(i == 0 ? "" : ",").append(i);
    }
    list.append("]");
    String sum = "{\"+\": [{\"var\": \"current\"}, {\"var\": \"accumulator\"}]}";
    String inner = "{\"reduce\": [{\"map\": [" + list + ", {\"*\": [{\"var\": \"\"}, " + round + "]}]}, " + sum + ", 0]}";
    String outer = "{\"reduce\": [{\"map\": [" + list + ", " + inner + "]}, " + sum + ", 0]}";
    return """
           "slow": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
             "targeting": {"if": [{">": [%s, %d]}, "on", "off"]}}"""
        .formatted(outer, round % 2 == 0 ? 0 : Integer.MAX_VALUE);
  }

  /** Heap in use after a full collection, in this JVM (the embedded broker's, and the clients'). */
  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @Test
  @Order(1)
  void deltasQueuedBehindStalledDevicesStayWithinTheHeapBoundAndNewDevicesAreServed() {
    long baseline = heapAfterGc();
    long deltasBefore = metrics.counter("fleetflags.deltas.sent");
    int changes = 0;
    while (metrics.counter("fleetflags.deltas.sent") - deltasBefore < QUEUED_DELTAS) {
      JsonNode answer = accepted(operator.apply(document(pressureFlag(++value))));
      assertTrue(answer.has("devicesAffected"), answer::toString);
      changes++;
      assertTrue(changes <= 2 * QUEUED_DELTAS / STALLED, "deltas are sent: " + changes + " changes");
    }
    metrics.awaitIdle();
    long deltas = metrics.counter("fleetflags.deltas.sent") - deltasBefore;
    long grown = heapAfterGc() - baseline;
    System.out.printf(
        "%d deltas queued behind %d stalled devices (%d changes): heap grew by %.1f MB (bound %d MB)%n",
        deltas, STALLED, changes, grown / 1e6, HEAP_BOUND_BYTES >> 20);
    assertTrue(grown < HEAP_BOUND_BYTES, "heap grew by " + grown + " bytes");
    assertEquals(0, metrics.counter("fleetflags.delivery.failed"));

    // New devices are served at once, with exactly their set; operators are answered.
    try (Device mqtt5 = Device.online(broker, new Device.Spec("fresh-5", Protocol.MQTT5, Map.of()));
        Device mqtt3 = Device.online(broker, new Device.Spec("fresh-3", Protocol.MQTT3, Map.of()))) {
      mqtt5.assertHolds(operator.evaluated("fresh-5"));
      mqtt3.assertHolds(operator.evaluated("fresh-3"));
      assertEquals(value, mqtt5.held().values().get("pressure"));
    }
    for (Mqtt5Device d : stalled) {
      assertTrue(d.connected(), d.clientId() + " is still connected, still not reading");
    }
  }

  @Test
  @Order(2)
  void anotherOperatorIsAnsweredWhileAChangeIsPlanned() throws Exception {
    accepted(operator.apply(document(slowFlag(2))));
    metrics.awaitIdle();
    try (Operator other = Operator.mqtt5(broker, "ops-other")) {
      CompletableFuture<JsonNode> slowWrite =
          CompletableFuture.supplyAsync(() -> operator.apply(document(slowFlag(3))));
      metrics.awaitGauge("fleetflags.changes.waiting", 1); // durable, live, and being planned
      JsonNode query = other.queryFlags();
      assertEquals("ok", query.path("status").asText(), query::toString);
      assertTrue(
          metrics.gauge("fleetflags.changes.waiting") >= 1,
          "the query was answered while the change was still being planned");
      JsonNode answer = accepted(slowWrite.get(MqttDevice.WAIT.toSeconds(), TimeUnit.SECONDS));
      assertEquals(query.get("revision").asLong(), answer.get("revision").asLong(), "the query saw it live");
      System.out.println("Slow change answered: " + answer);
    }
    metrics.awaitIdle();
    accepted(operator.delete("{\"flags\": [\"slow\"]}"));
    metrics.awaitIdle();
  }

  @Test
  @Order(3)
  void aClientIdThatCannotFormAFlagTopicIsRefusedWithTheReasonAndNoStackTrace() {
    Mqtt5BlockingClient plus =
        MqttClient.builder()
            .identifier("+")
            .serverHost(broker.host())
            .serverPort(broker.mqttPort())
            .useMqttVersion5()
            .buildBlocking();
    plus.connect();
    for (int i = 0; i < 3; i++) {
      Mqtt5SubAck suback;
      try {
        suback = plus.subscribeWith().topicFilter("flags/+").qos(MqttQos.AT_LEAST_ONCE).send();
      } catch (Mqtt5SubAckException refused) {
        suback = refused.getMqttMessage();
      }
      assertEquals(Mqtt5SubAckReasonCode.NOT_AUTHORIZED, suback.getReasonCodes().get(0));
      String reason = suback.getReasonString().map(Object::toString).orElse("");
      assertTrue(reason.contains("client id '+' cannot have a flag topic"), reason);
    }
    plus.disconnect();

    Mqtt3BlockingClient slash =
        MqttClient.builder()
            .identifier("fleet/dev-1")
            .serverHost(broker.host())
            .serverPort(broker.mqttPort())
            .useMqttVersion3()
            .buildBlocking();
    slash.connect();
    Mqtt3SubAckReturnCode code;
    try {
      code = slash.subscribeWith().topicFilter("flags/fleet/dev-1").qos(MqttQos.AT_LEAST_ONCE).send().getReturnCodes().get(0);
    } catch (Mqtt3SubAckException refused) {
      code = refused.getMqttMessage().getReturnCodes().get(0);
    }
    assertEquals(Mqtt3SubAckReturnCode.FAILURE, code);
    slash.disconnect();

    String log = broker.log();
    assertEquals(1, count(log, "Client '+' cannot have a flag topic"), "logged once a minute");
    assertEquals(1, count(log, "Client 'fleet/dev-1' cannot have a flag topic"));
    assertFalse(log.contains("IllegalArgumentException"), "no stack traces");
  }

  @Test
  @Order(4)
  void aResponseTopicNoAnswerCanGoToIsRefusedOnTheDefaultAnswerTopic() {
    try (Mqtt5Device client =
        Mqtt5Device.with(broker, "ops-sys").credentials(Operator.USERNAME, Operator.PASSWORD).connect()) {
      for (int i = 0; i < 2; i++) {
        JsonNode answer =
            Operator.parse(
                client.request(
                    "flags-admin/query/flags", "{}", "$SYS/answers", Operator.responsesTopic("ops-sys")));
        assertEquals("rejected", answer.path("status").asText(), answer::toString);
        JsonNode problem = answer.path("problems").get(0);
        assertEquals("responseTopic", problem.path("location").asText(), answer::toString);
        assertTrue(problem.path("reason").asText().contains("$SYS/answers"), answer::toString);
      }
    }
    assertEquals(1, count(broker.log(), "Admin client 'ops-sys' asked for its answer on '$SYS/answers'"));
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
      n++;
    }
    return n;
  }
}
