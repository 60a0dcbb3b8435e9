package dev.fleetflags.bench;

import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DeliveryMetrics;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.delivery.FlagSetRevision;
import dev.fleetflags.delivery.FlagUpdates;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.Limits;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The extension's heap per indexed device: the delivery index with N devices connected,
 * subscribed and sent their 50-flag set, less the same JVM before they came. What the broker holds
 * for a session (the client id string) is made before the first reading, so it is not counted;
 * everything FleetFlags makes per device (its record, context, connection facts copied from the
 * CONNECT user properties, what it was sent) is. Run by {@code mvn -q -Pbench test
 * -Dbench.main=dev.fleetflags.bench.DeviceFootprint} (see
 * BENCHMARKS.md); prints bytes per device.
 */
public final class DeviceFootprint {

  private DeviceFootprint() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.getInteger("devices", 200_000);
    Path file = Path.of(System.getProperty("fleetflags.bench.flags", "../shared/bench/flags-50.json"));
    FlagSet set = new FlagSetCompiler(Limits.DEFAULT).compile(Files.readAllBytes(file), FlagSetCompiler.Mode.STRICT);
    LiveFlags live = new LiveFlags(new FlagSetRevision(1, set, Map.of()));
    DeviceContexts contexts = new DeviceContexts(id -> Map.of(), Set.of("model", "region", "firmware"));
    FlagDelivery delivery = new FlagDelivery(live, contexts, new FlagUpdates(false),
        (clientId, payload) -> CompletableFuture.completedFuture(true),
        new FlagDelivery.Settings(1, 1000, 0, 8, 1000, Duration.ofMinutes(10)), DeliveryMetrics.NONE);

    List<BenchDevices.Device> population = BenchDevices.generate();
    String[] clientIds = new String[n];
    for (int i = 0; i < n; i++) {
      clientIds[i] = "device-" + i; // the broker's own session holds these
    }
    // Warm up the delivery code and its caches on other devices, then forget them.
    index(delivery, population, clientIds, 0, 1000, true);
    long before = usedAfterGc();
    index(delivery, population, clientIds, 1000, n, false);
    long after = usedAfterGc();
    int indexed = delivery.deviceCount();
    System.out.printf("devices indexed: %d (attribute combinations shared: %d)%n", indexed, delivery.attributeCombinations());
    System.out.printf("extension heap per indexed device: %d bytes%n", (after - before) / indexed);
    if (Boolean.getBoolean("hold")) {
      Thread.sleep(60_000); // time for jmap -histo:live
    }
    delivery.close();
    if (clientIds.length != n) {
      throw new AssertionError(); // keeps the client ids reachable until the reading
    }
  }

  private static void index(FlagDelivery delivery, List<BenchDevices.Device> population, String[] clientIds,
      int from, int to, boolean thenDisconnect) throws InterruptedException {
    for (int i = from; i < to; i++) {
      Map<String, Object> a = population.get(i % population.size()).attributes();
      // Fresh strings per device, as each CONNECT packet brings its own.
      Map<String, String> properties = new LinkedHashMap<>();
      properties.put("model", new String((String) a.get("model")));
      properties.put("region", new String((String) a.get("region")));
      properties.put("firmware", new String((String) a.get("firmware")));
      delivery.connected(clientIds[i], i, new ConnectionFacts(null, properties), null);
      delivery.subscribed(clientIds[i]);
    }
    if (!delivery.awaitIdle(Duration.ofMinutes(5))) {
      throw new IllegalStateException("delivery did not finish");
    }
    if (thenDisconnect) {
      for (int i = from; i < to; i++) {
        delivery.disconnected(clientIds[i], i);
      }
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
