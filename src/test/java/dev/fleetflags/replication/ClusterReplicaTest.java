package dev.fleetflags.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.admin.AdminAction;
import dev.fleetflags.admin.AdminRequest;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.admin.FlagAdmin;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.etcd.EtcdCluster;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.HistoryEntry;
import dev.fleetflags.store.StoreSettings;
import io.etcd.jetcd.Client;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Brokers' stores as copies of one state in a real etcd (one member of the {@code etcd} binary):
 * each "broker" here is a store, its replica and its admin, as the extension wires them, without
 * the MQTT broker around them.
 */
class ClusterReplicaTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static EtcdCluster etcd;

  @TempDir Path folder;
  private String prefix;
  private final List<Broker> brokers = new ArrayList<>();

  @BeforeAll
  static void startEtcd(@TempDir Path base) {
    String missing = EtcdCluster.unavailableReason();
    Assumptions.assumeTrue(missing == null, missing);
    etcd = EtcdCluster.start(1, base);
  }

  @AfterAll
  static void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  @BeforeEach
  void prefix(TestInfo test) {
    prefix = "/test-" + test.getTestMethod().orElseThrow().getName();
  }

  @AfterEach
  void closeBrokers() {
    brokers.forEach(Broker::close);
  }

  /** A store, its admin and its replica of the state under this test's prefix. */
  private final class Broker implements AutoCloseable {
    final Path data;
    final FlagStore store;
    final LiveFlags live;
    final FlagAdmin admin;
    ClusterReplica replica;

    Broker(String name, ClusterSettings settings) throws Exception {
      data = folder.resolve(name);
      store = FlagStore.open(data, StoreSettings.DEFAULT);
      FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
      live = new LiveFlags(FlagAdmin.load(store, compiler));
      admin = new FlagAdmin(store, compiler, live, new DeviceContexts(store::deviceAttributes, Set.of()), id -> null);
      if (settings != null) {
        join(settings);
      }
      brokers.add(this);
    }

    void join(ClusterSettings settings) throws Exception {
      replica = ClusterReplica.connect(store, settings);
      replica.start(WAIT);
    }

    AdminResponse send(AdminAction action, String json) {
      return admin.handle(new AdminRequest(action, json.getBytes(StandardCharsets.UTF_8), new Actor("ops-" + data.getFileName(), "alice")));
    }

    @Override
    public void close() {
      if (replica != null) {
        replica.close();
        replica = null;
      }
      store.close();
    }
  }

  private ClusterSettings settings() {
    return new ClusterSettings(List.of(URI.create(etcd.endpoint(0))), prefix, null, null, null, null, null,
        Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofMillis(200), 0, 1000, EtcdCluster.MAX_REQUEST_BYTES);
  }

  private Broker broker(String name) throws Exception {
    return new Broker(name, settings());
  }

  private static String toggle(String key, boolean on) {
    return "{\"flags\": {\"" + key + "\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false},"
        + " \"defaultVariant\": \"" + (on ? "on" : "off") + "\"}}}";
  }

  private static AdminResponse accepted(AdminResponse response) {
    assertEquals("accepted", response.status(), response::toString);
    return response;
  }

  @SuppressWarnings("unchecked")
  private static List<String> castList(Object list) {
    return (List<String>) list;
  }

  /**
   * The entries as every broker has them: each broker adds to its own copy how many of its devices
   * the change affected once it has planned it, at a moment the test does not see.
   */
  private static List<HistoryEntry> audited(List<HistoryEntry> entries) {
    return entries.stream()
        .map(e -> new HistoryEntry(e.revision(), e.timestampMillis(), e.action(), e.actor(), e.changes()))
        .toList();
  }

  private static long revision(AdminResponse response) {
    return ((Number) response.body().get("revision")).longValue();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waited " + WAIT + " for " + what);
      }
      Thread.sleep(10);
    }
  }

  @Test
  void aChangeAcceptedOnOneBrokerIsLiveOnTheOtherAtTheSameRevision() throws Exception {
    Broker a = broker("a");
    Broker b = broker("b");
    long revision = revision(accepted(a.send(AdminAction.APPLY, toggle("ota", true))));
    assertEquals(revision, a.live.current().revision(), "the answering broker has applied it");
    await(() -> b.live.current().revision() == revision, "b at revision " + revision);
    assertEquals(a.store.flags(), b.store.flags());
    assertEquals(Map.of("ota", revision), b.live.current().flagRevisions());
    HistoryEntry entry = b.store.history(1).get(0);
    assertEquals(revision, entry.revision());
    assertEquals(new Actor("ops-a", "alice"), entry.actor());
    assertEquals(audited(a.store.history(1)), audited(b.store.history(1)));

    long registry = revision(accepted(b.send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev-1\": {\"model\": \"x\"}}}")));
    await(() -> a.store.revision() == registry, "a at revision " + registry);
    assertEquals(Map.of("model", "x"), a.store.deviceAttributes("dev-1"));
    assertTrue(registry > revision);
  }

  @Test
  void rolloutsAndScheduledChangesReachEveryBrokerWithTheFlagsTheyWereWrittenWith() throws Exception {
    Broker a = broker("a");
    Broker b = broker("b");
    Map<String, Object> wave = Map.of("flag", "ota", "wave", 1L);
    AdminResponse written = accepted(a.admin.handle(new AdminRequest(AdminAction.APPLY,
        toggle("ota", true).getBytes(StandardCharsets.UTF_8), new Actor("rollout/ota@1", "alice"), Map.of("rollout/ota@1", wave))));
    long revision = revision(written);
    await(() -> b.store.revision() == revision, "b at " + revision);
    assertEquals(Map.of("rollout/ota@1", wave), b.store.plans());
    assertEquals(audited(a.store.history(1)), audited(b.store.history(1)), "one history entry: the flag and the rollout's state");
    Map<String, Object> removal = new java.util.HashMap<>();
    removal.put("rollout/ota@1", null);
    long removed = revision(accepted(b.admin.handle(new AdminRequest(AdminAction.APPLY, "{\"flags\": {}}".getBytes(StandardCharsets.UTF_8),
        new Actor("ops", null), removal))));
    await(() -> a.store.revision() == removed, "a at " + removed);
    assertEquals(Map.of(), a.store.plans());

    accepted(a.admin.handle(new AdminRequest(AdminAction.APPLY, "{\"flags\": {}}".getBytes(StandardCharsets.UTF_8),
        new Actor("ops", null), Map.of("schedule/9", Map.of("at", 1L)))));
    Broker c = broker("c");
    assertEquals(Map.of("schedule/9", Map.of("at", 1L)), c.store.plans(), "a broker loading the whole state takes the plans too");
  }

  @Test
  void ofTwoWritesExpectingTheSameRevisionExactlyOneIsAccepted() throws Exception {
    Broker a = broker("a");
    Broker b = broker("b");
    long base = revision(accepted(a.send(AdminAction.APPLY, toggle("base", true))));
    await(() -> b.store.revision() == base, "b at " + base);
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      Future<AdminResponse> onA = two.submit(() -> {
        go.await();
        return a.send(AdminAction.APPLY, toggle("x", true).replace("{\"flags\"", "{\"expectedRevision\": " + base + ", \"flags\""));
      });
      Future<AdminResponse> onB = two.submit(() -> {
        go.await();
        return b.send(AdminAction.APPLY, toggle("y", true).replace("{\"flags\"", "{\"expectedRevision\": " + base + ", \"flags\""));
      });
      go.countDown();
      List<AdminResponse> answers = List.of(onA.get(30, TimeUnit.SECONDS), onB.get(30, TimeUnit.SECONDS));
      assertEquals(1, answers.stream().filter(AdminResponse::isAccepted).count(), answers::toString);
      AdminResponse loser = answers.stream().filter(r -> !r.isAccepted()).findFirst().orElseThrow();
      assertEquals("rejected", loser.status());
      assertTrue(loser.toString().contains("expectedRevision"), loser::toString);
    } finally {
      two.shutdownNow();
    }
  }

  @Test
  void concurrentWritesWithoutExpectedRevisionAreValidatedAgainAndNoneIsLost() throws Exception {
    Broker a = broker("a");
    Broker b = broker("b");
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      List<Future<List<AdminResponse>>> writers = new ArrayList<>();
      for (Broker broker : List.of(a, b)) {
        writers.add(two.submit(() -> {
          List<AdminResponse> answers = new ArrayList<>();
          for (int i = 0; i < 10; i++) {
            answers.add(broker.send(AdminAction.APPLY, toggle(broker.data.getFileName() + "-" + i, true)));
          }
          return answers;
        }));
      }
      // A write that meets a newer state is validated again once; met by yet another, it is
      // rejected as changed twice. Either way nothing is lost or half applied.
      Set<String> accepted = new java.util.TreeSet<>();
      int retried = 0;
      for (Future<List<AdminResponse>> writer : writers) {
        for (AdminResponse answer : writer.get(60, TimeUnit.SECONDS)) {
          if (answer.isAccepted()) {
            accepted.addAll(castList(answer.body().get("changed")));
          } else {
            assertTrue(answer.toString().contains("changed twice while this write was being made"), answer::toString);
            retried++;
          }
        }
      }
      await(() -> a.store.revision() == b.store.revision(), "both at one revision");
      assertEquals(accepted, a.live.current().flagSet().document().flags().keySet());
      assertEquals(a.store.flags(), b.store.flags());
      assertTrue(accepted.size() >= 10, accepted.size() + " accepted, " + retried + " rejected as changed twice");
    } finally {
      two.shutdownNow();
    }
  }

  @Test
  void aBrokerCutOffWhileEtcdCompactedPastItsRevisionLoadsTheWholeState() throws Exception {
    Broker a = broker("a");
    Broker b = broker("b");
    accepted(a.send(AdminAction.APPLY, toggle("kept", true)));
    accepted(a.send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"gone\": {\"model\": \"x\"}}}"));
    await(() -> b.store.revision() == a.store.revision(), "b caught up");
    long before = b.store.revision();
    b.replica.close();
    b.replica = null;

    accepted(a.send(AdminAction.APPLY, toggle("new", false)));
    accepted(a.send(AdminAction.DELETE, "{\"flags\": [\"kept\"]}"));
    accepted(a.send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"gone\": null, \"dev-2\": {\"region\": \"eu\"}}}"));
    long latest = a.store.revision();
    try (Client client = Client.builder().endpoints(etcd.endpoint(0)).build()) {
      client.getKVClient().compact(latest).get(10, TimeUnit.SECONDS);
    }

    b.join(settings());
    await(() -> b.store.revision() == latest, "b loaded revision " + latest + " (it was at " + before + ")");
    // the store holds it first; what is served follows when the store's listeners have it
    await(() -> b.live.current().revision() == latest, "b serving revision " + latest);
    assertEquals(a.store.flags(), b.store.flags());
    assertEquals(Map.of(), b.store.deviceAttributes("gone"));
    assertEquals(Map.of("region", "eu"), b.store.deviceAttributes("dev-2"));
    assertEquals(latest, b.live.current().revision());
    assertEquals(Set.of("new"), b.live.current().flagSet().document().flags().keySet());
  }

  @Test
  void aSingleBrokersStateIsPublishedToAnEmptyPrefixOnceAndTakenFromANonEmptyOne() throws Exception {
    Broker first = new Broker("first", null);
    accepted(first.send(AdminAction.APPLY, toggle("mine", true)));
    accepted(first.send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev-1\": {\"model\": \"x\"}}}"));
    assertEquals(2, first.store.revision());
    first.join(settings());
    long published = first.store.revision();
    assertNotEquals(2, published, "the store now holds etcd's revision");
    assertEquals(Set.of("mine"), first.store.flags().document().flags().keySet());
    assertEquals(Map.of("model", "x"), first.store.deviceAttributes("dev-1"));
    assertEquals("migrate", first.store.history(1).get(0).action());

    Broker second = new Broker("second", null);
    accepted(second.send(AdminAction.APPLY, toggle("theirs", true)));
    second.join(settings());
    assertEquals(first.store.flags(), second.store.flags());
    assertEquals(Map.of("model", "x"), second.store.deviceAttributes("dev-1"));
    assertEquals(published, second.live.current().revision());
  }

  @Test
  void aWriteOverTheQuotaOrEtcdsLimitsIsRejectedWithTheReason() throws Exception {
    ClusterSettings small = settings();
    Broker a = new Broker("a", new ClusterSettings(small.endpoints(), prefix, null, null, null, null, null,
        small.writeTimeout(), small.requestTimeout(), small.probeInterval(), 1024, 4, small.maxRequestBytes()));
    AdminResponse tooMany = a.send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"a\": {\"m\": 1}, \"b\": {\"m\": 1}, \"c\": {\"m\": 1}}}");
    assertEquals("rejected", tooMany.status(), tooMany::toString);
    assertTrue(tooMany.toString().contains("5 operations in one etcd transaction, more than the 4"), tooMany::toString);
    int[] attempts = {0};
    await(() -> {
      AdminResponse r = a.send(AdminAction.APPLY, toggle("ota-" + attempts[0]++, true));
      return r.status().equals("rejected") && r.toString().contains("quota of 1024 bytes (cluster/quota-bytes)");
    }, "a write refused over the quota, once the probe has read etcd's size");
    assertEquals(attempts[0] - 1, a.live.current().flagSet().size(), "the refused write changed nothing");
  }

  @Test
  void withoutEtcdWritesAreAnsweredWithAnErrorInTimeAndTheBrokerCatchesUpWhenItIsBack() throws Exception {
    Broker a = broker("a");
    long before = revision(accepted(a.send(AdminAction.APPLY, toggle("ota", true))));
    etcd.stop(0);
    try {
      long started = System.nanoTime();
      AdminResponse refused = a.send(AdminAction.APPLY, toggle("ota", false));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertEquals("error", refused.status(), refused::toString);
      assertTrue(refused.toString().contains("cluster store") && refused.toString().contains("unreachable"), refused::toString);
      assertTrue(millis < settings().writeTimeout().toMillis() + 2_000, "answered after " + millis + " ms");
      await(() -> a.replica.cutOffSeconds() >= 1, "the replica to report being cut off");
      assertEquals(before, a.replica.revision());
      assertEquals(1, a.live.current().flagSet().size(), "the flags are still served");
    } finally {
      etcd.start(0);
    }
    await(() -> a.replica.cutOffSeconds() == 0, "in touch again");
    long after = revision(accepted(a.send(AdminAction.APPLY, toggle("ota", false))));
    assertTrue(after > before);
  }
}
