package dev.fleetflags.cli;

import dev.fleetflags.protocol.Answer;
import dev.fleetflags.protocol.ComplianceQuery;
import dev.fleetflags.rules.Json;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "compliance", mixinStandardHelpOptions = true,
    description = {"Show where the broker's devices stand with the newest revisions.",
        "Per revision: targeted, pending, delivered (not acknowledged), applied, rejected, failed.",
        "--flag also shows which values the connected devices hold of that flag."})
final class ComplianceCommand extends RemoteCommand {

  private static final List<String> FIGURES =
      List.of("targeted", "pending", "delivered", "applied", "rejected", "failed", "superseded", "departedAfterApplying");

  @Option(names = "--revision", paramLabel = "N", description = "Only this revision (one the broker still tracks).")
  Long revision;

  @Option(names = "--flag", paramLabel = "KEY", description = "The revisions that changed this flag, and the values devices hold of it.")
  String flag;

  @Override
  int run(AdminClient client, Output out) {
    if (revision != null && flag != null) {
      throw new Exit.Failure(Exit.USAGE, "give either --revision or --flag, not both");
    }
    Answer answer = out.checked(client.ask(new ComplianceQuery(revision, flag)));
    if (out.json) {
      out.answerJson(answer);
      return Exit.OK;
    }
    out.line("flags at revision " + answer.revision() + " (figures of this broker's devices)");
    if (answer.body().get("held") instanceof Map<?, ?> held) {
      out.line(flag + ": " + held.get("devices") + " devices counted, " + held.get("current") + " hold what they would be sent now"
          + (Boolean.FALSE.equals(held.get("complete")) ? " (stopped at its time limit: a part of the devices)" : ""));
      if (held.get("values") instanceof List<?> values) {
        for (Object v : values) {
          if (v instanceof Map<?, ?> value) {
            out.line("  " + Json.write(value.get("value")) + "  " + value.get("devices") + " devices");
          }
        }
      }
      out.line("  no value " + held.get("noValue") + ", not sent yet " + held.get("notSent") + ", unknown " + held.get("unknown"));
    }
    if (answer.body().get("revisions") instanceof List<?> revisions) {
      if (revisions.isEmpty()) {
        out.line("no revision tracked yet");
      }
      for (Object r : revisions) {
        if (r instanceof Map<?, ?> figures) {
          StringBuilder line = new StringBuilder("revision ").append(figures.get("revision"));
          for (String figure : FIGURES) {
            line.append("  ").append(figure).append(' ').append(figures.get(figure));
          }
          out.line(line.toString());
        }
      }
    }
    return Exit.OK;
  }
}
