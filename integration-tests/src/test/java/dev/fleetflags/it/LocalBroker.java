package dev.fleetflags.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * README command 1 ({@code mvn -q -Prun verify}): HiveMQ CE on localhost, with the zip the build
 * just made unpacked into {@code run/extensions/}, configured from {@code examples/config.xml} and
 * seeded with {@code examples/flags.json}; prints what to try, then runs until Ctrl-C. The broker's
 * data stays in {@code run/data/} between runs (the seed applies only to an empty store).
 */
public final class LocalBroker {

  static final String OPERATOR = "admin";
  static final String OPERATOR_PASSWORD = "fleetflags-demo";

  private LocalBroker() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(System.getProperty("fleetflags.root", ".")).toAbsolutePath().normalize();
    int port = Integer.getInteger("fleetflags.port", 1883);
    Path examples = root.resolve("examples");
    Path run = root.resolve("run");

    if (!portIsFree(port)) {
      System.err.printf(
          "%nPort %d on localhost is in use (another broker?). Stop it, or pick another port:"
              + " mvn -q -Prun verify -Dfleetflags.port=1884%n%n",
          port);
      System.exit(1);
    }

    ExtensionSetup setup =
        ExtensionSetup.asPackaged()
            .withConfig(Files.readString(examples.resolve("config.xml")))
            .withFile("conf/flags.json", Files.readString(examples.resolve("flags.json")));
    EmbeddedBroker broker =
        EmbeddedBroker.start(
            setup, new EmbeddedBroker.Options(run, port, "127.0.0.1", "INFO", true));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  broker.stop();
                  stopped.countDown();
                },
                "stop-broker"));

    if (!broker.extensionStarted()) {
      System.err.printf(
          "%nFleetFlags did not start: %s%nBroker log: %s%n%n",
          broker.startPreventedReason().orElse("see the log"), broker.logFile());
      System.exit(1);
    }
    System.out.println(instructions(root, run, broker));
    stopped.await();
  }

  private static boolean portIsFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String instructions(Path root, Path run, EmbeddedBroker broker) {
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
}
