package dev.fleetflags.bench;

import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DeliveryMetrics;
import dev.fleetflags.delivery.DevicePublisher;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.DeviceRecord;
import dev.fleetflags.delivery.FlagChange;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.delivery.FlagSetRevision;
import dev.fleetflags.delivery.FlagUpdates;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.Limits;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Planning and delivery for a large fleet in one process, without sockets (issue 14): N devices of
 * the shared population, with distinct client ids and their attributes as CONNECT user properties,
 * connect and subscribe through {@link FlagDelivery}'s broker callbacks, then changes are made
 * live as admin makes them. A publisher stands in for the broker's PublishService: it takes each
 * update at once, or completes it after a fixed delay on a thread of its own (a broker that takes
 * that long per publish, {@code -Ddelay=<µs>}), and counts what it was handed.
 *
 * <p>What is measured is FleetFlags' own CPU time, as {@link EngineCpuTime} does it: the thread CPU
 * time of the delivery workers, the planner and the thread that plays the broker's callbacks
 * (connects and subscribes) — not the stand-in publisher's, which is the broker's part — per
 * device, for a connect with its first flag set, for a change that affects every device (a
 * one-flag boolean delta, as the load harness makes), and for a rollout step that affects about
 * 10% ({@code rollout-00} 37% to 47%), planning included. Each change is made {@code rounds} times
 * (default 3); the least CPU time and the median wall-clock times are printed: from the change
 * until the first update was handed over and until the last, and until planning was done.
 *
 * <p>{@code mvn -q -Pbench test -Dbench.main="dev.fleetflags.bench.FanOutSimulation 100000 1000000"}
 * (the fleet sizes; {@code -Ddelay=} and {@code -Drounds=} through {@code -Dbench.main} too, e.g.
 * {@code "-Ddelay=50 dev.fleetflags.bench.FanOutSimulation 100000"}). See BENCHMARKS.md.
 */
public final class FanOutSimulation {

  private static final String OTA = "ota-v2";
  private static final String ROLLOUT_BEFORE =
      "\"rollout-00\":{\"state\":\"ENABLED\",\"variants\":{\"on\":true,\"off\":false},\"defaultVariant\":\"off\",\"targeting\":{\"fractional\":[[\"on\",37],[\"off\",63]]}}";
  private static final String ROLLOUT_AFTER = ROLLOUT_BEFORE.replace("37", "47").replace("63", "53");

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
  private final String seed;
  private long revision = 1;

  private FanOutSimulation(String seed) {
    this.seed = seed;
  }

  public static void main(String[] args) throws Exception {
    Path file = Path.of(System.getProperty("fleetflags.bench.flags", BenchWorkload.CHECKED_IN.toString()));
    String seed = Files.readString(file);
    if (!seed.contains(ROLLOUT_BEFORE)) {
      throw new IllegalStateException("rollout-00 not found as expected in " + file);
    }
    long delayMicros = Long.getLong("delay", 0);
    int rounds = Integer.getInteger("rounds", 3);
    List<Integer> sizes = new ArrayList<>();
    for (String a : args) {
      sizes.add(Integer.parseInt(a.replace("_", "")));
    }
    if (sizes.isEmpty()) {
      sizes = List.of(100_000, 1_000_000);
    }
    System.out.printf(Locale.ROOT, "FanOutSimulation: %s devices, publishes %s, %d rounds per change, %d processors, %s%n",
        sizes, delayMicros == 0 ? "taken at once" : "completed after " + delayMicros + " µs", rounds,
        Runtime.getRuntime().availableProcessors(), Runtime.version());
    FanOutSimulation simulation = new FanOutSimulation(seed);
    simulation.run(1_000, delayMicros, 1, false); // warm-up: the JIT compiles the paths measured
    for (int n : sizes) {
      simulation.run(n, delayMicros, rounds, true);
    }
  }

  /** The stand-in for the broker's PublishService. */
  private static final class StandIn implements DevicePublisher, AutoCloseable {

    private record Due(long nanos, CompletableFuture<Boolean> future) {}

    private final long delayNanos;
    private final LinkedBlockingQueue<Due> due = new LinkedBlockingQueue<>();
    private final Thread completer;
    final AtomicLong published = new AtomicLong();
    final AtomicLong firstNanos = new AtomicLong();
    final AtomicLong lastNanos = new AtomicLong();

    StandIn(long delayMicros) {
      this.delayNanos = TimeUnit.MICROSECONDS.toNanos(delayMicros);
      this.completer = new Thread(this::complete, "stand-in-broker");
      completer.setDaemon(true);
      completer.start();
    }

    @Override
    public CompletableFuture<Boolean> publish(String clientId, byte[] payload) {
      long now = System.nanoTime();
      firstNanos.compareAndSet(0, now);
      lastNanos.set(now);
      published.incrementAndGet();
      if (delayNanos == 0) {
        return CompletableFuture.completedFuture(true);
      }
      CompletableFuture<Boolean> f = new CompletableFuture<>();
      due.add(new Due(now + delayNanos, f));
      return f;
    }

    /** Completes publishes in the order they came, each once its delay is over. */
    private void complete() {
      try {
        while (true) {
          Due d = due.take();
          long wait = d.nanos() - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          d.future().complete(true);
        }
      } catch (InterruptedException e) {
        // closed
      }
    }

    void mark() {
      firstNanos.set(0);
      lastNanos.set(0);
      published.set(0);
    }

    @Override
    public void close() {
      completer.interrupt();
    }
  }

  private void run(int n, long delayMicros, int rounds, boolean print) throws Exception {
    FlagSet initial = compile(seed);
    LiveFlags live = new LiveFlags(new FlagSetRevision(revision, initial, Map.of()));
    DeviceContexts contexts = new DeviceContexts(id -> Map.of(), Set.of("model", "region", "firmware", "tags"));
    List<BenchDevices.Device> population = BenchDevices.generate();
    String[] ids = new String[n];
    List<Map<String, String>> properties = new ArrayList<>(population.size());
    for (BenchDevices.Device d : population) {
      Map<String, Object> a = d.attributes();
      Map<String, String> p = new LinkedHashMap<>();
      p.put("model", (String) a.get("model"));
      p.put("region", (String) a.get("region"));
      p.put("firmware", (String) a.get("firmware"));
      List<?> tags = (List<?>) a.get("tags");
      if (!tags.isEmpty()) {
        p.put("tags", String.join(",", tags.stream().map(String::valueOf).toList()));
      }
      properties.add(p);
    }
    for (int i = 0; i < n; i++) {
      ids[i] = "device-" + i;
    }
    try (StandIn broker = new StandIn(delayMicros);
        FlagDelivery delivery = new FlagDelivery(live, contexts, new FlagUpdates(false), broker,
            FlagDelivery.Settings.DEFAULT, DeliveryMetrics.NONE)) {
      live.addListener(delivery);
      // Connects: each device's CONNECT, then its SUBACK, on the calling thread as on a broker's.
      long cpu = fleetFlagsCpu();
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        delivery.connected(ids[i], new DeviceRecord(), new ConnectionFacts(null, properties.get(i % properties.size())), null);
        delivery.subscribed(ids[i]);
      }
      idle(delivery);
      long connectCpu = fleetFlagsCpu() - cpu;
      long connectWall = System.nanoTime() - start;
      check(broker.published.get(), n, "first flag sets");

      // A change that affects every device: ota-v2 added, then flipped each round.
      FlagSetRevision current = live.current();
      current = change(live, delivery, current, withOta(seed, true), Set.of(OTA), broker, n, null);
      Timings all = new Timings();
      for (int round = 0; round < rounds; round++) {
        current = change(live, delivery, current, withOta(seed, round % 2 == 1), Set.of(OTA), broker, n, all);
      }
      // A rollout step, 37% to 47% and back: about 10% of the devices each time.
      Timings step = new Timings();
      String stepped = withOta(seed, rounds % 2 == 1).replace(ROLLOUT_BEFORE, ROLLOUT_AFTER);
      String unstepped = withOta(seed, rounds % 2 == 1);
      for (int round = 0; round < rounds; round++) {
        current = change(live, delivery, current, round % 2 == 0 ? stepped : unstepped, Set.of("rollout-00"), broker,
            -1, step);
      }
      if (print) {
        System.out.printf(Locale.ROOT, "%n%,d devices (%d delivery workers, %,d publishes in flight at most):%n", n,
            FlagDelivery.Settings.DEFAULT.workerThreads(), FlagDelivery.Settings.DEFAULT.maxInFlight());
        System.out.printf(Locale.ROOT, "  connect + first flag set: %.2f µs CPU per device (%,d ms for all, %,.0f/s)%n",
            connectCpu / 1e3 / n, connectWall / 1_000_000, n / (connectWall / 1e9));
        all.print("change affecting every device (one-flag delta)", n);
        step.print("rollout step 37% -> 47% (about 10% of the devices)", n);
      }
    }
  }

  /** One change made live and delivered; its figures added to {@code timings} if given. */
  private FlagSetRevision change(LiveFlags live, FlagDelivery delivery, FlagSetRevision before, String json,
      Set<String> changed, StandIn broker, int expected, Timings timings) throws Exception {
    FlagSetRevision after = new FlagSetRevision(++revision, compile(json), Map.of());
    broker.mark();
    long cpu = fleetFlagsCpu();
    long start = System.nanoTime();
    CompletableFuture<Integer> planned = live.publish(new FlagChange(before, after, changed, Set.of(), Set.of()));
    int affected = planned.get(10, TimeUnit.MINUTES);
    long plannedAt = System.nanoTime();
    idle(delivery);
    long spent = fleetFlagsCpu() - cpu;
    long published = broker.published.get();
    if (expected >= 0) {
      check(published, expected, "deltas of " + changed);
    }
    check(published, affected, "updates against the plan's count");
    if (timings != null) {
      timings.add(spent, affected, broker.firstNanos.get() - start, plannedAt - start, broker.lastNanos.get() - start);
    }
    return after;
  }

  /** The figures of one kind of change over its rounds. */
  private static final class Timings {
    final List<Long> cpu = new ArrayList<>();
    final List<Long> first = new ArrayList<>();
    final List<Long> planned = new ArrayList<>();
    final List<Long> last = new ArrayList<>();
    int affected;

    void add(long cpuNanos, int affected, long firstNanos, long plannedNanos, long lastNanos) {
      cpu.add(cpuNanos);
      first.add(firstNanos);
      planned.add(plannedNanos);
      last.add(lastNanos);
      this.affected = affected;
    }

    void print(String what, int n) {
      long least = cpu.stream().mapToLong(Long::longValue).min().orElse(0);
      System.out.printf(Locale.ROOT, "  %s, %,d affected: %.3f µs CPU per device of the fleet, %.2f µs per affected"
              + " device (%,d ms CPU for all); first update handed over after %.1f ms, planned after %.1f ms, last"
              + " update after %.1f ms (medians)%n",
          what, affected, least / 1e3 / n, affected == 0 ? 0 : least / 1e3 / affected, least / 1_000_000,
          median(first) / 1e6, median(planned) / 1e6, median(last) / 1e6);
    }

    private static long median(List<Long> values) {
      List<Long> sorted = values.stream().sorted().toList();
      return sorted.get(sorted.size() / 2);
    }
  }

  private String withOta(String json, boolean on) {
    String flag = "\"" + OTA + "\":{\"state\":\"ENABLED\",\"variants\":{\"on\":true,\"off\":false},\"defaultVariant\":\""
        + (on ? "on" : "off") + "\"},";
    return json.replaceFirst("\"flags\"\\s*:\\s*\\{", "\"flags\":{" + flag);
  }

  private FlagSet compile(String json) throws Exception {
    return compiler.compile(json.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
  }

  private static void idle(FlagDelivery delivery) throws InterruptedException {
    if (!delivery.awaitIdle(Duration.ofMinutes(10))) {
      throw new IllegalStateException("delivery did not become idle within 10 minutes");
    }
  }

  private static void check(long actual, long expected, String what) {
    if (actual != expected) {
      throw new IllegalStateException(what + ": " + actual + " publishes, expected " + expected);
    }
  }

  /** CPU time of this thread and FleetFlags' delivery threads (workers, planner, timer). */
  private long fleetFlagsCpu() {
    long total = threads.getCurrentThreadCpuTime();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("fleetflags-")) {
        long c = threads.getThreadCpuTime(t.getId());
        if (c > 0) {
          total += c;
        }
      }
    }
    return total;
  }
}
