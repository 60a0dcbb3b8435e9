package dev.fleetflags.it;

/** The device scenarios on HiveMQ CE embedded in this JVM. */
class EmbeddedDeviceTest extends DeviceScenarios {

  @Override
  FleetFlagsBroker start(ExtensionSetup setup) {
    return EmbeddedBroker.start(setup);
  }
}
