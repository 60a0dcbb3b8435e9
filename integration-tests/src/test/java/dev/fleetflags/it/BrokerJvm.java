package dev.fleetflags.it;

import com.hivemq.embedded.EmbeddedHiveMQ;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HiveMQ CE with the packaged zip in its extensions folder, in a JVM of its own, which a test can
 * kill as a power cut or the OOM killer would ({@link #kill()}: SIGKILL, no shutdown hook, no
 * flush) and start again on the same folders and port; one of several brokers of a test, too. The
 * folders are laid out as {@link EmbeddedBroker} lays them out; the child runs {@link #main} on
 * them, serves the broker's metrics in Prometheus' format on a free port ({@link
 * PrometheusEndpoint}) and prints {@value #READY} and that port once the broker listens, and this
 * JVM holds its standard input: closing it stops the broker.
 *
 * <p>Several embedded brokers do run in one JVM (two CE 2025.5 served FleetFlags side by side
 * here), but logback is configured once per JVM, so their logs would mix, and a broker killed
 * with SIGKILL needs a process of its own anyway.
 */
final class BrokerJvm implements FleetFlagsBroker {

  static final String READY = "BROKER-JVM-READY";
  private static final long START_SECONDS = 120;

  private final Path root;
  private final int port;
  private final String name;
  private Process process;
  /** Where the running JVM serves the broker's metrics. */
  private volatile int metricsPort;

  private BrokerJvm(Path root, int port, String name) {
    this.root = root;
    this.port = port;
    this.name = name;
  }

  /**
   * A broker of the admin and device scenarios' setup ({@link Scenarios#SETUP}) in {@code root} on
   * {@code port}: the same ones again after a kill bring it back with its data.
   */
  static BrokerJvm start(Path root, int port) {
    return start("broker " + root.getFileName(), Scenarios.SETUP, new EmbeddedBroker.Options(root, port, "127.0.0.1", "OFF", true));
  }

  /** Prepares a broker's folders in a fresh folder (zip unpacked, {@code setup} applied) and starts it. */
  static BrokerJvm start(String name, ExtensionSetup setup) {
    return start(name, setup, EmbeddedBroker.Options.forTest());
  }

  /** The same in the folder and on the port of {@code options} (its data kept if it has some). */
  static BrokerJvm start(String name, ExtensionSetup setup, EmbeddedBroker.Options options) {
    Path root = options.root();
    try {
      Folders.write(root.resolve("conf/config.xml"), EmbeddedBroker.brokerConfig(options.port(), options.bindAddress(), options.moreListeners()));
      Folders.write(root.resolve("conf/logback.xml"), EmbeddedBroker.logbackConfig(root.resolve("log/hivemq.log"), options.consoleLevel()));
      Files.createDirectories(root.resolve("data"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    setup.prepare(ExtensionZip.fromBuild(), root.resolve("extensions"));
    BrokerJvm broker = new BrokerJvm(root, options.port(), name);
    broker.start();
    return broker;
  }

  /** Starts the broker's JVM on its folders and waits until it listens with FleetFlags started. */
  void start() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(name + " is running");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    // a short-lived JVM: the quick compiler only, and the simplest collector
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(BrokerJvm.class.getName());
    command.add(root.toString());
    int logBefore = log().length();
    try {
      process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.PIPE)
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the JVM of " + name, e);
    }
    CompletableFuture<Boolean> ready = new CompletableFuture<>();
    Process started = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          if (line.startsWith(READY)) {
            metricsPort = Integer.parseInt(line.substring(READY.length()).trim());
            ready.complete(true);
          }
        }
      } catch (IOException e) {
        // the process ended
      }
      ready.complete(false);
    }, name + "-output");
    reader.setDaemon(true);
    reader.start();
    try {
      if (!ready.get(START_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException(name + "'s JVM ended before it listened:\n" + logTail());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      kill();
      throw new IllegalStateException(name + "'s JVM did not listen within " + START_SECONDS + " s:\n" + logTail(), e);
    }
    String since = log().substring(Math.min(logBefore, log().length()));
    if (!STARTED.matcher(since).find()) {
      throw new IllegalStateException("FleetFlags did not start in " + name + ":\n" + logTail());
    }
  }

  /** SIGKILL (what {@link Process#destroyForcibly()} sends on Linux), and waits until the JVM is gone. */
  void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the broker JVM outlived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Threads a request passes through: FleetFlags' own, HiveMQ's persistence writers and extension executors. */
  private static final List<String> THREADS_AT_WORK =
      List.of("\"fleetflags", "\"single-writer-", "\"extension-task-executor", "\"managed-extension-executor");

  /**
   * Where the running broker's {@link #THREADS_AT_WORK} are (name, state, first frame outside the
   * JDK, from {@code jcmd Thread.print}), for a failure's message; what went wrong if it cannot.
   */
  String threadsAtWork() {
    if (process == null || !process.isAlive()) {
      return "(the broker JVM is not running)";
    }
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "Thread.print")
          .redirectErrorStream(true).start();
      String out = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      dump.waitFor(30, TimeUnit.SECONDS);
      StringBuilder ours = new StringBuilder();
      for (String thread : out.split("\n\n")) {
        if (THREADS_AT_WORK.stream().anyMatch(thread::startsWith)) {
          // its name, its state and its first frame outside the JDK: enough to see one that is stuck
          String[] lines = thread.split("\n");
          ours.append(lines[0], 0, lines[0].indexOf('"', 1) + 1);
          if (lines.length > 1) {
            ours.append(" | ").append(lines[1].strip().replace("java.lang.Thread.State: ", ""));
          }
          for (int i = 2; i < lines.length; i++) {
            String frame = lines[i].strip();
            if (frame.startsWith("at ") && !frame.contains("(java.base@")) {
              ours.append(" | ").append(frame);
              break;
            }
          }
          ours.append('\n');
        }
      }
      return ours.length() == 0 ? "(none of those threads in the dump)" : ours.toString();
    } catch (IOException e) {
      return "(no thread dump: " + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(no thread dump: interrupted)";
    }
  }

  /** Stops the broker (its standard input closes) and waits for its JVM to end. */
  void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    try {
      process.getOutputStream().close();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(60, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
    try {
      Folders.delete(root.resolve("extensions"));
    } catch (IOException e) {
      // a leftover jar in target/ is no failure
    }
  }

  @Override
  public String host() {
    return "127.0.0.1";
  }

  @Override
  public int mqttPort() {
    return port;
  }

  @Override
  public String log() {
    Path file = root.resolve("log/hivemq.log");
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path logFile() {
    return root.resolve("log/hivemq.log");
  }

  /** The port on which the running broker serves its metrics (README, Metrics in Prometheus). */
  int metricsPort() {
    return metricsPort;
  }

  /** The broker's series now, by name with labels (see {@link PrometheusEndpoint#scrape}). */
  Map<String, Double> scrapeMetrics() {
    return PrometheusEndpoint.scrape(metricsPort);
  }

  @Override
  public String toString() {
    return name;
  }

  /** The broker's JVM: arguments, the broker's folder (conf/, data/, extensions/ prepared). */
  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    EmbeddedHiveMQ hivemq =
        EmbeddedHiveMQ.builder()
            .withConfigurationFolder(root.resolve("conf"))
            .withDataFolder(root.resolve("data"))
            .withExtensionsFolder(root.resolve("extensions"))
            .build();
    hivemq.start().get(START_SECONDS, TimeUnit.SECONDS);
    PrometheusEndpoint metrics = PrometheusEndpoint.start(hivemq.getMetricRegistry(),
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    System.out.println(READY + " " + metrics.port());
    System.out.flush();
    while (System.in.read() != -1) {
      // the test holds our standard input open while it needs the broker
    }
    try {
      hivemq.stop().get(60, TimeUnit.SECONDS);
    } finally {
      System.exit(0);
    }
  }
}
