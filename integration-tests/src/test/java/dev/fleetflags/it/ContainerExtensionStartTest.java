package dev.fleetflags.it;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The start scenarios on the official HiveMQ CE image (hivemq/hivemq-ce:2025.5) through the HiveMQ
 * Testcontainers module. Skipped, with the reason, where no Docker engine runs.
 */
@ExtendWith(DockerEngine.class)
class ContainerExtensionStartTest extends ExtensionStartScenarios {

  @Override
  FleetFlagsBroker start(ExtensionSetup setup, boolean expectStart) {
    return ContainerBroker.start(setup, expectStart);
  }
}
