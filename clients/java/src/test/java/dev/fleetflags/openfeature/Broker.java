package dev.fleetflags.openfeature;

import com.hivemq.embedded.EmbeddedHiveMQ;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * HiveMQ CE embedded in the test's JVM, as the integration tests run it: the zip the root build
 * packaged ({@code fleetflags.zip}) unpacked into its extensions folder, FleetFlags configured to
 * let devices in with one operator, a listener on a free loopback port, the log in a file. The
 * extension has its own class loader: nothing of it is on this class path. {@link #stop()} and
 * {@link #start()} keep the folders, so a restart brings the same flags back.
 */
final class Broker implements AutoCloseable {

  static final String OPERATOR = "ops";
  static final String OPERATOR_PASSWORD = "it-secret";
  /** PBKDF2-SHA256 of the password, 10,000 iterations (the fewest FleetFlags takes): fast sign-in. */
  private static final String OPERATOR_HASH =
      "pbkdf2-sha256:10000:ZmxlZXRmbGFncy1pdC1zYQ==:un38uyuYPMK/lyg3EwQmuUMXDwMe75kTxMtUzYWBGvk=";
  private static final long START_SECONDS = 120;

  private final Path root;
  private final int port;
  private EmbeddedHiveMQ hivemq;

  private Broker(Path root, int port) {
    this.root = root;
    this.port = port;
  }

  /**
   * A started broker whose FleetFlags takes {@code attributes} as CONNECT user properties, sends
   * variant names, and is seeded with {@code seedFlags} (a flagd document).
   */
  static Broker start(String seedFlags, String... attributes) {
    try {
      Path base = Path.of(System.getProperty("fleetflags.brokers", System.getProperty("java.io.tmpdir")));
      Files.createDirectories(base);
      Broker broker = new Broker(Files.createTempDirectory(base, "broker-"), freePort());
      broker.prepare(seedFlags, attributes);
      broker.start();
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void prepare(String seedFlags, String... attributes) throws IOException {
    write(root.resolve("conf/config.xml"), """
        <?xml version="1.0"?>
        <hivemq>
            <listeners><tcp-listener><port>%d</port><bind-address>127.0.0.1</bind-address></tcp-listener></listeners>
            <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>
        </hivemq>
        """.formatted(port));
    write(root.resolve("conf/logback.xml"), """
        <configuration>
            <appender name="FILE" class="ch.qos.logback.core.FileAppender">
                <file>%s</file>
                <encoder><pattern>%%d{HH:mm:ss.SSS} %%-5level %%logger{0} [%%thread] - %%msg%%n%%ex</pattern></encoder>
            </appender>
            <root level="INFO"><appender-ref ref="FILE"/></root>
            <logger name="jetbrains.exodus" level="WARN"/>
            <logger name="dev.fleetflags.openfeature" level="DEBUG"/>
            <logger name="oshi" level="ERROR"/>
            <logger name="com.google.common.util.concurrent.Futures.CombinedFuture" level="OFF"/>
        </configuration>
        """.formatted(log()));
    Files.createDirectories(root.resolve("data"));
    Path home = unpack(root.resolve("extensions"));
    StringBuilder allowed = new StringBuilder();
    for (String a : attributes) {
      allowed.append("<user-property>").append(a).append("</user-property>");
    }
    write(home.resolve("conf/seed-flags.json"), seedFlags);
    write(home.resolve("conf/config.xml"), """
        <fleetflags>
            <seed-file>conf/seed-flags.json</seed-file>
            <include-variants>true</include-variants>
            <device-authentication>allow</device-authentication>
            <attributes>%s</attributes>
            <operators><operator><username>%s</username><password-hash>%s</password-hash></operator></operators>
            <limits>
                <admin-requests-per-second>100000</admin-requests-per-second>
                <admin-queries-per-second>100000</admin-queries-per-second>
            </limits>
        </fleetflags>
        """.formatted(allowed, OPERATOR, OPERATOR_HASH));
  }

  /** Starts it on its folders and port; FleetFlags must have started. */
  void start() {
    hivemq = EmbeddedHiveMQ.builder().withConfigurationFolder(root.resolve("conf"))
        .withDataFolder(root.resolve("data")).withExtensionsFolder(root.resolve("extensions")).build();
    long logBefore = logText().length();
    try {
      hivemq.start().get(START_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the broker did not start:\n" + logText(), e);
    }
    // HiveMQ starts extensions before it opens its listeners: the verdict is in the log by now.
    String since = logText().substring((int) Math.min(logBefore, logText().length()));
    if (!since.contains("Extension \"FleetFlags\" version") || !since.contains("started successfully")) {
      throw new IllegalStateException("FleetFlags did not start:\n" + since);
    }
  }

  /** Stops it; devices find the port closed until {@link #start()}. */
  void stop() {
    if (hivemq == null) {
      return;
    }
    try {
      hivemq.stop().get(START_SECONDS, TimeUnit.SECONDS);
      hivemq.close();
    } catch (Exception e) {
      throw new IllegalStateException("the broker did not stop", e);
    } finally {
      hivemq = null;
    }
  }

  @Override
  public void close() {
    stop();
  }

  String host() {
    return "127.0.0.1";
  }

  int port() {
    return port;
  }

  Path log() {
    return root.resolve("log/hivemq.log");
  }

  String logText() {
    try {
      return Files.exists(log()) ? Files.readString(log()) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Unpacks the zip the root build made; returns the extension's folder. */
  private static Path unpack(Path extensions) throws IOException {
    String zip = System.getProperty("fleetflags.zip");
    if (zip == null || !Files.isRegularFile(Path.of(zip))) {
      throw new IllegalStateException("no packaged zip at fleetflags.zip=" + zip
          + ": build it first with mvn package in the project root");
    }
    Path root = extensions.toAbsolutePath().normalize();
    try (ZipFile file = new ZipFile(zip)) {
      for (ZipEntry entry : file.stream().toList()) {
        Path target = root.resolve(entry.getName()).normalize();
        if (!target.startsWith(root)) {
          throw new IOException("zip entry outside the folder: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          try (InputStream in = file.getInputStream(entry)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    }
    try (Stream<Path> top = Files.list(root)) {
      return top.filter(Files::isDirectory).min(Comparator.naturalOrder()).orElseThrow();
    }
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
