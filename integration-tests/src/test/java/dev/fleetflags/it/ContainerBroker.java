package dev.fleetflags.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testcontainers.hivemq.HiveMQContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The official HiveMQ CE image with the packaged FleetFlags copied into /opt/hivemq/extensions, as
 * docker/Dockerfile does. Needs a Docker engine; tests using it are skipped without one.
 */
public final class ContainerBroker implements FleetFlagsBroker {

  public static final DockerImageName IMAGE = DockerImageName.parse("hivemq/hivemq-ce:2025.5");

  private final HiveMQContainer container;

  private ContainerBroker(HiveMQContainer container) {
    this.container = container;
  }

  /**
   * Starts a container; waits for FleetFlags' start when {@code expectStart}, otherwise only for
   * the broker's.
   */
  public static ContainerBroker start(ExtensionSetup setup, boolean expectStart) {
    Path folder;
    try {
      Path base =
          Path.of(System.getProperty("fleetflags.brokers", System.getProperty("java.io.tmpdir")));
      Files.createDirectories(base);
      folder = Files.createTempDirectory(base, "container-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path home = setup.prepare(ExtensionZip.fromBuild(), folder.resolve("extensions"));
    HiveMQContainer container =
        new HiveMQContainer(IMAGE).withExtension(MountableFile.forHostPath(home));
    if (expectStart) {
      container.waitForExtension("FleetFlags");
    }
    container.start();
    return new ContainerBroker(container);
  }

  @Override
  public String host() {
    return container.getHost();
  }

  @Override
  public int mqttPort() {
    return container.getMqttPort();
  }

  @Override
  public String log() {
    return container.getLogs();
  }

  @Override
  public void close() {
    container.stop();
  }
}
