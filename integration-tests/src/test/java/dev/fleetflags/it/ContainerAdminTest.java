package dev.fleetflags.it;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The admin scenarios on the official HiveMQ CE image through the HiveMQ Testcontainers module.
 * Skipped, with the reason, where no Docker engine runs.
 */
@ExtendWith(DockerEngine.class)
class ContainerAdminTest extends AdminScenarios {

  @Override
  FleetFlagsBroker start(ExtensionSetup setup) {
    return ContainerBroker.start(setup, true);
  }
}
