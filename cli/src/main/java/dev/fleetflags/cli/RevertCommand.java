package dev.fleetflags.cli;

import dev.fleetflags.protocol.RevertRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "revert", mixinStandardHelpOptions = true,
    description = {"Make the flags what they were at an earlier revision.",
        "Flags, $evaluators and metadata as at revision N (history lists them), as one new audited write;",
        "the device registry stays as it is."})
final class RevertCommand extends RemoteCommand {

  @Option(names = "--to-revision", paramLabel = "N", required = true, description = "The revision to go back to.")
  long toRevision;

  @Mixin
  Writes.Options write = new Writes.Options();

  @Override
  int run(AdminClient client, Output out) throws InterruptedException {
    return Writes.send(client, out, new RevertRequest(toRevision, write.expectedRevision, write.dryRun), write.dryRun,
        write.noProgress);
  }
}
