package dev.fleetflags.bench;

import dev.fleetflags.delivery.AckStatus;
import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DeliveryMetrics;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.DeviceRecord;
import dev.fleetflags.delivery.FlagChange;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.delivery.FlagSetRevision;
import dev.fleetflags.delivery.FlagUpdates;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.proto.v1.FlagAck;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The extension's heap per indexed device: the delivery index with N devices connected,
 * subscribed and sent their 50-flag set, less the same JVM before they came. What the broker holds
 * for a session (the client id string) is made before the first reading, so it is not counted;
 * everything FleetFlags makes per device (its record, its attributes from the CONNECT user
 * properties, what it was sent) is.
 *
 * <p>Two populations, one after the other in the same JVM, each on a delivery index of its own:
 * the shared population's 10,000 devices repeated (devices with equal attributes: the flattering
 * case for anything shared per combination), and N distinct devices from the population's
 * generator continued, whose attribute combinations are nearly all different while the names and
 * values repeat, as in a real fleet. Each device states the generator's four attributes as CONNECT
 * user properties ({@code tags} comma-separated, as a user property is a string).
 *
 * <p>Then, on the distinct population, what ack tracking adds (BENCHMARKS.md, "Ack tracking"): a
 * change that targets every device (a flag added), delivered and not acknowledged; every device
 * acknowledging it APPLIED; and a minute later, once their ack rates are refilled (the marks of
 * what each device applied stay while the revision is tracked).
 * {@code -Dbench.acks=false} leaves this out (it waits a minute).
 *
 * <p>Run by {@code mvn -q -Pbench test -Dbench.main=dev.fleetflags.bench.DeviceFootprint} (see
 * BENCHMARKS.md); prints bytes per device for each population. {@code -Dbench.histogram=<prefix>} also
 * writes the JVM's class histogram at each reading to {@code <prefix>-shared.txt} and {@code
 * <prefix>-distinct.txt} (jcmd GC.class_histogram), to see where the bytes are.
 */
public final class DeviceFootprint {

  /** How often delivery refills the devices' ack rates (AckRate.REFILL_SECONDS, package-private there). */
  private static final int REFILL_SECONDS = 60;

  /** Devices connected, served and disconnected first, so that warm-up allocations are not counted. */
  private static final int WARM_UP = 1000;

  private DeviceFootprint() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.getInteger("devices", 200_000);
    Path file = Path.of(System.getProperty("fleetflags.bench.flags", BenchWorkload.CHECKED_IN.toString()));
    FlagSet set = new FlagSetCompiler(Limits.DEFAULT).compile(Files.readAllBytes(file), FlagSetCompiler.Mode.STRICT);
    String[] clientIds = new String[n];
    for (int i = 0; i < n; i++) {
      clientIds[i] = "device-" + i; // the broker's own session holds these
    }
    measure("shared", String.format("shared population (its %,d devices repeated)", BenchDevices.COUNT), set,
        BenchDevices.generate(), clientIds, false);
    measure("distinct", "distinct devices (the population's generator continued)", set, BenchDevices.generate(n), clientIds,
        !"false".equals(System.getProperty("acks")));
    if (clientIds.length != n) {
      throw new AssertionError(); // keeps the client ids reachable until the last reading
    }
  }

  private static void measure(String name, String population, FlagSet set, List<BenchDevices.Device> devices,
      String[] clientIds, boolean acks) throws Exception {
    int n = clientIds.length;
    int combinations = combinations(devices, n);
    LiveFlags live = new LiveFlags(new FlagSetRevision(1, set, Map.of()));
    DeviceContexts contexts = new DeviceContexts(id -> Map.of(), Set.of("model", "region", "firmware", "tags"));
    AtomicLong acknowledged = new AtomicLong();
    DeliveryMetrics counting = new DeliveryMetrics() {
      @Override
      public void acknowledged(AckStatus status) {
        acknowledged.incrementAndGet();
      }
    };
    FlagDelivery delivery = new FlagDelivery(live, contexts, new FlagUpdates(false),
        (clientId, payload) -> CompletableFuture.completedFuture(true),
        new FlagDelivery.Settings(1, 1000, 0, 8, WARM_UP, Duration.ofMinutes(10)), counting);
    DeviceRecord[] connections = new DeviceRecord[n];
    // Warm up the delivery code and its caches on other devices, then forget them.
    index(delivery, devices, clientIds, connections, 0, WARM_UP);
    for (int i = 0; i < WARM_UP; i++) {
      delivery.disconnected(clientIds[i], connections[i]);
    }
    long before = usedAfterGc();
    index(delivery, devices, clientIds, connections, WARM_UP, n);
    long after = usedAfterGc();
    int indexed = delivery.deviceCount();
    System.out.printf("%s: %,d devices indexed, %,d attribute combinations: %d bytes per device%n",
        population, indexed, combinations, (after - before) / indexed);
    String histogram = System.getProperty("histogram");
    if (histogram != null && !histogram.isEmpty()) {
      writeHistogram(Path.of(histogram + "-" + name + ".txt"));
    }
    if (acks) {
      ackTracking(delivery, live, clientIds, acknowledged, after, indexed);
    }
    delivery.close();
  }

  /**
   * What ack tracking holds per device: a change targeting every device, delivered; every device
   * acking it; a minute later.
   */
  private static void ackTracking(FlagDelivery delivery, LiveFlags live, String[] clientIds, AtomicLong acknowledged,
      long served, int indexed) throws Exception {
    FlagSetRevision before = live.current();
    Map<String, Object> document = new LinkedHashMap<>(before.flagSet().document().toJson());
    @SuppressWarnings("unchecked")
    Map<String, Object> flags = new LinkedHashMap<>((Map<String, Object>) document.get("flags"));
    flags.put("ack-probe", Map.of("state", "ENABLED", "variants", Map.of("on", true, "off", false), "defaultVariant", "on"));
    document.put("flags", flags);
    FlagSet next = new FlagSetCompiler(Limits.DEFAULT).compile(Json.write(document).getBytes(StandardCharsets.UTF_8),
        FlagSetCompiler.Mode.STRICT);
    FlagSetRevision after = new FlagSetRevision(before.revision() + 1, next, Map.of());
    int targeted = delivery.onChange(new FlagChange(before, after, Set.of("ack-probe"), Set.of(), Set.of())).join();
    if (!delivery.awaitIdle(Duration.ofMinutes(5))) {
      throw new IllegalStateException("delivery did not finish");
    }
    long delivered = usedAfterGc();
    System.out.printf("ack tracking: %,d devices targeted, delivered, not acknowledged (%,d tracked): %d bytes per device more%n",
        targeted, delivery.compliance().devicesTracked(), (delivered - served) / indexed);
    byte[] ack = FlagAck.newBuilder().setRevision(after.revision()).setStateHash(0).setStatus(FlagAck.Status.APPLIED).build()
        .toByteArray();
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    for (int i = WARM_UP; i < clientIds.length; i++) {
      delivery.compliance().offer(clientIds[i], ByteBuffer.wrap(ack));
      // a fleet acks over seconds, not at once: no more than the acks' queue holds
      while (i - WARM_UP + 1 - acknowledged.get() >= 5000 && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
    }
    while (acknowledged.get() < indexed && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    long applied = usedAfterGc();
    System.out.printf("ack tracking: %,d devices acknowledged APPLIED, their ack rates counting: %d bytes per device more%n",
        acknowledged.get(), (applied - served) / indexed);
    Thread.sleep((REFILL_SECONDS + 2) * 1000L); // the rates are refilled: full buckets are no bits
    long refilled = usedAfterGc();
    System.out.printf("ack tracking: a minute later (%,d tracked, %s applied): %d bytes per device more%n",
        delivery.compliance().devicesTracked(), delivery.compliance().latest().applied(), (refilled - served) / indexed);
  }

  private static void index(FlagDelivery delivery, List<BenchDevices.Device> devices, String[] clientIds,
      DeviceRecord[] connections, int from, int to) throws InterruptedException {
    for (int i = from; i < to; i++) {
      Map<String, Object> a = devices.get(i % devices.size()).attributes();
      // Fresh strings per device, as each CONNECT packet brings its own.
      Map<String, String> properties = new LinkedHashMap<>();
      properties.put(new String("model"), new String((String) a.get("model")));
      properties.put(new String("region"), new String((String) a.get("region")));
      properties.put(new String("firmware"), new String((String) a.get("firmware")));
      List<?> tags = (List<?>) a.get("tags");
      if (!tags.isEmpty()) {
        properties.put(new String("tags"), String.join(",", tags.stream().map(String::valueOf).toList()));
      }
      // the broker's lifecycle listener for the connection is this record (ConnectionListener)
      DeviceRecord connection = new DeviceRecord();
      connections[i] = connection;
      delivery.connected(clientIds[i], connection, new ConnectionFacts(null, properties), null);
      delivery.subscribed(clientIds[i]);
    }
    if (!delivery.awaitIdle(Duration.ofMinutes(5))) {
      throw new IllegalStateException("delivery did not finish");
    }
  }

  /** Distinct attribute combinations among the measured devices. */
  private static int combinations(List<BenchDevices.Device> devices, int n) {
    Set<Map<String, Object>> distinct = new HashSet<>();
    for (int i = WARM_UP; i < n; i++) {
      distinct.add(devices.get(i % devices.size()).attributes());
    }
    return distinct.size();
  }

  private static void writeHistogram(Path file) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(jcmd.toString(), Long.toString(ProcessHandle.current().pid()), "GC.class_histogram")
        .redirectErrorStream(true).redirectOutput(file.toFile()).start();
    if (p.waitFor() != 0) {
      throw new IOException("jcmd GC.class_histogram failed; see " + file);
    }
  }

  private static long usedAfterGc() throws InterruptedException {
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
