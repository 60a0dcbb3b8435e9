package dev.fleetflags.cli;

import dev.fleetflags.protocol.DocumentWrite;
import dev.fleetflags.protocol.FlagsAnswer;
import dev.fleetflags.protocol.FlagsQuery;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "disable", mixinStandardHelpOptions = true,
    description = {"Kill switch: disable a flag, keeping its definition.",
        "The flag's state becomes DISABLED, so devices fall back to their built-in default. Written only if nobody changed",
        "the flags since they were read (--expected-revision)."})
final class DisableCommand extends RemoteCommand {

  @Parameters(paramLabel = "KEY", description = "The flag to disable.")
  String key;

  @Mixin
  Writes.Options write = new Writes.Options();

  @Override
  int run(AdminClient client, Output out) throws InterruptedException {
    FlagsAnswer flags = FlagsAnswer.of(out.checked(client.ask(new FlagsQuery(List.of(key)))));
    FlagsAnswer.Flag flag = flags.flags().get(key);
    if (flag == null) {
      throw new Exit.Failure(Exit.REJECTED, "no flag \"" + key + "\" exists (at revision " + flags.revision() + ")");
    }
    Map<String, Object> definition = new LinkedHashMap<>(flag.definition());
    definition.put("state", "DISABLED");
    Map<String, Object> document = Map.of("flags", Map.of(key, definition));
    Long expected = write.expectedRevision != null ? write.expectedRevision : flags.revision();
    return Writes.send(client, out, new DocumentWrite(false, document, expected, write.dryRun), write.dryRun, write.noProgress);
  }
}
