package dev.fleetflags.load;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import dev.fleetflags.it.ExtensionSetup;
import dev.fleetflags.it.ExtensionZip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The broker's JVM: HiveMQ CE embedded, with the packaged zip unpacked into its extensions folder
 * (so FleetFlags loads with its own class loader, as in production) and the harness's {@link
 * ControlExtension} beside it. Started by {@link BrokerProcess}; prints {@value #READY} and the
 * port once the broker listens, and stops when its standard input closes, so it never outlives
 * the harness.
 *
 * <p>Arguments: folder, port, {@code fleetflags} or {@code bare} (FleetFlags disabled), flag file.
 */
public final class LoadBroker {

  static final String READY = "LOAD-BROKER-READY";

  /** The operator the harness signs in as; the hash is of {@link #OPERATOR_PASSWORD}. */
  static final String OPERATOR = "load";

  static final String OPERATOR_PASSWORD = "load-harness";

  private static final String OPERATOR_HASH =
      "pbkdf2-sha256:10000:+KoLYs/U50uBkRD7g4Ch3w==:9RtVG7Kl32M5Vi+DYCE2RW8UteYD5T1XEW8fdb+mugQ=";

  /**
   * The device population's attributes on the allow-list, and {@code <delivery>} and other settings
   * ({@code load.settings}) if given; the settings not named are defaults.
   */
  private static final String FLEETFLAGS_CONFIG =
      """
      <fleetflags>
          <seed-file>%s</seed-file>
          <attributes>
              <user-property>model</user-property>
              <user-property>region</user-property>
              <user-property>firmware</user-property>
          </attributes>
          <device-authentication>allow</device-authentication>
          %s
          <operators>
              <operator>
                  <username>%s</username>
                  <password-hash>%s</password-hash>
              </operator>
          </operators>
      </fleetflags>
      """;

  private LoadBroker() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    boolean fleetFlags = args[2].equals("fleetflags");
    Path flags = Path.of(args[3]);
    String delivery = args.length > 4 && !args[4].isBlank() ? "<delivery>" + args[4] + "</delivery>" : "";
    // <delivery> and any other settings of <fleetflags> given (e.g. <worker-threads>)
    String settings = delivery + System.getProperty("load.settings", "");

    ExtensionSetup setup =
        ExtensionSetup.asPackaged()
            .withConfig(
                FLEETFLAGS_CONFIG.formatted(
                    ExtensionSetup.SEED_FILE, settings, OPERATOR, OPERATOR_HASH))
            .withSeedFlags(Files.readString(flags));
    Path extensions = root.resolve("extensions");
    (fleetFlags ? setup : setup.disabled()).prepare(ExtensionZip.fromBuild(), extensions);
    Path conf = Files.createDirectories(root.resolve("conf"));
    Files.writeString(conf.resolve("config.xml"), brokerConfig(port, persistenceMode()));
    Files.writeString(conf.resolve("logback.xml"), logback(root.resolve("log/hivemq.log")));

    EmbeddedHiveMQ hivemq =
        EmbeddedHiveMQ.builder()
            .withConfigurationFolder(conf)
            .withDataFolder(Files.createDirectories(root.resolve("data")))
            .withExtensionsFolder(extensions)
            .withEmbeddedExtension(
                EmbeddedExtension.builder()
                    .withId("load-control")
                    .withName("FleetFlags load control")
                    .withVersion("1")
                    .withAuthor("FleetFlags")
                    .withPriority(0)
                    .withStartPriority(0)
                    .withExtensionMain(new ControlExtension(!fleetFlags))
                    .build())
            .build();
    hivemq.start().get(120, TimeUnit.SECONDS);
    System.out.println(READY + " " + port);
    System.out.flush();
    while (System.in.read() != -1) {
      // the harness holds our standard input open while it needs the broker
    }
    try {
      hivemq.stop().get(60, TimeUnit.SECONDS);
    } finally {
      System.exit(0);
    }
  }

  /** HiveMQ's persistence mode for both brokers alike: {@code file} (its default) or {@code in-memory}. */
  private static String persistenceMode() {
    String mode = System.getProperty("load.persistence", "file").trim();
    if (!mode.equals("file") && !mode.equals("in-memory")) {
      throw new IllegalArgumentException("load.persistence must be file or in-memory, not '" + mode + "'");
    }
    return mode;
  }

  private static String brokerConfig(int port, String persistence) {
    return """
        <?xml version="1.0"?>
        <hivemq>
            <listeners>
                <tcp-listener>
                    <port>%d</port>
                    <bind-address>127.0.0.1</bind-address>
                </tcp-listener>
            </listeners>
            <persistence>
                <mode>%s</mode>
            </persistence>
            <anonymous-usage-statistics>
                <enabled>false</enabled>
            </anonymous-usage-statistics>
        </hivemq>
        """
        .formatted(port, persistence);
  }

  /** Only to the file: the harness's own output is its table. */
  private static String logback(Path file) {
    return """
        <configuration>
            <appender name="FILE" class="ch.qos.logback.core.FileAppender">
                <file>%s</file>
                <encoder><pattern>%%d{HH:mm:ss.SSS} %%-5level %%logger{0} - %%msg%%n%%ex</pattern></encoder>
            </appender>
            <root level="INFO"><appender-ref ref="FILE"/></root>
            <logger name="jetbrains.exodus" level="WARN"/>
            <logger name="oshi" level="ERROR"/>
        </configuration>
        """
        .formatted(file);
  }
}
