package dev.fleetflags.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A command that talks to a broker: connects, signs in, does its work, disconnects. */
abstract class RemoteCommand implements Callable<Integer> {

  @Mixin
  BrokerOptions broker = new BrokerOptions();

  @Option(names = "--json", description = "Print the broker's answer as JSON (for scripts) instead of words.")
  boolean json;

  @Override
  public final Integer call() throws Exception {
    Output output = new Output(json);
    try (AdminClient client = AdminClient.connect(broker)) {
      return run(client, output);
    }
  }

  abstract int run(AdminClient client, Output out) throws Exception;
}
