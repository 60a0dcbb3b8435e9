package dev.fleetflags.cli;

import dev.fleetflags.protocol.DeleteRequest;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "delete", mixinStandardHelpOptions = true,
    description = {"Remove flags (and $evaluators nothing reads any more).",
        "A real write then shows its fan-out's progress until complete."})
final class DeleteCommand extends RemoteCommand {

  @Parameters(paramLabel = "KEY", arity = "0..*", description = "Keys of the flags to remove.")
  List<String> keys = new ArrayList<>();

  @Option(names = "--evaluator", paramLabel = "NAME", description = "An $evaluators entry to remove (repeatable).")
  List<String> evaluators = new ArrayList<>();

  @Mixin
  Writes.Options write = new Writes.Options();

  @Override
  int run(AdminClient client, Output out) throws InterruptedException {
    if (keys.isEmpty() && evaluators.isEmpty()) {
      throw new Exit.Failure(Exit.USAGE, "delete what? give flag keys, or --evaluator NAME");
    }
    return Writes.send(client, out, new DeleteRequest(keys, evaluators, write.expectedRevision, write.dryRun), write.dryRun,
        write.noProgress);
  }
}
