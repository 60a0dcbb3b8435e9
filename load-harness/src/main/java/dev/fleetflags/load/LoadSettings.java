package dev.fleetflags.load;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a run measures and where.
 *
 * @param devices devices connected at once (ids {@code dev-0..}, attributes of the shared
 *     population, which repeats after 10,000)
 * @param rounds rounds of each timed comparison: a connect round of each kind, a fan-out and a
 *     baseline publish per round
 * @param connectsInFlight connects and subscribes outstanding at once, the same for both kinds
 * @param flags the flag set the broker is seeded with (the generated benchmark workload, {@code flags-50.json})
 * @param work where the brokers' folders go (emptied first)
 * @param out the file the result table is written to, if any
 * @param delivery FleetFlags' {@code <delivery>} settings as XML (e.g. {@code
 *     <max-in-flight>1000</max-in-flight>}); empty: the defaults
 * @param brokerJvmArgs options of the broker's JVM (heap, JFR); {@code {broker}} in them becomes
 *     the broker's name ({@code fleetflags} or {@code bare})
 * @param timeout bound on every wait for devices or the broker; reached only when something is wrong
 * @param clientProcesses JVMs the devices are spread over; 0: as many as this process's file limit
 *     needs (one, this process itself, if it holds them all)
 * @param clientJvmArgs options of each client JVM
 */
public record LoadSettings(
    int devices,
    int rounds,
    int connectsInFlight,
    Path flags,
    Path work,
    @Nullable Path out,
    String delivery,
    List<String> brokerJvmArgs,
    Duration timeout,
    int clientProcesses,
    List<String> clientJvmArgs) {

  public LoadSettings {
    if (devices < 1 || rounds < 1 || connectsInFlight < 1 || clientProcesses < 0) {
      throw new IllegalArgumentException("devices, rounds and connects in flight must be positive");
    }
    brokerJvmArgs = List.copyOf(brokerJvmArgs);
    clientJvmArgs = List.copyOf(clientJvmArgs);
  }

  /** The devices in this process, and the settings' defaults otherwise. */
  public LoadSettings(int devices, int rounds, int connectsInFlight, Path flags, Path work, @Nullable Path out,
      String delivery, List<String> brokerJvmArgs, Duration timeout) {
    this(devices, rounds, connectsInFlight, flags, work, out, delivery, brokerJvmArgs, timeout, 1, List.of("-Xmx1g"));
  }

  /**
   * Fan-out rounds of each kind run before the timed ones and not counted ({@code
   * -Dload.fanOutWarmup}, 6): the broker's JIT compiles and recompiles each kind's path for several
   * rounds (BENCHMARKS, runs 46-51).
   */
  static int fanOutWarmup() {
    return Integer.getInteger("load.fanOutWarmup", 6);
  }

  /** The same run with {@code n} devices. */
  public LoadSettings withDevices(int n) {
    return new LoadSettings(n, rounds, connectsInFlight, flags, work, out, delivery, brokerJvmArgs, timeout,
        clientProcesses, clientJvmArgs);
  }

  /**
   * The fleet sizes of {@code load.devices}: one, or several separated by commas for a scaling
   * table (each a run of its own, with fresh brokers).
   */
  public static List<Integer> deviceCounts() {
    List<Integer> counts = new ArrayList<>();
    for (String n : System.getProperty("load.devices", "5000").split(",")) {
      counts.add(Integer.parseInt(n.trim().replace("_", "")));
    }
    return counts;
  }

  /** From system properties {@code load.*}, with the defaults of the documented command. */
  public static LoadSettings fromSystemProperties() {
    String out = System.getProperty("load.out", "");
    String jvm = System.getProperty("load.brokerJvmArgs", "-Xms2g -Xmx2g").trim();
    String clients = System.getProperty("load.clientJvmArgs", "-Xmx1g").trim();
    return new LoadSettings(
        deviceCounts().get(0),
        Integer.getInteger("load.rounds", 3),
        Integer.getInteger("load.connectsInFlight", 500),
        Path.of(System.getProperty("fleetflags.bench.dir", "../src/test/resources/dev/fleetflags/bench"), "flags-50.json"),
        Path.of(System.getProperty("load.work", "target/load")),
        out.isBlank() ? null : Path.of(out),
        System.getProperty("load.delivery", ""),
        jvm.isEmpty() ? List.of() : Arrays.asList(jvm.split("\\s+")),
        Duration.ofSeconds(Integer.getInteger("load.waitSeconds", 120)),
        Integer.getInteger("load.clientProcesses", 0),
        clients.isEmpty() ? List.of() : Arrays.asList(clients.split("\\s+")));
  }
}
