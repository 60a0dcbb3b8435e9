package dev.fleetflags.it;

/** The admin scenarios on HiveMQ CE embedded in this JVM, plus what only it can show. */
class EmbeddedAdminTest extends AdminScenarios {

  @Override
  FleetFlagsBroker start(ExtensionSetup setup) {
    return EmbeddedBroker.start(setup);
  }
}
