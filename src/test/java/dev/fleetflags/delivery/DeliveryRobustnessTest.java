package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.proto.v1.FlagUpdate;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Nothing one device's update throws stops delivery: an Error from evaluating (here: building the
 * device's context) or publishing fails that device, which is retried a bounded number of times and
 * then counted; the worker goes on with the others, and a worker that dies anyway is replaced.
 */
class DeliveryRobustnessTest {

  private static final String FLAGS = """
      {"flags": {"mode": {"state": "ENABLED", "variants": {"a": "eco", "b": "boost"}, "defaultVariant": "a"}}}""";

  /** The devices' updates by client id; throws what {@code fault} gives for a device, if anything. */
  static final class Broker implements DevicePublisher {
    final Map<String, List<FlagUpdate>> received = new ConcurrentHashMap<>();
    final AtomicInteger attempts = new AtomicInteger();
    volatile Function<String, Error> fault = id -> null;

    @Override
    public CompletableFuture<Boolean> publish(String clientId, byte[] payload) {
      attempts.incrementAndGet();
      Error e = fault.apply(clientId);
      if (e != null) {
        throw e;
      }
      try {
        received.computeIfAbsent(clientId, k -> new ArrayList<>()).add(FlagUpdate.parseFrom(payload));
      } catch (Exception x) {
        throw new AssertionError(x);
      }
      return CompletableFuture.completedFuture(true);
    }
  }

  /** Counts devices given up on; can throw from that count, to kill the worker that reports it. */
  static final class Failures implements DeliveryMetrics {
    final AtomicInteger failed = new AtomicInteger();
    volatile boolean throwWhenCounted;

    @Override
    public void deliveryFailed() {
      failed.incrementAndGet();
      if (throwWhenCounted) {
        throw new StackOverflowError("from the metrics, where no one catches it");
      }
    }
  }

  private final Broker broker = new Broker();
  private final Failures failures = new Failures();
  private final Map<String, Error> registryFaults = new ConcurrentHashMap<>();
  private FlagDelivery delivery;

  @AfterEach
  void close() {
    delivery.close();
  }

  private FlagDelivery start(int workers) throws Exception {
    FlagSet set = new FlagSetCompiler(Limits.DEFAULT).compile(FLAGS.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    DeviceRegistry registry = id -> {
      Error e = registryFaults.get(id);
      if (e != null) {
        throw e;
      }
      return Map.of();
    };
    delivery = new FlagDelivery(new LiveFlags(new FlagSetRevision(3, set, Map.of())), new DeviceContexts(registry, Set.of()),
        new FlagUpdates(false), broker, new FlagDelivery.Settings(workers, 10, 0, 8, 100, Duration.ofSeconds(60)), failures);
    return delivery;
  }

  private void online(String... ids) {
    for (String id : ids) {
      delivery.connected(id, new DeviceRecord(), ConnectionFacts.NONE, null);
      delivery.subscribed(id);
    }
  }

  private void drain() throws Exception {
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)), "delivery drains");
  }

  private void assertServed(String... ids) {
    for (String id : ids) {
      List<FlagUpdate> got = broker.received.get(id);
      assertTrue(got != null && got.size() == 1 && got.get(0).getSnapshot(), id + " got its snapshot: " + got);
    }
  }

  private void assertWorkersAlive(int n) {
    List<Thread> workers = delivery.workerThreads();
    assertEquals(n, workers.size());
    workers.forEach(t -> assertTrue(t.isAlive(), t + " is alive"));
  }

  @Test
  void anErrorWhileWorkingOutOneDevicesUpdateFailsThatDeviceOnly() throws Exception {
    start(1);
    registryFaults.put("dev-bad", new OutOfMemoryError("evaluating dev-bad"));
    online("dev-1", "dev-bad", "dev-2");
    drain();
    assertServed("dev-1", "dev-2");
    assertEquals(null, broker.received.get("dev-bad"));
    assertEquals(1, failures.failed.get(), "counted once, after its retries");

    online("dev-3");
    drain();
    assertServed("dev-3");
    assertWorkersAlive(1);

    registryFaults.clear(); // the cause gone, the device's next request is served
    delivery.resync("dev-bad", null);
    drain();
    assertServed("dev-bad");
  }

  @Test
  void anErrorFromThePublisherFailsThatDeviceOnly() throws Exception {
    start(1);
    broker.fault = id -> id.equals("dev-bad") ? new OutOfMemoryError("publishing to dev-bad") : null;
    online("dev-1", "dev-bad", "dev-2");
    drain();
    assertServed("dev-1", "dev-2");
    assertEquals(1, failures.failed.get(), "counted once, after its retries");
    online("dev-3");
    drain();
    assertServed("dev-3");
    assertWorkersAlive(1);
  }

  @Test
  void aWorkerThatDiesIsReplaced() throws Exception {
    start(1);
    Thread first = delivery.workerThreads().get(0);
    failures.throwWhenCounted = true; // handling dev-bad's failure throws in turn: the worker ends
    registryFaults.put("dev-bad", new OutOfMemoryError("evaluating dev-bad"));
    online("dev-bad");
    drain();
    assertEquals(1, failures.failed.get());
    first.join(10_000);
    assertFalse(first.isAlive(), "the worker that reported the failure died of it");
    online("dev-1", "dev-2");
    drain();
    assertServed("dev-1", "dev-2");
    assertWorkersAlive(1);
  }

  /**
   * A change planned while a worker still publishes a device's previous update queues it again,
   * but no other worker takes it before the first is done: two updates of one device are never
   * worked out at once, so they reach it in order and what delivery records it was sent is the
   * last. (Found under load: a delta published before an older one, the older one's record kept.)
   */
  @Test
  void oneDevicesUpdatesAreWorkedOutOneAtATimeAndPublishedInOrder() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch publishing = new java.util.concurrent.CountDownLatch(1);
    List<FlagUpdate> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    DevicePublisher slowFirst = (clientId, payload) -> {
      try {
        if (publishing.getCount() > 0) {
          publishing.countDown();
          assertTrue(release.await(10, java.util.concurrent.TimeUnit.SECONDS));
        }
        order.add(FlagUpdate.parseFrom(payload)); // recorded when the broker would have it
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return CompletableFuture.completedFuture(true);
    };
    FlagSet eco = new FlagSetCompiler(Limits.DEFAULT).compile(FLAGS.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    FlagSet boost = new FlagSetCompiler(Limits.DEFAULT).compile(
        FLAGS.replace("\"defaultVariant\": \"a\"", "\"defaultVariant\": \"b\"").getBytes(StandardCharsets.UTF_8),
        FlagSetCompiler.Mode.STRICT);
    LiveFlags live = new LiveFlags(new FlagSetRevision(3, eco, Map.of()));
    delivery = new FlagDelivery(live, new DeviceContexts(id -> Map.of(), Set.of()), new FlagUpdates(false), slowFirst,
        new FlagDelivery.Settings(2, 10, 0, 8, 100, Duration.ofSeconds(60)), failures);
    live.addListener(delivery);
    online("dev-0");
    assertTrue(publishing.await(10, java.util.concurrent.TimeUnit.SECONDS), "its snapshot is being published");
    assertEquals(1, live.publish(new FlagChange(live.current(), new FlagSetRevision(4, boost, Map.of()), Set.of("mode"),
        Set.of(), Set.of())).join(), "the change affects it while its snapshot is still out");
    release.countDown();
    drain();
    assertEquals(2, order.size(), order.toString());
    assertTrue(order.get(0).getSnapshot(), "the snapshot first: " + order);
    assertEquals("boost", order.get(1).getFlags(0).getString());
    assertEquals(boost.evaluate(DeviceContext.of("dev-0")).stateHash(), order.get(1).getStateHash());
  }

  @Test
  void devicesBesideAFailingOneGetExactlyTheirSet() throws Exception {
    start(2);
    registryFaults.put("dev-bad", new InternalError("evaluating dev-bad"));
    online("dev-1", "dev-bad");
    drain();
    FlagSet set = new FlagSetCompiler(Limits.DEFAULT).compile(FLAGS.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    assertEquals(set.evaluate(DeviceContext.of("dev-1")).stateHash(), broker.received.get("dev-1").get(0).getStateHash());
  }

  /**
   * A device that holds a set and whose next update fails is retried on its schedule, not at once:
   * the newer set served meanwhile does not queue it again while its update keeps failing.
   */
  @Test
  void aDeviceBehindWhoseUpdateFailsWaitsForItsRetries() throws Exception {
    start(1);
    online("dev-a");
    drain();
    assertServed("dev-a");
    AtomicInteger clockFailures = new AtomicInteger();
    AtomicBoolean failing = new AtomicBoolean(true);
    // The worker reads the time before evaluating: an Error there fails the device's update.
    delivery.useClock(new WorkerClock(() -> {
      if (failing.get()) {
        clockFailures.incrementAndGet();
        throw new InternalError("working out dev-a's update");
      }
    }));
    FlagSet boost = new FlagSetCompiler(Limits.DEFAULT).compile(FLAGS.replace("\"defaultVariant\": \"a\"", "\"defaultVariant\": \"b\"")
        .getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    FlagSetRevision before = new FlagSetRevision(3, new FlagSetCompiler(Limits.DEFAULT).compile(
        FLAGS.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT), Map.of());
    delivery.onChange(new FlagChange(before, new FlagSetRevision(4, boost, Map.of()), Set.of("mode"), Set.of(), Set.of()))
        .get(10, TimeUnit.SECONDS);
    drain();
    assertEquals(1, failures.failed.get(), "counted once, after its retries");
    assertTrue(clockFailures.get() <= 4, "tried once and retried three times: " + clockFailures.get());

    failing.set(false);
    delivery.resync("dev-a", null);
    drain();
    List<FlagUpdate> got = broker.received.get("dev-a");
    assertEquals(4L, got.get(got.size() - 1).getRevision());
  }
}
