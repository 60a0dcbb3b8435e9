package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.etcd.EtcdCluster;
import dev.fleetflags.ops.SeriesTable;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three brokers sharing one flag state through a real 3-member etcd cluster (issue 15): each
 * broker is HiveMQ CE with the packaged zip in a JVM of its own, with its own data folder, and
 * reaches etcd through a {@link Partition} the test can cut. Six MQTT 5 devices on each broker,
 * half of them of model "a". The scenarios run in order on the same cluster, each leaving it
 * whole for the next: a change reaching the affected devices on every broker, concurrent writes
 * with one expected revision, a broker killed during 100 changes, one then two etcd members
 * stopped and started again, a broker cut off while etcd compacts past its revision (and what its
 * metrics tell the alert rules meanwhile); last, every broker exports the series of the README's
 * names table.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SeveralBrokersTest {

  private static final int BROKERS = 3;
  private static final int DEVICES_PER_BROKER = 6;
  private static final long WRITE_TIMEOUT_MILLIS = 3_000;
  private static final String FLAG = "rollout";

  private static EtcdCluster etcd;
  private static final List<Partition> partitions = new ArrayList<>();
  private static final List<BrokerJvm> brokers = new ArrayList<>();
  private static final List<Operator> operators = new ArrayList<>();
  /** The devices of each broker, by broker. */
  private static final List<List<Device>> devices = new ArrayList<>();
  private static long barrier = 1_000;

  @BeforeAll
  static void start() throws Exception {
    String missing = EtcdCluster.unavailableReason();
    Assumptions.assumeTrue(missing == null, "multi-broker scenarios skipped: " + missing);
    etcd = EtcdCluster.start(3, Path.of(System.getProperty("fleetflags.brokers", System.getProperty("java.io.tmpdir"))));
    ExecutorService starting = Executors.newFixedThreadPool(BROKERS);
    try {
      List<Future<BrokerJvm>> started = new ArrayList<>();
      for (int b = 0; b < BROKERS; b++) {
        Partition partition = new Partition(etcd.endpoints());
        partitions.add(partition);
        String name = "broker-" + (b + 1);
        started.add(starting.submit(() -> BrokerJvm.start(name, setup(partition.endpoints()))));
      }
      for (Future<BrokerJvm> broker : started) {
        brokers.add(broker.get(180, TimeUnit.SECONDS));
      }
    } finally {
      starting.shutdownNow();
    }
    for (int b = 0; b < BROKERS; b++) {
      operators.add(Operator.mqtt5(brokers.get(b), "ops-" + (b + 1)));
    }
    Operator.accepted(operators.get(0).replace(Scenarios.document(flag(null), barrierFlag(barrier))));
    for (int b = 0; b < BROKERS; b++) {
      List<Device> own = new ArrayList<>();
      for (int k = 0; k < DEVICES_PER_BROKER; k++) {
        own.add(Device.online(brokers.get(b), spec(b, k)));
      }
      devices.add(own);
    }
    assertConverged();
  }

  /** Every broker with the same etcd settings as docker/compose-cluster.yaml, through its partition. */
  static ExtensionSetup setup(String endpoints) {
    return Scenarios.open(List.of("model"), """
        <limits><admin-requests-per-second>100000</admin-requests-per-second><admin-queries-per-second>100000</admin-queries-per-second></limits>
        <cluster>
            <etcd-endpoints>%s</etcd-endpoints>
            <key-prefix>/fleetflags</key-prefix>
            <write-timeout-millis>%d</write-timeout-millis>
            <request-timeout-millis>1000</request-timeout-millis>
            <probe-interval-millis>250</probe-interval-millis>
            <max-txn-ops>%d</max-txn-ops>
            <max-request-bytes>%d</max-request-bytes>
        </cluster>""".formatted(endpoints, WRITE_TIMEOUT_MILLIS, EtcdCluster.MAX_TXN_OPS, EtcdCluster.MAX_REQUEST_BYTES));
  }

  private static Device.Spec spec(int broker, int k) {
    return new Device.Spec("dev-" + (broker + 1) + "-" + k, Device.Protocol.MQTT5, Map.of("model", k % 2 == 0 ? "a" : "b"));
  }

  @AfterAll
  static void stop() {
    for (List<Device> own : devices) {
      own.forEach(Device::close);
    }
    operators.forEach(Operator::close);
    brokers.forEach(BrokerJvm::close);
    partitions.forEach(Partition::close);
    if (etcd != null) {
      etcd.close();
    }
    // A failed scenario is rerun (integration-tests/pom.xml) on a cluster started afresh.
    devices.clear();
    operators.clear();
    brokers.clear();
    partitions.clear();
    etcd = null;
  }

  /** The rollout flag: on for model "a" if {@code onFor} is "a", for nobody if null. */
  private static String flag(String onFor) {
    String targeting = onFor == null ? "" : """
        , "targeting": {"if": [{"==": [{"var": "model"}, "%s"]}, "on", "off"]}""".formatted(onFor);
    return """
        "%s": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"%s}"""
        .formatted(FLAG, targeting);
  }

  private static String barrierFlag(long value) {
    return """
        "%s": {"state": "ENABLED", "variants": {"v": %d}, "defaultVariant": "v"}""".formatted(Fleet.BARRIER_FLAG, value);
  }

  private static List<Device> allDevices() {
    return devices.stream().flatMap(List::stream).toList();
  }

  // --- scenarios -------------------------------------------------------------------------------

  @Test
  @Order(1)
  void aChangeAcceptedOnOneBrokerReachesTheAffectedDevicesOnAllThreeAndOnlyThem() {
    Map<Device, Integer> mark = new LinkedHashMap<>();
    allDevices().forEach(d -> mark.put(d, d.receivedCount()));
    JsonNode answer = Operator.accepted(operators.get(0).apply(Scenarios.document(flag("a"))));
    long revision = answer.get("revision").asLong();
    assertEquals(DEVICES_PER_BROKER / 2, answer.get("devicesAffected").asInt(), "broker 1 counts its own devices: " + answer);

    // A barrier written on another broker: once a device has it, everything sent before has arrived.
    long value = ++barrier;
    Operator.accepted(operators.get(1).apply(Scenarios.document(barrierFlag(value))));
    for (Device d : allDevices()) {
      d.awaitHeld(held -> Operator.JSON.valueToTree(value).equals(held.jsonValues().get(Fleet.BARRIER_FLAG)), "barrier " + value);
      List<FlagUpdate> window = d.received().subList(mark.get(d), d.receivedCount());
      boolean touched = window.stream().anyMatch(u -> Scenarios.keys(u).contains(FLAG) || u.getRemovedList().contains(FLAG));
      boolean affected = d.spec().userProperties().get("model").equals("a");
      assertEquals(affected, touched, () -> d + " (" + d.spec().userProperties() + ") received " + window);
      window.forEach(u -> assertFalse(u.getSnapshot(), () -> d + " got a snapshot: " + u));
    }
    for (Operator operator : operators) {
      JsonNode flags = operator.queryFlags();
      assertEquals(revision, flags.get("flags").get(FLAG).get("revision").asLong(), "the same revision on every broker: " + flags);
    }
    assertConverged();
  }

  @Test
  @Order(2)
  void ofTwoWritesExpectingTheSameRevisionOnTwoBrokersExactlyOneIsAccepted() throws Exception {
    long base = awaitSameRevision();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      List<Future<JsonNode>> answers = new ArrayList<>();
      for (int b = 0; b < 2; b++) {
        Operator operator = operators.get(b);
        long value = ++barrier;
        answers.add(two.submit(() -> {
          go.await();
          return operator.apply("{\"expectedRevision\": " + base + ", \"flags\": {" + barrierFlag(value) + "}}");
        }));
      }
      go.countDown();
      List<JsonNode> results = new ArrayList<>();
      for (Future<JsonNode> answer : answers) {
        results.add(answer.get(60, TimeUnit.SECONDS));
      }
      assertEquals(1, results.stream().filter(r -> r.path("status").asText().equals("accepted")).count(), results::toString);
      JsonNode loser = results.stream().filter(r -> !r.path("status").asText().equals("accepted")).findFirst().orElseThrow();
      assertEquals("rejected", loser.path("status").asText(), loser::toString);
      assertEquals("expectedRevision", loser.get("problems").get(0).get("location").asText(), loser::toString);
    } finally {
      two.shutdownNow();
    }
    assertConverged();
  }

  @Test
  @Order(3)
  void aBrokerKilledWhile100ChangesAreMadeElsewhereRestartsAndItsDevicesConverge() {
    BrokerJvm third = brokers.get(2);
    third.kill();
    operators.get(2).close();
    devices.get(2).forEach(Device::close);
    for (int i = 0; i < 100; i++) {
      String change = i % 10 == 0 ? flag(i % 20 == 0 ? null : "a") : barrierFlag(++barrier);
      Operator.accepted(operators.get(i % 2).apply(Scenarios.document(change)));
    }
    third.start();
    // Not "ops-3" again: no session the killed broker left for that client id is involved.
    operators.set(2, Operator.mqtt5(third, "ops-3-restarted"));
    reconnect(2);
    assertTrue(third.log().contains("catching up from there"), "broker 3 resumed from the revision it held");
    assertConverged();
  }

  @Test
  @Order(4)
  void withOneEtcdMemberStoppedWritesAreStillAccepted() {
    etcd.stop(0);
    awaitAccepted(operators.get(1), Scenarios.document(barrierFlag(++barrier)));
    assertConverged();
  }

  @Test
  @Order(5)
  void withTwoStoppedWritesAreAnsweredErrorInTimeAndDevicesAreStillServed() {
    List<Integer> logBefore = brokers.stream().map(b -> b.log().length()).toList();
    if (etcd.running(0)) {
      etcd.stop(0); // rerun alone, on a cluster started afresh
    }
    etcd.stop(1);
    long started = System.nanoTime();
    JsonNode refused = operators.get(0).apply(Scenarios.document(barrierFlag(++barrier)));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertEquals("error", refused.path("status").asText(), refused::toString);
    assertTrue(refused.get("reason").asText().contains("cluster store") && refused.get("reason").asText().contains("unreachable"),
        refused::toString);
    assertTrue(millis < WRITE_TIMEOUT_MILLIS + 2_000, "answered after " + millis + " ms");

    // A device that connects now gets its flags from the broker's own store.
    Device late = Device.online(brokers.get(1), new Device.Spec("dev-late", Device.Protocol.MQTT5, Map.of("model", "a")));
    try {
      late.assertHolds(operators.get(1).evaluated("dev-late"));
    } finally {
      late.close();
    }
    for (int b = 0; b < BROKERS; b++) {
      BrokerJvm broker = brokers.get(b);
      awaitLog(broker, "Cut off from the cluster store", logBefore.get(b));
      assertTrue(broker.log().indexOf("Serving revision", logBefore.get(b)) >= 0, broker::logTail);
    }
    assertConverged();
  }

  @Test
  @Order(6)
  void whenQuorumIsBackWritesAreAcceptedAndEveryDeviceConverges() {
    List<Integer> logBefore = brokers.stream().map(b -> b.log().length()).toList();
    etcd.start(0);
    etcd.start(1);
    awaitAccepted(operators.get(2), Scenarios.document(flag("b")));
    for (int b = 0; b < BROKERS; b++) {
      awaitLog(brokers.get(b), "In touch with the cluster store", logBefore.get(b));
    }
    assertConverged();
  }

  @Test
  @Order(7)
  void aBrokerCutOffWhileEtcdCompactsPastItsRevisionLoadsTheWholeStateAndItsDevicesConverge() {
    BrokerJvm third = brokers.get(2);
    int logBefore = third.log().length();
    partitions.get(2).cut();
    awaitLog(third, "Cut off from the cluster store", logBefore);
    long held = revision(operators.get(2));
    Operator.accepted(operators.get(0).apply(Scenarios.document(flag("a"))));
    Operator.accepted(operators.get(0).attributes(Map.of("dev-3-1", Map.of("model", "a"))));
    Operator.accepted(operators.get(1).apply(Scenarios.document(barrierFlag(++barrier))));
    long compacted = etcd.compact();
    assertTrue(compacted > held);
    assertEquals(held, revision(operators.get(2)), "the cut-off broker still serves what it held");
    // what the alert rules read (ops/prometheus/fleetflags-rules.yml): the broker says it is cut off,
    // and serves an older revision than the others (FleetFlagsCutOffFromCluster, FleetFlagsStaleBroker)
    awaitMetric(third, "fleetflags_cluster_cut_off_seconds", seconds -> seconds > 0);
    assertEquals(held, metric(third, "fleetflags_cluster_revision"));
    assertTrue(metric(brokers.get(0), "fleetflags_cluster_revision") > held, "the others serve newer revisions");
    partitions.get(2).heal();
    awaitLog(third, "has compacted its history", logBefore);
    assertConverged();
    Device moved = devices.get(2).get(1);
    assertEquals(true, moved.held().values().get(FLAG), "dev-3-1's registry change reached it through the load");
    long revision = revision(operators.get(0));
    for (BrokerJvm broker : brokers) {
      awaitMetric(broker, "fleetflags_cluster_cut_off_seconds", seconds -> seconds == 0);
      assertEquals(revision, metric(broker, "fleetflags_cluster_revision"), broker + " serves the newest revision");
      assertEquals(revision, metric(broker, "fleetflags_cluster_head_revision"), broker + " has seen no newer one");
    }
  }

  /**
   * Each broker's metrics, scraped as Prometheus scrapes the HiveMQ Prometheus extension, hold
   * every series of the README's names table, the several-brokers ones included.
   */
  @Test
  @Order(8)
  void everyBrokerExportsEverySeriesOfTheNamesTable() throws Exception {
    Set<String> table = new TreeSet<>(SeriesTable.read(Path.of(System.getProperty("fleetflags.root"))).allSeries());
    for (BrokerJvm broker : brokers) {
      assertEquals(table, PrometheusEndpoint.names(broker.scrapeMetrics(), "fleetflags_"), broker + "'s series");
    }
  }

  /** A broker's series of that name without labels, as a whole number. */
  private static long metric(BrokerJvm broker, String series) {
    Double value = broker.scrapeMetrics().get(series);
    assertTrue(value != null, broker + " has no series " + series);
    return value.longValue();
  }

  /** Waits (at most 30 s) until a broker's series has a value the test accepts. */
  private static void awaitMetric(BrokerJvm broker, String series, LongPredicate accepted) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long value = metric(broker, series);
    while (!accepted.test(value)) {
      assertTrue(System.nanoTime() < deadline, broker + "'s " + series + " is still " + value);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      value = metric(broker, series);
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  /** Reconnects a broker's devices, each presenting the state hash of what it holds. */
  private static void reconnect(int broker) {
    List<Device> own = devices.get(broker);
    for (int k = 0; k < own.size(); k++) {
      Device old = own.get(k);
      HeldFlags held = old.held();
      Device again = Device.connect(brokers.get(broker), old.spec(), held, held.stateHashText());
      again.subscribe();
      again.awaitReceived(1);
      own.set(k, again);
    }
  }

  /** Every broker at one revision, and every device holding exactly what its broker evaluates for it. */
  private static void assertConverged() {
    long revision = awaitSameRevision();
    for (int b = 0; b < BROKERS; b++) {
      for (Device d : devices.get(b)) {
        Operator.Evaluated evaluated = operators.get(b).evaluated(d.clientId());
        assertEquals(revision, evaluated.revision());
        d.awaitHeld(held -> held.stateHashText().equals(evaluated.stateHash()), "state hash " + evaluated.stateHash());
        d.assertHolds(evaluated);
      }
    }
  }

  /** Waits until every broker serves the same revision; returns it. */
  private static long awaitSameRevision() {
    return await(() -> {
      long first = revision(operators.get(0));
      for (Operator operator : operators) {
        if (revision(operator) != first) {
          return null;
        }
      }
      return first;
    }, "every broker at one revision");
  }

  private static long revision(Operator operator) {
    return operator.revision();
  }

  /** A write that may meet an election: retried until accepted, each attempt answered in time. */
  private static void awaitAccepted(Operator operator, String document) {
    await(() -> {
      JsonNode answer = operator.apply(document);
      return answer.path("status").asText().equals("accepted") ? answer : null;
    }, "a write to be accepted");
  }

  private static void awaitLog(BrokerJvm broker, String text, int from) {
    await(() -> broker.log().indexOf(text, from) >= 0 ? Boolean.TRUE : null, broker + " to log \"" + text + "\"");
  }

  /** Polls until {@code value} is not null, bounded by {@link MqttDevice#WAIT} twice (elections). */
  private static <T> T await(Supplier<T> value, String what) {
    long deadline = System.nanoTime() + MqttDevice.WAIT.multipliedBy(2).toNanos();
    while (true) {
      T v = value.get();
      if (v != null) {
        return v;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waited " + MqttDevice.WAIT.multipliedBy(2) + " for " + what);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
