package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.proto.v1.FlagUpdate;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CountDownLatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FanOutTest {

  /** Stands in for the broker: records every update per device; can hold publishes back. */
  static final class Devices implements DevicePublisher {
    final Map<String, List<FlagUpdate>> received = new ConcurrentHashMap<>();
    final List<CompletableFuture<Boolean>> held = new CopyOnWriteArrayList<>();
    volatile boolean hold;

    @Override
    public CompletableFuture<Boolean> publish(String clientId, byte[] payload) {
      try {
        received.computeIfAbsent(clientId, k -> new CopyOnWriteArrayList<>()).add(FlagUpdate.parseFrom(payload));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      if (hold) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        held.add(f);
        return f;
      }
      return CompletableFuture.completedFuture(true);
    }

    void release() {
      hold = false;
      held.forEach(f -> f.complete(true));
    }

    int messages(String id) {
      return received.getOrDefault(id, List.of()).size();
    }

    /** The device's state after applying every update in order: key to value. */
    Map<String, Object> state(String id) {
      Map<String, Object> state = new HashMap<>();
      for (FlagUpdate u : received.getOrDefault(id, List.of())) {
        if (u.getSnapshot()) {
          state.clear();
        }
        u.getFlagsList().forEach(f -> state.put(f.getKey(), value(f)));
        u.getRemovedList().forEach(state::remove);
      }
      return state;
    }

    static Object value(dev.fleetflags.proto.v1.Flag f) {
      return switch (f.getValueCase()) {
        case BOOL -> f.getBool();
        case INT -> f.getInt();
        case DOUBLE -> f.getDouble();
        case STRING -> f.getString();
        default -> f.getJson().toStringUtf8();
      };
    }
  }

  /** Records the fan-outs delivery reports as complete: the updates each sent. */
  static final class FanOuts implements DeliveryMetrics {
    final List<Long> completed = new CopyOnWriteArrayList<>();

    @Override
    public void fanOutCompleted(long nanos, long messages) {
      completed.add(messages);
    }
  }

  private static FlagSet compile(String json) throws Exception {
    return new FlagSetCompiler(Limits.DEFAULT).compile(json.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
  }

  private static String rollout(int percent, String extraFlags) {
    return """
        {"flags": {
          "ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                  "targeting": {"fractional": [["on", %d], ["off", %d]]}},
          "tier": {"state": "ENABLED", "variants": {"gold": "gold", "basic": "basic"}, "defaultVariant": "basic",
                   "targeting": {"if": [{"==": [{"var": "plan"}, "gold"]}, "gold", null]}}%s
        }}""".formatted(percent, 100 - percent, extraFlags);
  }

  private final List<FlagDelivery> opened = new ArrayList<>();
  private final Devices devices = new Devices();
  private final FanOuts fanOuts = new FanOuts();
  private final Map<String, Map<String, Object>> registry = new ConcurrentHashMap<>();
  /** Each device's connection, as the broker's lifecycle listener identifies it. */
  private final Map<String, DeviceRecord> connections = new ConcurrentHashMap<>();
  private LiveFlags live;

  @AfterEach
  void close() {
    opened.forEach(FlagDelivery::close);
  }

  private FlagDelivery start(FlagSet initial, int maxInFlight) {
    live = new LiveFlags(new FlagSetRevision(1, initial, Map.of()));
    FlagDelivery d = new FlagDelivery(live, new DeviceContexts(id -> registry.getOrDefault(id, Map.of()), Set.of()),
        new FlagUpdates(false), devices, new FlagDelivery.Settings(1, maxInFlight, 0, 8, 1000, Duration.ofSeconds(60)),
        fanOuts);
    live.addListener(d);
    opened.add(d);
    return d;
  }

  private void connectAll(FlagDelivery delivery, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      DeviceRecord connection = new DeviceRecord();
      connections.put("dev-" + i, connection);
      delivery.connected("dev-" + i, connection, ConnectionFacts.NONE, null);
      delivery.subscribed("dev-" + i);
    }
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
  }

  private int change(long revision, FlagSet next, Set<String> changed, Set<String> removed, Set<String> devicesChanged) {
    FlagSetRevision before = live.current();
    return live.publish(new FlagChange(before, new FlagSetRevision(revision, next, Map.of()), changed, removed, devicesChanged)).join();
  }

  @Test
  void rolloutStepSendsOneSmallDeltaToExactlyTheDevicesWhoseValueChanged() throws Exception {
    FlagSet ten = compile(rollout(10, ""));
    FlagSet twenty = compile(rollout(20, ""));
    FlagDelivery delivery = start(ten, 100);
    connectAll(delivery, 400);

    int predicted = 0;
    for (int i = 0; i < 400; i++) {
      DeviceContext c = DeviceContext.of("dev-" + i);
      if (ten.resolve("ota", c).value() != twenty.resolve("ota", c).value()) {
        predicted++;
      }
    }
    int affected = change(2, twenty, Set.of("ota"), Set.of(), Set.of());
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));

    assertEquals(predicted, affected, "the admin answer counts exactly the devices whose value changed");
    int messaged = 0;
    for (int i = 0; i < 400; i++) {
      String id = "dev-" + i;
      Evaluation expected = twenty.evaluate(DeviceContext.of(id));
      if (devices.messages(id) == 2) {
        messaged++;
        FlagUpdate delta = devices.received.get(id).get(1);
        assertFalse(delta.getSnapshot());
        assertEquals(1, delta.getFlagsCount());
        assertEquals("ota", delta.getFlags(0).getKey());
        assertTrue(delta.getSerializedSize() <= 24, "a one-flag boolean delta fits in 24 bytes, was " + delta.getSerializedSize());
        assertEquals(expected.stateHash(), delta.getStateHash());
      } else {
        assertEquals(1, devices.messages(id), id + " got only its snapshot");
      }
      assertEquals(expected.stateHash(), devices.received.get(id).get(devices.messages(id) - 1).getStateHash());
      assertEquals(Boolean.TRUE.equals(expected.value(expected.flagSet().indexOf("ota"))), devices.state(id).get("ota"));
    }
    assertEquals(predicted, messaged);
    assertTrue(predicted > 10 && predicted < 80, "about 10% of 400 devices: " + predicted);
  }

  /**
   * The queue drains before the broker has taken the last updates; the fan-out (its log line and
   * fleetflags.fanout.* metrics) ends only when they are taken, and counts every one.
   */
  @Test
  void aFanOutCompletesWhenItsLastUpdateIsTakenAndCountsThemAll() throws Exception {
    FlagDelivery delivery = start(compile(rollout(10, "")), 1000);
    connectAll(delivery, 400);
    devices.hold = true;
    int affected = change(2, compile(rollout(20, "")), Set.of("ota"), Set.of(), Set.of());
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (delivery.pending() > 0 || devices.held.size() < affected) {
      assertTrue(System.nanoTime() < deadline, "every affected device is worked on");
      Thread.sleep(2);
    }
    assertEquals(affected, devices.held.size());
    assertEquals(List.of(), fanOuts.completed, "not complete while its updates wait at the broker");

    devices.release();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    assertEquals(List.of((long) affected), fanOuts.completed);
  }

  @Test
  void changesWhileADeviceIsQueuedMergeIntoOneMessageWithTheNetResult() throws Exception {
    String gold = ",\"promo\": {\"state\": \"ENABLED\", \"variants\": {\"a\": \"A\", \"b\": \"B\", \"c\": \"C\"}, \"defaultVariant\": \"%s\"}";
    FlagSet a = compile(rollout(0, gold.formatted("a")));
    FlagSet b = compile(rollout(0, gold.formatted("b")));
    FlagSet c = compile(rollout(0, gold.formatted("c")));
    FlagSet back = compile(rollout(0, gold.formatted("a")));
    FlagDelivery delivery = start(a, 1);
    connectAll(delivery, 2);

    devices.hold = true; // dev-0's delta stays in flight, so the worker waits for the permit with dev-1
    change(2, b, Set.of("promo"), Set.of(), Set.of());
    Thread.sleep(100);
    change(3, c, Set.of("promo"), Set.of(), Set.of());
    change(4, back, Set.of("promo"), Set.of(), Set.of());
    devices.release();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    devices.release();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));

    for (String id : List.of("dev-0", "dev-1")) {
      assertEquals("A", devices.state(id).get("promo"), id + " ends with the final value");
      assertEquals(back.evaluate(DeviceContext.of(id)).stateHash(),
          devices.received.get(id).get(devices.messages(id) - 1).getStateHash());
      assertTrue(devices.messages(id) <= 3, id + " got no stale intermediate updates: " + devices.received.get(id));
    }
  }

  /**
   * devicesAffected counts the devices whose flags a change alters, also among devices still
   * queued for an earlier change: those are updated anyway, but not because of this change.
   */
  @Test
  void devicesStillQueuedCountAsAffectedOnlyWhenTheChangeAltersTheirFlags() throws Exception {
    String promo = ",\"promo\": {\"state\": \"ENABLED\", \"variants\": {\"a\": \"A\", \"b\": \"B\"}, \"defaultVariant\": \"%s\"}";
    FlagSet a = compile(rollout(0, promo.formatted("a")));
    FlagSet b = compile(rollout(0, promo.formatted("b")));
    // tier's gold variant gets another value: only devices on plan gold see a difference
    FlagSet platinum = compile(rollout(0, promo.formatted("b")).replace("\"gold\": \"gold\"", "\"gold\": \"platinum\""));
    registry.put("dev-7", Map.of("plan", "gold"));
    FlagDelivery delivery = start(a, 1);
    connectAll(delivery, 20);

    devices.hold = true; // the first delta stays in flight: the other devices stay queued
    assertEquals(20, change(2, b, Set.of("promo"), Set.of(), Set.of()));
    assertEquals(1, change(3, platinum, Set.of("tier"), Set.of(), Set.of()), "dev-7 alone");
    registry.put("dev-9", Map.of("colour", "red"));
    assertEquals(0, change(4, platinum, Set.of(), Set.of(), Set.of("dev-9")), "no flag reads colour");
    registry.put("dev-11", Map.of("plan", "gold"));
    assertEquals(1, change(5, platinum, Set.of(), Set.of(), Set.of("dev-11")));
    devices.release();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    devices.release();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));

    for (int i = 0; i < 20; i++) {
      String id = "dev-" + i;
      assertEquals("B", devices.state(id).get("promo"), id);
      assertEquals(i == 7 || i == 11 ? "platinum" : "basic", devices.state(id).get("tier"), id);
    }
  }

  @Test
  void registryChangeReevaluatesThatDeviceOnly() throws Exception {
    FlagSet set = compile(rollout(0, ""));
    FlagDelivery delivery = start(set, 10);
    connectAll(delivery, 5);
    registry.put("dev-3", Map.of("plan", "gold"));
    int affected = change(2, set, Set.of(), Set.of(), Set.of("dev-3"));
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    assertEquals(1, affected);
    assertEquals(2, devices.messages("dev-3"));
    assertEquals("gold", devices.state("dev-3").get("tier"));
    for (String id : List.of("dev-0", "dev-1", "dev-2", "dev-4")) {
      assertEquals(1, devices.messages(id));
    }
  }

  @Test
  void deviceBackFromOfflineGetsADeltaFromWhatItHoldsOrASnapshot() throws Exception {
    FlagSet ten = compile(rollout(10, ""));
    FlagDelivery delivery = start(ten, 10);
    connectAll(delivery, 50);
    int held = devices.received.get("dev-7").get(0).getStateHash();
    assertTrue(delivery.disconnected("dev-7", connections.get("dev-7")));

    FlagSet all = compile(rollout(100, ""));
    change(2, all, Set.of("ota"), Set.of(), Set.of());
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));

    delivery.connected("dev-7", new DeviceRecord(), ConnectionFacts.NONE, held);
    delivery.subscribed("dev-7");
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    FlagUpdate back = devices.received.get("dev-7").get(1);
    assertFalse(back.getSnapshot(), "it said what it holds, so it gets only the difference");
    assertEquals(all.evaluate(DeviceContext.of("dev-7")).stateHash(), back.getStateHash());
    assertEquals(Boolean.TRUE, devices.state("dev-7").get("ota"));

    delivery.resync("dev-7", 0x12345678);
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    assertTrue(devices.received.get("dev-7").get(2).getSnapshot(), "an unknown hash gets the whole set");
  }

  @Test
  void removedFlagsAreSentAsRemovedKeys() throws Exception {
    FlagSet with = compile(rollout(100, ""));
    FlagSet without = compile("""
        {"flags": {"tier": {"state": "ENABLED", "variants": {"gold": "gold", "basic": "basic"}, "defaultVariant": "basic"}}}""");
    FlagDelivery delivery = start(with, 10);
    connectAll(delivery, 3);
    assertEquals(3, change(2, without, Set.of(), Set.of("ota"), Set.of()));
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    FlagUpdate update = devices.received.get("dev-1").get(1);
    assertEquals(List.of("ota"), update.getRemovedList());
    assertEquals(0, update.getFlagsCount());
    assertFalse(devices.state("dev-1").containsKey("ota"));
  }

  /**
   * A change planned while a worker is working out a subscribing device's first set from the set
   * before it: the plan passes the device (nothing sent to it yet), and the worker then sends the
   * older set. The device must still end with the newer one (found by the several-broker test: a
   * broker catching up from etcd while its devices came back, one device left a change behind).
   */
  @Test
  void aDeviceWhoseFirstSetIsWorkedOutWhileAChangeIsPlannedGetsTheChange() throws Exception {
    FlagDelivery delivery = start(compile(rollout(0, "")), 100);
    CountDownLatch working = new CountDownLatch(1);
    CountDownLatch planned = new CountDownLatch(1);
    AtomicBoolean gate = new AtomicBoolean(true);
    // The worker reads the time after the set it serves: held there, it has read the older set.
    delivery.useClock(new WorkerClock(() -> {
      if (gate.compareAndSet(true, false)) {
        working.countDown();
        try {
          assertTrue(planned.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }));
    DeviceRecord connection = new DeviceRecord();
    delivery.connected("dev-1", connection, ConnectionFacts.NONE, null);
    delivery.subscribed("dev-1");
    assertTrue(working.await(10, TimeUnit.SECONDS));

    assertEquals(0, change(2, compile(rollout(100, "")), Set.of("ota"), Set.of(), Set.of()),
        "nothing was sent to the device yet: the change itself affects no device");
    planned.countDown();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));

    List<FlagUpdate> received = devices.received.get("dev-1");
    assertEquals(1L, received.get(0).getRevision(), "its first set, worked out before the change");
    assertEquals(2L, received.get(received.size() - 1).getRevision(), "then the change: " + received);
    assertEquals(true, devices.state("dev-1").get("ota"));
  }
}
