package dev.fleetflags.it;

import dev.fleetflags.etcd.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The multi-broker demo ({@code mvn -q -Pcluster verify}): three etcd members of the {@code etcd}
 * binary and three HiveMQ CE brokers with the zip the build just made, on localhost:1883, 1884 and
 * 1885, each broker configured from {@code examples/config-cluster.xml} (with these members' URLs)
 * and seeded from {@code examples/flags.json}; prints what to try, then runs until Ctrl-C. Starts
 * afresh every time: etcd's data and the brokers' stores are in {@code run-cluster/}, replaced on
 * the next run.
 */
public final class LocalCluster {

  private LocalCluster() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(System.getProperty("fleetflags.root", ".")).toAbsolutePath().normalize();
    int firstPort = Integer.getInteger("fleetflags.port", 1883);
    String missing = EtcdCluster.unavailableReason();
    if (missing != null) {
      System.err.printf("%nThe multi-broker demo needs etcd: %s.%n%n", missing);
      System.exit(1);
    }
    Path run = root.resolve("run-cluster");
    Folders.delete(run);
    EtcdCluster etcd = EtcdCluster.start(3, run);
    String config = Files.readString(root.resolve("examples/config-cluster.xml"))
        .replaceFirst("<etcd-endpoints>[^<]*</etcd-endpoints>", "<etcd-endpoints>" + etcd.endpoints() + "</etcd-endpoints>");
    ExtensionSetup setup = ExtensionSetup.asPackaged()
        .withConfig(config)
        .withFile("conf/flags.json", Files.readString(root.resolve("examples/flags.json")));
    List<BrokerJvm> brokers = new ArrayList<>();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      brokers.forEach(BrokerJvm::stop);
      etcd.close();
      stopped.countDown();
    }, "stop-cluster"));
    for (int b = 0; b < 3; b++) {
      brokers.add(BrokerJvm.start("broker-" + (b + 1), setup,
          new EmbeddedBroker.Options(run.resolve("broker-" + (b + 1)), firstPort + b, "127.0.0.1", "OFF", true)));
    }
    System.out.println(instructions(root, etcd, brokers, firstPort));
    stopped.await();
  }

  private static String instructions(Path root, EtcdCluster etcd, List<BrokerJvm> brokers, int port) {
    String operator = "-u " + LocalBroker.OPERATOR + " -P " + LocalBroker.OPERATOR_PASSWORD;
    return String.join("\n",
        "",
        "================================================================================",
        "Three brokers share one flag state through etcd. Ctrl-C stops everything.",
        "  etcd members: " + etcd.endpoints(),
        "  brokers: localhost:" + port + ", " + (port + 1) + ", " + (port + 2) + "; logs: "
            + root.relativize(brokers.get(0).logFile()).toString().replace("broker-1", "broker-N"),
        "  operator on any broker: " + LocalBroker.OPERATOR + " / " + LocalBroker.OPERATOR_PASSWORD,
        "  metrics (Prometheus' format, README \"Metrics in Prometheus\"): "
            + String.join(", ", brokers.stream().map(b -> "http://localhost:" + b.metricsPort() + PrometheusEndpoint.PATH).toList()),
        "",
        "# a device on the second broker (hex protobuf):",
        "mosquitto_sub -h localhost -p " + (port + 1) + " -V mqttv5 -i dev-1 -q 1 -t 'flags/dev-1' -F '%t %x' \\",
        "    -D connect user-property model sensor-x",
        "",
        "# a change made on the first broker reaches it:",
        "mosquitto_rr -h localhost -p " + port + " -i ops-1 " + operator + " -e 'flags-admin/responses/ops-1' \\",
        "    -t 'flags-admin/flags/apply' -m '{\"flags\": {\"log-level\": {\"state\": \"ENABLED\","
            + " \"variants\": {\"debug\": \"debug\", \"info\": \"info\"}, \"defaultVariant\": \"debug\"}}}'",
        "",
        "# the same revision on the third broker:",
        "mosquitto_rr -h localhost -p " + (port + 2) + " -i ops-3 " + operator + " -e 'flags-admin/responses/ops-3' \\",
        "    -t 'flags-admin/query/flags' -m '{\"flags\": [\"log-level\"]}'",
        "",
        "# stop two etcd members (kill the etcd processes listed by: pgrep -af 'etcd --name m'):",
        "# writes are then answered with an error within 5 s, devices are still served.",
        "================================================================================",
        "");
  }
}
