package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.eval.StateHash;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import dev.fleetflags.rules.FlagType;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A device whose maximum packet size is below its update still gets its flags: the update comes in
 * parts within its limit, each part's state hash is that of the set after applying it, and after
 * the last the device holds exactly the evaluator's set. A value that cannot fit at all is left out,
 * counted, and does not count the device as affected.
 */
class ConstrainedDeliveryTest {

  /** A device as the README has one: applies each update and checks its hash against what it holds. */
  static final class Device {
    final Map<String, Flag> held = new TreeMap<>();
    final List<FlagUpdate> received = new CopyOnWriteArrayList<>();

    void apply(FlagUpdate u) {
      if (u.getSnapshot()) {
        held.clear();
      }
      u.getFlagsList().forEach(f -> held.put(f.getKey(), f));
      u.getRemovedList().forEach(held::remove);
      received.add(u);
      assertEquals(hash(held), u.getStateHash(), "every part verifies: " + u);
    }

    static int hash(Map<String, Flag> flags) {
      int sum = 0;
      for (Flag f : flags.values()) {
        sum += switch (f.getValueCase()) {
          case BOOL -> StateHash.entryHash(f.getKey(), FlagType.BOOLEAN, f.getBool());
          case INT -> StateHash.entryHash(f.getKey(), FlagType.INTEGER, f.getInt());
          case DOUBLE -> StateHash.entryHash(f.getKey(), FlagType.FLOAT, f.getDouble());
          case STRING -> StateHash.entryHash(f.getKey(), FlagType.STRING, f.getString());
          default -> throw new AssertionError("no json flags here: " + f);
        };
      }
      return sum;
    }

    Map<String, Object> values() {
      Map<String, Object> values = new TreeMap<>();
      held.forEach((k, f) -> values.put(k, FanOutTest.Devices.value(f)));
      return values;
    }
  }

  /** The broker: hands each device its updates in order, and keeps their sizes. */
  final class Broker implements DevicePublisher {
    final Map<String, Device> devices = new ConcurrentHashMap<>();
    final List<Integer> sizes = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<Boolean> publish(String clientId, byte[] payload) {
      sizes.add(payload.length);
      try {
        devices.computeIfAbsent(clientId, k -> new Device()).apply(FlagUpdate.parseFrom(payload));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return CompletableFuture.completedFuture(true);
    }
  }

  static final class Counts implements DeliveryMetrics {
    final AtomicInteger split = new AtomicInteger();
    final AtomicInteger leftOut = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();

    @Override
    public void split(int parts) {
      split.incrementAndGet();
    }

    @Override
    public void leftOut(int flags) {
      leftOut.addAndGet(flags);
    }

    @Override
    public void deliveryFailed() {
      failed.incrementAndGet();
    }
  }

  private static final int LIMIT = 120;

  private final Broker broker = new Broker();
  private final Counts counts = new Counts();
  private LiveFlags live;
  private FlagDelivery delivery;

  @AfterEach
  void close() {
    if (delivery != null) {
      delivery.close();
    }
  }

  /** Twelve string flags of about 25 bytes each: a snapshot of some 300 bytes. */
  private static String flags(String value, String extra) {
    StringBuilder json = new StringBuilder("{\"flags\": {");
    for (int i = 0; i < 12; i++) {
      json.append("\"setting-%02d\": {\"state\": \"ENABLED\", \"variants\": {\"v\": \"%s-%02d\"}, \"defaultVariant\": \"v\"},"
          .formatted(i, value, i));
    }
    json.append("\"ota\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"off\"}");
    return json.append(extra).append("}}").toString();
  }

  private static FlagSet compile(String json) throws Exception {
    return new FlagSetCompiler(Limits.DEFAULT).compile(json.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
  }

  private void start(FlagSet initial) {
    live = new LiveFlags(new FlagSetRevision(1, initial, Map.of()));
    delivery = new FlagDelivery(live, new DeviceContexts(id -> Map.of(), Set.of()), new FlagUpdates(false), broker,
        new FlagDelivery.Settings(1, 100, 0, 8, 100, Duration.ofSeconds(60)), counts);
    live.addListener(delivery);
  }

  private void online(String id, int payloadLimit) throws Exception {
    delivery.connected(id, new DeviceRecord(), new ConnectionFacts(null, Map.of(), payloadLimit), null);
    delivery.subscribed(id);
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
  }

  private int change(long revision, FlagSet next, Set<String> changed) throws Exception {
    int affected = live.publish(new FlagChange(live.current(), new FlagSetRevision(revision, next, Map.of()), changed,
        Set.of(), Set.of())).join();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    return affected;
  }

  /** What the device should hold: the evaluator's values, and its hash. */
  private static void assertHoldsEvaluation(Device device, FlagSet set, String id) {
    Evaluation e = set.evaluate(DeviceContext.of(id));
    Map<String, Object> expected = new TreeMap<>();
    for (int i = 0; i < e.size(); i++) {
      if (e.hasValue(i)) {
        expected.put(e.flag(i).key(), e.value(i));
      }
    }
    assertEquals(expected, device.values());
    assertEquals(e.stateHash(), Device.hash(device.held));
  }

  private static Set<String> keysOf(FlagSet set) {
    Set<String> keys = new java.util.TreeSet<>();
    for (int i = 0; i < set.size(); i++) {
      keys.add(set.flag(i).key());
    }
    return keys;
  }

  @Test
  void aSnapshotAboveTheLimitComesInPartsThatEachVerifyAndEndAtTheWholeSet() throws Exception {
    FlagSet set = compile(flags("first", ""));
    start(set);
    online("small", LIMIT);
    online("large", ConnectionFacts.NO_LIMIT);

    Device small = broker.devices.get("small");
    assertTrue(small.received.size() > 1, "in parts: " + small.received);
    assertTrue(small.received.get(0).getSnapshot());
    for (FlagUpdate part : small.received.subList(1, small.received.size())) {
      assertFalse(part.getSnapshot(), "the rest are deltas");
      assertEquals(1, part.getRevision());
    }
    assertTrue(broker.sizes.stream().limit(small.received.size()).allMatch(n -> n <= LIMIT), broker.sizes.toString());
    assertHoldsEvaluation(small, set, "small");
    assertEquals(1, broker.devices.get("large").received.size(), "a device without a limit gets one snapshot");
    assertEquals(1, counts.split.get());

    // A change to every flag: a delta above the limit, again in parts, each verified.
    FlagSet next = compile(flags("second", ""));
    assertEquals(2, change(2, next, keysOf(next)));
    List<FlagUpdate> after = small.received.subList(small.received.indexOf(small.received.stream()
        .filter(u -> u.getRevision() == 2).findFirst().orElseThrow()), small.received.size());
    assertTrue(after.size() > 1 && after.stream().noneMatch(FlagUpdate::getSnapshot), "deltas in parts: " + after);
    assertHoldsEvaluation(small, next, "small");

    // A device that comes back with the hash of what it holds is confirmed, not sent everything.
    int held = Device.hash(small.held);
    int before = small.received.size();
    delivery.resync("small", held);
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    assertEquals(before + 1, small.received.size());
    assertEquals(0, small.received.get(before).getFlagsCount());
  }

  @Test
  void aValueThatCannotFitIsLeftOutCountedAndDoesNotMakeTheDeviceAffected() throws Exception {
    String huge = ",\"banner\": {\"state\": \"ENABLED\", \"variants\": {\"v\": \"%s\"}, \"defaultVariant\": \"v\"}";
    FlagSet set = compile(flags("first", huge.formatted("x".repeat(200))));
    start(set);
    online("small", LIMIT);
    Device small = broker.devices.get("small");
    assertFalse(small.held.containsKey("banner"), "left out");
    assertEquals(1, counts.leftOut.get());
    Evaluation e = set.evaluate(DeviceContext.of("small"));
    int withoutBanner = e.stateHash() - e.flag(set.indexOf("banner")).entryHash(0);
    assertEquals(withoutBanner, small.received.get(small.received.size() - 1).getStateHash());

    int received = small.received.size();
    FlagSet bigger = compile(flags("first", huge.formatted("y".repeat(300))));
    assertEquals(0, change(2, bigger, Set.of("banner")), "a change to a value it cannot hold does not affect it");
    assertEquals(received, small.received.size(), "and sends it nothing");
    assertEquals(2, counts.leftOut.get(), "but counts it");

    FlagSet on = compile(flags("first", huge.formatted("y".repeat(300))).replace("\"defaultVariant\": \"off\"", "\"defaultVariant\": \"on\""));
    assertEquals(1, change(3, on, Set.of("ota")));
    FlagUpdate delta = small.received.get(small.received.size() - 1);
    assertFalse(delta.getSnapshot(), "what it holds is known: a delta, not a snapshot");
    assertEquals(1, delta.getFlagsCount());
    assertTrue(small.held.get("ota").getBool());
  }

  @Test
  void aLimitBelowAnyUpdateGetsNothingAndIsCounted() throws Exception {
    start(compile(flags("first", "")));
    online("tiny", 4);
    assertEquals(null, broker.devices.get("tiny"));
    assertEquals(1, counts.failed.get());
  }

  @Test
  void partsSplitExactlyAtTheLimit() throws Exception {
    FlagUpdates updates = new FlagUpdates(false);
    FlagSet set = compile(flags("first", ""));
    Evaluation e = set.evaluate(DeviceContext.of("d"));
    List<FlagUpdates.FlagValue> values = new ArrayList<>();
    for (int i = 0; i < e.size(); i++) {
      values.add(new FlagUpdates.FlagValue(e.flag(i), e.variantIndex(i)));
    }
    byte[] whole = updates.update(1, true, values, List.of(), e.stateHash());
    for (int limit = 40; limit <= whole.length; limit++) {
      List<byte[]> parts = UpdateParts.of(updates, 1, true, values, List.of(), 0, key -> 0, limit);
      Device device = new Device();
      for (byte[] part : parts) {
        assertTrue(part.length <= limit, part.length + " > " + limit);
        device.apply(FlagUpdate.parseFrom(part));
      }
      assertEquals(e.stateHash(), Device.hash(device.held), "limit " + limit);
      assertEquals(values.size(), device.held.size());
    }
    assertEquals(1, UpdateParts.of(updates, 1, true, values, List.of(), 0, key -> 0, whole.length).size());
  }
}
