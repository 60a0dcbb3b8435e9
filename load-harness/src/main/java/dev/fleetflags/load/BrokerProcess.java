package dev.fleetflags.load;

import dev.fleetflags.it.FleetFlagsBroker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
 * A {@link LoadBroker} in a JVM of its own, started by the harness with the harness's class path
 * and the broker JVM options of the settings. It holds the broker's standard input: closing it
 * stops the broker.
 */
final class BrokerProcess implements FleetFlagsBroker {

  private static final long START_SECONDS = 180;
  private static final long STOP_SECONDS = 60;

  private final Process process;
  private final Path root;
  private final int port;

  private BrokerProcess(Process process, Path root, int port) {
    this.process = process;
    this.root = root;
    this.port = port;
  }

  /**
   * Starts a broker in a fresh folder {@code root} on a free loopback port and waits until it
   * listens; with FleetFlags seeded with the flag file, or with FleetFlags disabled.
   */
  static BrokerProcess start(LoadSettings settings, Path root, boolean withFleetFlags)
      throws IOException, InterruptedException {
    Files.createDirectories(root);
    int port = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // {broker} names each JVM's files apart, e.g. a JFR recording per broker
    String name = root.getFileName().toString();
    settings.brokerJvmArgs().forEach(a -> command.add(a.replace("{broker}", name)));
    command.add("-Dfleetflags.zip=" + System.getProperty("fleetflags.zip", ""));
    command.add("-Dload.persistence=" + System.getProperty("load.persistence", "file"));
    command.add("-Dload.settings=" + System.getProperty("load.settings", ""));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(LoadBroker.class.getName());
    command.add(root.toString());
    command.add(Integer.toString(port));
    command.add(withFleetFlags ? "fleetflags" : "bare");
    command.add(settings.flags().toString());
    command.add(settings.delivery());
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
    BrokerProcess broker = new BrokerProcess(process, root, port);
    CompletableFuture<Boolean> ready = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                  if (line.startsWith(LoadBroker.READY)) {
                    ready.complete(true);
                  } else {
                    System.out.println("[broker] " + line);
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
              ready.complete(false);
            },
            "broker-output");
    reader.setDaemon(true);
    reader.start();
    try {
      if (!ready.get(START_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the broker JVM ended before it listened:\n" + broker.logTail());
      }
    } catch (ExecutionException | TimeoutException e) {
      broker.close();
      throw new IllegalStateException("the broker JVM did not listen within " + START_SECONDS + " s:\n"
          + broker.logTail(), e);
    }
    if (withFleetFlags && !broker.extensionStarted()) {
      broker.close();
      throw new IllegalStateException("FleetFlags did not start in the broker: "
          + broker.startPreventedReason().orElse("see " + broker.logFile()));
    }
    return broker;
  }

  long pid() {
    return process.pid();
  }

  Path logFile() {
    return root.resolve("log/hivemq.log");
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
    try {
      return Files.exists(logFile()) ? Files.readString(logFile()) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Closes the broker's standard input, so it stops; ends it if it has not within a minute. */
  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(STOP_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(STOP_SECONDS, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
