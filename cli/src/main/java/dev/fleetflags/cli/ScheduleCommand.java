package dev.fleetflags.cli;

import dev.fleetflags.protocol.Answer;
import dev.fleetflags.protocol.PlanRequest;
import dev.fleetflags.protocol.Topics;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code schedule}: writes made at a given time, listed and cancelled. */
@Command(name = "schedule", mixinStandardHelpOptions = true,
    description = {"Scheduled changes: a write the broker makes at a given time (durable, audited, cancellable).",
        "See the README, 'Scheduled changes'."},
    subcommands = {ScheduleCommand.Apply.class, ScheduleCommand.Replace.class, ScheduleCommand.Delete.class,
        ScheduleCommand.ListChanges.class, ScheduleCommand.Cancel.class})
final class ScheduleCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "which? apply, replace, delete, list or cancel");
  }

  /** A write to schedule: when, and the write. */
  abstract static class At extends RemoteCommand {

    @Option(names = "--at", paramLabel = "TIME", required = true,
        description = "When: RFC 3339 with an offset, e.g. 2030-01-01T00:00:00Z or 2030-01-01T01:00:00+01:00.")
    String at;

    abstract String write();

    abstract Map<String, Object> request();

    @Override
    int run(AdminClient client, Output out) {
      try {
        OffsetDateTime.parse(at);
      } catch (DateTimeParseException e) {
        throw new Exit.Failure(Exit.USAGE, "--at " + at + ": give a time in RFC 3339 with an offset, e.g. 2030-01-01T00:00:00Z");
      }
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("at", at);
      json.put("write", write());
      json.put("request", request());
      return show(client, out, new PlanRequest(Topics.SCHEDULE, json));
    }
  }

  @Command(name = "apply", mixinStandardHelpOptions = true,
      description = {"Schedule applying a flag file (checked as validate does now; again by the broker at its time)."})
  static final class Apply extends At {
    @Parameters(paramLabel = "FILE", description = "A flagd flag file.")
    Path file;

    @Override
    String write() {
      return Topics.APPLY;
    }

    @Override
    Map<String, Object> request() {
      return FlagFile.valid(file).json();
    }
  }

  @Command(name = "replace", mixinStandardHelpOptions = true, description = {"Schedule making a flag file the whole flag set."})
  static final class Replace extends At {
    @Parameters(paramLabel = "FILE", description = "A flagd flag file.")
    Path file;

    @Override
    String write() {
      return Topics.REPLACE;
    }

    @Override
    Map<String, Object> request() {
      return FlagFile.valid(file).json();
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = {"Schedule removing flags."})
  static final class Delete extends At {
    @Parameters(paramLabel = "KEY", arity = "1..*", description = "Keys of the flags to remove.")
    List<String> keys = new ArrayList<>();

    @Override
    String write() {
      return Topics.DELETE;
    }

    @Override
    Map<String, Object> request() {
      return Map.of("flags", List.copyOf(keys));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = {"List scheduled changes, pending and done, soonest first."})
  static final class ListChanges extends RemoteCommand {
    @Override
    int run(AdminClient client, Output out) {
      Answer answer = out.checked(client.ask(new PlanRequest(Topics.SCHEDULES, Map.of())));
      if (out.json) {
        out.answerJson(answer);
        return Exit.OK;
      }
      List<?> changes = answer.body().get("changes") instanceof List<?> l ? l : List.of();
      out.line(changes.size() + " scheduled change" + (changes.size() == 1 ? "" : "s") + " (flags at revision "
          + answer.revision() + ")");
      for (Object c : changes) {
        print(out, (Map<?, ?>) c);
      }
      return Exit.OK;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = {"Cancel a pending scheduled change."})
  static final class Cancel extends RemoteCommand {
    @Parameters(paramLabel = "ID", description = "The change's id, as list shows it.")
    String id;

    @Override
    int run(AdminClient client, Output out) {
      return show(client, out, new PlanRequest(Topics.SCHEDULE_CANCEL, Map.of("id", id)));
    }
  }

  static int show(AdminClient client, Output out, PlanRequest request) {
    return out.written(out.checked(client.ask(request)), "change", ScheduleCommand::print);
  }

  static void print(Output out, Map<?, ?> c) {
    out.line("  " + c.get("id") + "  " + c.get("status") + "  at " + c.get("at") + "  " + c.get("write")
        + (c.get("appliedAt") == null ? "" : "  made " + c.get("appliedAt"))
        + (c.get("outcome") == null ? "" : "  " + c.get("outcome")));
  }
}
