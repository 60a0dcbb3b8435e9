package dev.fleetflags.it;

import com.hivemq.embedded.EmbeddedHiveMQ;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HiveMQ CE with the packaged zip in its extensions folder, in a JVM of its own: one of several
 * brokers of a test, which can be killed with SIGKILL and started again on its folders and port.
 * The folders are laid out as {@link EmbeddedBroker} lays them out; this JVM only starts the
 * process ({@link #main}) and holds its standard input: closing it stops the broker.
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

  private BrokerJvm(Path root, int port, String name) {
    this.root = root;
    this.port = port;
    this.name = name;
  }

  /** Prepares a broker's folders in a fresh folder (zip unpacked, {@code setup} applied) and starts it. */
  static BrokerJvm start(String name, ExtensionSetup setup) {
    return start(name, setup, EmbeddedBroker.Options.forTest());
  }

  /** The same in the folder and on the port of {@code options} (its data kept if it has some). */
  static BrokerJvm start(String name, ExtensionSetup setup, EmbeddedBroker.Options options) {
    Path root = options.root();
    try {
      Folders.write(root.resolve("conf/config.xml"), EmbeddedBroker.brokerConfig(options.port(), options.bindAddress()));
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
    command.add("-Xmx768m");
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

  /** SIGKILL: the broker ends at once, with whatever it had not written. */
  void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
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
    System.out.println(READY);
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
