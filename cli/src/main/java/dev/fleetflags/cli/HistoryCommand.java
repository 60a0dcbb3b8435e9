package dev.fleetflags.cli;

import dev.fleetflags.protocol.Answer;
import dev.fleetflags.protocol.HistoryAnswer;
import dev.fleetflags.protocol.HistoryQuery;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "history", mixinStandardHelpOptions = true,
    description = {"Show the audit history, newest first.",
        "Revision, when, what, who, devices affected, and what changed (+ added, - removed, ~ changed)."})
final class HistoryCommand extends RemoteCommand {

  @Option(names = {"-n", "--limit"}, paramLabel = "N", defaultValue = "20", description = "Entries to show (1 to 1000). Default: ${DEFAULT-VALUE}.")
  int limit = 20;

  @Override
  int run(AdminClient client, Output out) {
    Answer answer = out.checked(client.ask(new HistoryQuery(limit)));
    if (out.json) {
      out.answerJson(answer);
      return Exit.OK;
    }
    HistoryAnswer history = HistoryAnswer.of(answer);
    out.line("flags at revision " + history.revision());
    for (HistoryAnswer.Entry e : history.entries()) {
      List<String> what = new ArrayList<>();
      for (HistoryAnswer.Change c : e.changes()) {
        String verb = c.before() == null ? "+" : c.after() == null ? "-" : "~";
        what.add(verb + c.kind() + " " + c.key());
      }
      out.line("revision " + e.revision() + "  " + e.time() + "  " + e.action() + "  by " + e.clientId()
          + (e.username() == null ? "" : " (" + e.username() + ")")
          + (e.devicesAffected() == null ? "" : "  " + e.devicesAffected() + " devices affected"));
      out.line("  " + (what.isEmpty() ? "(nothing)" : String.join(", ", what)));
    }
    return Exit.OK;
  }
}
