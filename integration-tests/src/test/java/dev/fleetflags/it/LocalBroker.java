package dev.fleetflags.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * README command 1 ({@code mvn -q -Prun verify}): HiveMQ CE on localhost, with the zip the build
 * just made unpacked into {@code run/extensions/}, configured from {@code examples/config.xml} and
 * seeded with {@code examples/flags.json}; prints what to try, then runs until Ctrl-C. The broker's
 * data stays in {@code run/data/} between runs (the seed applies only to an empty store). The
 * broker's metrics are served in Prometheus' text format on localhost:9399 ({@code
 * -Dfleetflags.metricsPort}), as the HiveMQ Prometheus extension serves them.
 */
public final class LocalBroker {

  static final String OPERATOR = "admin";
  static final String OPERATOR_PASSWORD = "fleetflags-demo";
  /**
   * Exit status of a start that failed and said why. The run profiles count it as an ending, as
   * Ctrl-C is, so that Maven adds no pages of errors after the reason.
   */
  static final int FAILED_START = 2;

  private LocalBroker() {}

  /** A start that cannot go on; the message says why and what to do, and is all that is printed. */
  static final class StartFailed extends Exception {
    private static final long serialVersionUID = 1L;

    StartFailed(String message) {
      super(message);
    }
  }

  /** The runner's broker and its metrics endpoint. */
  record Running(EmbeddedBroker broker, PrometheusEndpoint metrics) implements AutoCloseable {

    @Override
    public void close() {
      metrics.close();
      broker.stop();
    }
  }

  public static void main(String[] args) throws InterruptedException {
    Path root = Path.of(System.getProperty("fleetflags.root", ".")).toAbsolutePath().normalize();
    int port = Integer.getInteger("fleetflags.port", 1883);
    int metricsPort = Integer.getInteger("fleetflags.metricsPort", 9399);
    Path run = root.resolve("run");
    Running running;
    try {
      running = start(root, run, port, metricsPort, "INFO");
    } catch (StartFailed e) {
      System.err.printf("%n%s%n%n", e.getMessage());
      System.exit(FAILED_START);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  running.close();
                  stopped.countDown();
                },
                "stop-broker"));
    System.out.println(instructions(root, run, running));
    stopped.await();
  }

  /**
   * Starts HiveMQ CE with the packaged zip in {@code run}, configured and seeded from {@code
   * examples/}, MQTT on {@code port} and the metrics on {@code metricsPort} (both on loopback),
   * broker log lines from {@code consoleLevel} on also on the console.
   */
  static Running start(Path root, Path run, int port, int metricsPort, String consoleLevel) throws StartFailed {
    if (!portIsFree(port)) {
      throw new StartFailed(
          "Port " + port + " on localhost is in use (another broker?). Stop it, or pick another port:"
              + " mvn -q -Prun verify -Dfleetflags.port=" + (port + 1));
    }
    if (!portIsFree(metricsPort)) {
      throw new StartFailed(
          "Port " + metricsPort + " on localhost, for the metrics, is in use (another runner, or the"
              + " HiveMQ Prometheus extension?). Stop it, or pick another port: mvn -q -Prun verify"
              + " -Dfleetflags.metricsPort=" + (metricsPort + 1));
    }
    Path examples = root.resolve("examples");
    EmbeddedBroker broker;
    try {
      ExtensionSetup setup =
          ExtensionSetup.asPackaged()
              .withConfig(Files.readString(examples.resolve("config.xml")))
              .withFile("conf/flags.json", Files.readString(examples.resolve("flags.json")));
      broker =
          EmbeddedBroker.start(
              setup, new EmbeddedBroker.Options(run, port, "127.0.0.1", consoleLevel, true));
    } catch (IOException | RuntimeException e) {
      // The first line says what failed; the broker log, which it may quote at length, says the rest.
      String message = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString());
      throw new StartFailed(
          "The local broker did not start: " + message
              + (e.getCause() != null ? " (" + e.getCause() + ")" : "")
              + "\nBroker log: " + run.resolve("log").resolve("hivemq.log"));
    }
    if (!broker.extensionStarted()) {
      String reason = broker.startPreventedReason().orElse("see the log");
      broker.stop();
      throw new StartFailed("FleetFlags did not start: " + reason + "\nBroker log: " + broker.logFile());
    }
    try {
      return new Running(
          broker,
          PrometheusEndpoint.start(
              broker.metricRegistry(),
              new InetSocketAddress(InetAddress.getLoopbackAddress(), metricsPort)));
    } catch (IOException e) {
      broker.stop();
      throw new StartFailed(
          "The metrics could not be served on port " + metricsPort + ": " + e.getMessage()
              + ". Pick another port: mvn -q -Prun verify -Dfleetflags.metricsPort=" + (metricsPort + 1));
    }
  }

  private static boolean portIsFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static String instructions(Path root, Path run, Running running) {
    EmbeddedBroker broker = running.broker();
    int port = broker.mqttPort();
    String mqtt = "-h localhost -p " + port;
    String operator = "-u " + OPERATOR + " -P " + OPERATOR_PASSWORD;
    String operatorClient =
        mqtt + " -i ops-1 " + operator + " -e 'flags-admin/responses/ops-1'";
    return String.join(
        "\n",
        "",
        "================================================================================",
        "FleetFlags "
            + ExtensionZip.fromBuild().version()
            + " is running in HiveMQ CE on localhost:"
            + port
            + ". Ctrl-C stops it.",
        "  extension: "
            + root.relativize(broker.extensionHome())
            + "/ (config from"
            + " examples/config.xml, seeded with examples/flags.json)",
        "  broker log: "
            + root.relativize(broker.logFile())
            + "; data: "
            + root.relativize(broker.dataFolder())
            + "/ (kept between runs; delete "
            + root.relativize(run)
            + "/ to start from the seed again)",
        "  operator: " + OPERATOR + " / " + OPERATOR_PASSWORD,
        "  metrics: " + metricsUrl(running) + " (Prometheus' text format, the series the HiveMQ",
        "    Prometheus extension exports: README, \"Metrics in Prometheus\"); FleetFlags' own:",
        "    curl -s " + metricsUrl(running) + " | grep ^fleetflags_",
        "",
        "Try it with mosquitto-clients (apt-get install mosquitto-clients). Flag updates are",
        "Protocol Buffers (proto/fleetflags/v1), shown here as hex.",
        "",
        "# a device (MQTT 5) reporting its model and firmware, subscribed to its flags:",
        "mosquitto_sub " + mqtt + " -V mqttv5 -i dev-1 -q 1 -t 'flags/dev-1' -F '%t %x' \\",
        "    -D connect user-property model sensor-x -D connect user-property firmware 2.5.0",
        "",
        "# a device on MQTT 3.1.1:",
        "mosquitto_sub " + mqtt + " -V mqttv311 -i dev-2 -q 1 -t 'flags/dev-2' -F '%t %x'",
        "",
        "# an operator: mosquitto_rr publishes the request with a response topic, waits for",
        "# the answer and prints it (answers go only to the client that asked). Roll",
        "# new-telemetry-pipeline out to half the fleet; devices whose value changes get a delta:",
        "mosquitto_rr " + operatorClient + " -t 'flags-admin/flags/apply' \\",
        "    -m '{\"flags\": {\"new-telemetry-pipeline\": {\"state\": \"ENABLED\","
            + " \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"off\","
            + " \"targeting\": {\"fractional\": [[\"on\", 50], [\"off\", 50]]}}}}'",
        "",
        "# a bad request is answered with what is wrong and where, and changes nothing:",
        "mosquitto_rr " + operatorClient + " -t 'flags-admin/flags/apply' \\",
        "    -m '{\"flags\": {\"x\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true},"
            + " \"defaultVariant\": \"of\"}}}'",
        "",
        "# what dev-1 gets, flag by flag, and why:",
        "mosquitto_rr " + operatorClient + " -t 'flags-admin/query/evaluate' -m '{\"device\": \"dev-1\"}'",
        "",
        "# set registry attributes for dev-2 (MQTT 3.1.1 devices cannot send user properties):",
        "mosquitto_rr " + operatorClient + " -t 'flags-admin/devices/attributes' \\",
        "    -m '{\"devices\": {\"dev-2\": {\"model\": \"gateway-g1\"}}}'",
        "================================================================================",
        "");
  }

  static String metricsUrl(Running running) {
    return "http://localhost:" + running.metrics().port() + PrometheusEndpoint.PATH;
  }
}
