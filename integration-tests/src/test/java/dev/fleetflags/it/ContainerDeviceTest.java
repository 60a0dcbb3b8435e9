package dev.fleetflags.it;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The device scenarios on the official HiveMQ CE image through the HiveMQ Testcontainers module.
 * Skipped, with the reason, where no Docker engine runs.
 */
@ExtendWith(DockerEngine.class)
class ContainerDeviceTest extends DeviceScenarios {

  @Override
  FleetFlagsBroker start(ExtensionSetup setup) {
    return ContainerBroker.start(setup, true);
  }
}
