package dev.fleetflags.it;

import com.codahale.metrics.MetricRegistry;
import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HiveMQ CE embedded in this JVM, set up as production is: the packaged zip unpacked into its
 * extensions folder, a broker {@code config.xml} with the listener, and the log in a file. The
 * extension has its own class loader with the jar's dependencies, so nothing here shares classes
 * with it but the SDK. Folders survive {@link #stop()} so {@link #start()} can bring the same
 * broker back with its data.
 */
public final class EmbeddedBroker implements FleetFlagsBroker {

  /** Generous bound for a start or stop on a busy 2-core machine; reached only when broken. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private final Path root;
  private final int port;
  private final String bindAddress;
  private final boolean keepExtension;
  private final Path extensionHome;
  /** An extension of the test's own beside FleetFlags (sharing the test's class path), or null. */
  private final EmbeddedExtension alongside;
  private EmbeddedHiveMQ hivemq;

  /**
   * Where and how a broker runs.
   *
   * @param root holds conf/, data/, extensions/ and log/
   * @param port the MQTT TCP listener's port
   * @param bindAddress the listener's address
   * @param consoleLevel broker log lines from this level on also go to the console
   * @param keepExtension whether {@link #close()} leaves the unpacked extension in place
   * @param moreListeners listeners besides the TCP one, as elements of {@code <listeners>}
   */
  public record Options(
      Path root, int port, String bindAddress, String consoleLevel, boolean keepExtension, String moreListeners) {

    public Options(Path root, int port, String bindAddress, String consoleLevel, boolean keepExtension) {
      this(root, port, bindAddress, consoleLevel, keepExtension, "");
    }

    /** These options with {@code listeners} (elements of {@code <listeners>}) besides the TCP one. */
    public Options withListeners(String listeners) {
      return new Options(root, port, bindAddress, consoleLevel, keepExtension, listeners);
    }

    /**
     * A fresh folder below {@code fleetflags.brokers} (or the temp folder), a free port, and the
     * log only in the file: scenarios provoke errors on purpose; failures quote the log.
     */
    public static Options forTest() {
      try {
        Path base =
            Path.of(System.getProperty("fleetflags.brokers", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(base);
        return new Options(
            Files.createTempDirectory(base, "broker-"), freePort(), "127.0.0.1", "OFF", false);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private EmbeddedBroker(Options options, ExtensionSetup setup, EmbeddedExtension alongside) {
    this.alongside = alongside;
    this.root = options.root().toAbsolutePath();
    this.port = options.port();
    this.bindAddress = options.bindAddress();
    this.keepExtension = options.keepExtension();
    try {
      Folders.write(configFolder().resolve("config.xml"), brokerConfig(port, bindAddress, options.moreListeners()));
      Folders.write(configFolder().resolve("logback.xml"), logbackConfig(logFile(), options.consoleLevel()));
      Files.createDirectories(dataFolder());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.extensionHome = setup.prepare(ExtensionZip.fromBuild(), extensionsFolder());
  }

  /** A broker in a fresh folder on a free port, started, with FleetFlags started or refused. */
  public static EmbeddedBroker start(ExtensionSetup setup) {
    return start(setup, Options.forTest());
  }

  public static EmbeddedBroker start(ExtensionSetup setup, Options options) {
    EmbeddedBroker broker = new EmbeddedBroker(options, setup, null);
    broker.start();
    return broker;
  }

  /**
   * A broker in a fresh folder with FleetFlags and an extension of the test's own: what the test
   * does through HiveMQ's extension services (such as its retained message store) it does as any
   * other extension on the broker would.
   */
  public static EmbeddedBroker startAlongside(ExtensionSetup setup, EmbeddedExtension alongside) {
    EmbeddedBroker broker = new EmbeddedBroker(Options.forTest(), setup, alongside);
    broker.start();
    return broker;
  }

  /**
   * Starts the broker on its folders and waits until HiveMQ reported FleetFlags as started or as
   * refusing to start (unless the setup disabled it).
   */
  public void start() {
    if (hivemq != null) {
      throw new IllegalStateException("already running");
    }
    int logBefore = log().length();
    var builder =
        EmbeddedHiveMQ.builder()
            .withConfigurationFolder(configFolder())
            .withDataFolder(dataFolder())
            .withExtensionsFolder(extensionsFolder());
    if (alongside != null) {
      builder.withEmbeddedExtension(alongside);
    }
    hivemq = builder.build();
    try {
      hivemq.start().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the broker", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the broker did not start:\n" + logTail(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("the broker hangs starting:\n" + logTail(), e);
    }
    if (!Files.exists(extensionHome.resolve(ExtensionSetup.DISABLED_MARKER))) {
      awaitExtensionVerdict(logBefore);
    }
  }

  /** HiveMQ starts extensions before it opens listeners; this is a safety net, not a wait. */
  private void awaitExtensionVerdict(int logBefore) {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (true) {
      String log = log();
      String since = log.substring(Math.min(logBefore, log.length()));
      if (STARTED.matcher(since).find() || PREVENTED.matcher(since).find()) {
        return;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(
            "HiveMQ reported neither start nor refusal of FleetFlags:\n" + logTail());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** Stops the broker; folders and data stay for {@link #start()}. */
  public void stop() {
    if (hivemq == null) {
      return;
    }
    try {
      hivemq.stop().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      hivemq.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the broker did not stop cleanly", e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("the broker hangs stopping:\n" + logTail(), e);
    } finally {
      hivemq = null;
    }
  }

  /** Stops and starts again on the same folders and port. */
  public void restart() {
    stop();
    start();
  }

  /** Stops; removes the unpacked extension (a large jar) unless asked to keep it. */
  @Override
  public void close() {
    stop();
    if (!keepExtension) {
      try {
        Folders.delete(extensionsFolder());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public String host() {
    return bindAddress.equals("0.0.0.0") ? "127.0.0.1" : bindAddress;
  }

  @Override
  public int mqttPort() {
    return port;
  }

  @Override
  public String log() {
    try {
      Path file = logFile();
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The running broker's MetricRegistry, the one extensions register their metrics in (FleetFlags'
   * are named {@code fleetflags.*}).
   */
  public MetricRegistry metricRegistry() {
    if (hivemq == null) {
      throw new IllegalStateException("the broker is not running");
    }
    return hivemq.getMetricRegistry();
  }

  public Path root() {
    return root;
  }

  public Path extensionHome() {
    return extensionHome;
  }

  public Path configFolder() {
    return root.resolve("conf");
  }

  public Path dataFolder() {
    return root.resolve("data");
  }

  public Path extensionsFolder() {
    return root.resolve("extensions");
  }

  public Path logFile() {
    return root.resolve("log").resolve("hivemq.log");
  }

  /** The broker's {@code conf/config.xml}: one TCP listener, and {@code moreListeners}. */
  static String brokerConfig(int port, String bindAddress, String moreListeners) {
    return """
           <?xml version="1.0"?>
           <hivemq>
               <listeners>
                   <tcp-listener>
                       <port>%d</port>
                       <bind-address>%s</bind-address>
                   </tcp-listener>
                   %s
               </listeners>
               <anonymous-usage-statistics>
                   <enabled>false</enabled>
               </anonymous-usage-statistics>
           </hivemq>
           """
        .formatted(port, bindAddress, moreListeners);
  }

  /** HiveMQ applies conf/logback.xml of the broker it starts (for the whole JVM). */
  static String logbackConfig(Path logFile, String consoleLevel) {
    return """
<configuration>
    <appender name="FILE" class="ch.qos.logback.core.FileAppender">
        <file>%s</file>
        <encoder><pattern>%%d{HH:mm:ss.SSS} %%-5level %%logger{0} - %%msg%%n%%ex</pattern></encoder>
    </appender>
    <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
        <filter class="ch.qos.logback.classic.filter.ThresholdFilter">
            <level>%s</level>
        </filter>
        <encoder><pattern>%%d{HH:mm:ss.SSS} %%-5level - %%msg%%n%%ex</pattern></encoder>
    </appender>
    <root level="INFO">
        <appender-ref ref="FILE"/>
        <appender-ref ref="CONSOLE"/>
    </root>
    <logger name="jetbrains.exodus" level="WARN"/>
    <logger name="org.eclipse.jetty" level="ERROR"/>
    <logger name="com.google.common.util.concurrent.Futures.CombinedFuture" level="OFF"/>
    <logger name="oshi" level="ERROR"/>
</configuration>
"""
        .formatted(logFile, consoleLevel);
  }

  /** A port nobody listens on right now, on loopback. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
