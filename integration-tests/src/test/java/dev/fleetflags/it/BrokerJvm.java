package dev.fleetflags.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An {@link EmbeddedBroker} with the packaged zip in a JVM of its own, which a test can kill as a
 * power cut or the OOM killer would ({@link #kill()}: SIGKILL, no shutdown hook, no flush) and start
 * again on the same folders. The child runs {@link #main}: it starts the broker in the folder it is
 * given, prints {@value #READY} once FleetFlags has started, and stops when its standard input
 * closes.
 */
final class BrokerJvm implements FleetFlagsBroker {

  static final String READY = "BROKER-JVM-READY";
  private static final long START_SECONDS = 120;

  private final Process process;
  private final Path root;
  private final int port;

  private BrokerJvm(Process process, Path root, int port) {
    this.process = process;
    this.root = root;
    this.port = port;
  }

  /** The child: arguments are the broker's folder and port. */
  public static void main(String[] args) throws IOException {
    EmbeddedBroker broker =
        EmbeddedBroker.start(
            Scenarios.SETUP,
            new EmbeddedBroker.Options(Path.of(args[0]), Integer.parseInt(args[1]), "127.0.0.1", "OFF", true));
    if (!broker.extensionStarted()) {
      System.out.println("FleetFlags did not start: " + broker.startPreventedReason().orElse("see the log"));
      System.exit(1);
    }
    System.out.println(READY);
    System.out.flush();
    while (System.in.read() != -1) {
      // the test holds our standard input open while it needs the broker
    }
    broker.close();
    System.exit(0);
  }

  /** Starts a broker JVM on the folder and port (the same ones again after a kill) and waits until FleetFlags runs. */
  static BrokerJvm start(Path root, int port) {
    try {
      Process process =
          new ProcessBuilder(
                  List.of(
                      Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                      "-Xmx384m",
                      // a short-lived JVM: the quick compiler only, and the simplest collector
                      "-XX:TieredStopAtLevel=1",
                      "-XX:+UseSerialGC",
                      "-Dfleetflags.zip=" + System.getProperty("fleetflags.zip"),
                      "-cp",
                      System.getProperty("java.class.path"),
                      BrokerJvm.class.getName(),
                      root.toString(),
                      Integer.toString(port)))
              .redirectErrorStream(true)
              .start();
      BrokerJvm broker = new BrokerJvm(process, root, port);
      CompletableFuture<String> ready = new CompletableFuture<>();
      Thread reader =
          new Thread(
              () -> {
                StringBuilder said = new StringBuilder();
                try (BufferedReader out =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.equals(READY)) {
                      ready.complete(READY);
                    } else {
                      said.append(line).append('\n');
                    }
                  }
                } catch (IOException e) {
                  // killed
                }
                ready.complete(said.toString());
              },
              "broker-jvm-output");
      reader.setDaemon(true);
      reader.start();
      String outcome = ready.get(START_SECONDS, TimeUnit.SECONDS);
      if (!outcome.equals(READY)) {
        throw new IllegalStateException("the broker JVM ended before FleetFlags ran:\n" + outcome + broker.logTail());
      }
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the broker JVM did not start within " + START_SECONDS + " s", e);
    }
  }

  /** SIGKILL (what {@link Process#destroyForcibly()} sends on Linux), and waits until the JVM is gone. */
  void kill() {
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
      Path file = root.resolve("log").resolve("hivemq.log");
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Closes the child's standard input so it stops the broker; kills it if that takes over a minute. */
  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (IOException e) {
      kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }
}
