package dev.fleetflags.cli;

import dev.fleetflags.protocol.DocumentWrite;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code apply} and {@code replace}: a flag file sent as a write, checked offline first. */
abstract class WriteCommand extends RemoteCommand {

  @Parameters(paramLabel = "FILE", description = "A flagd flag file; checked as validate does before it is sent.")
  Path file;

  @Mixin
  Writes.Options write = new Writes.Options();

  abstract boolean replace();

  @Override
  int run(AdminClient client, Output out) throws InterruptedException {
    FlagFile flags = FlagFile.valid(file);
    return Writes.send(client, out, new DocumentWrite(replace(), flags.json(), write.expectedRevision, write.dryRun), write.dryRun,
        write.noProgress);
  }

  @Command(name = "apply", mixinStandardHelpOptions = true,
      description = {"Apply a flag file: upsert its flags, $evaluators and metadata keys.",
          "Others stay as they are. A real write then shows its fan-out's progress (planned, sent, remaining, rate)",
          "until complete."})
  static final class Apply extends WriteCommand {
    @Override
    boolean replace() {
      return false;
    }
  }

  @Command(name = "replace", mixinStandardHelpOptions = true,
      description = {"Make a flag file the whole flag set.",
          "Flags not in it are removed. A real write then shows its fan-out's progress (planned, sent, remaining, rate)",
          "until complete."})
  static final class Replace extends WriteCommand {
    @Override
    boolean replace() {
      return true;
    }
  }
}
