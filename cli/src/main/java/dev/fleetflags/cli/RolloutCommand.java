package dev.fleetflags.cli;

import dev.fleetflags.protocol.Answer;
import dev.fleetflags.protocol.PlanRequest;
import dev.fleetflags.protocol.Topics;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rollout}: staged rollouts of one flag, started, watched, paused, resumed, advanced and aborted. */
@Command(name = "rollout", mixinStandardHelpOptions = true,
    description = {"Staged rollouts: move one flag to a new definition in waves, watched by gates.",
        "Each wave is an audited write of a standard flagd fractional split; a failed gate halts the rollout",
        "(and with --on-failure revert restores the definition before it). See the README, 'Safe rollouts'."},
    subcommands = {RolloutCommand.Start.class, RolloutCommand.Status.class, RolloutCommand.Pause.class,
        RolloutCommand.Resume.class, RolloutCommand.Advance.class, RolloutCommand.Abort.class})
final class RolloutCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "which? start, status, pause, resume, advance or abort");
  }

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = {"Start a staged rollout of a flag toward a new definition.",
          "Waves are percentages of the devices with a bake time each, e.g. --wave 1:600 --wave 10:1800 --wave 100:600;",
          "the last is 100. Gates are checked during each bake; none is set unless given."})
  static final class Start extends RemoteCommand {

    @Parameters(paramLabel = "FLAG", description = "The flag to roll out.")
    String flag;

    @Option(names = "--definition", paramLabel = "FILE", required = true,
        description = "The new definition: a JSON file holding it, or a flagd file with the flag under \"flags\".")
    Path definition;

    @Option(names = "--wave", paramLabel = "PERCENT:SECONDS", required = true,
        description = "A wave: its share of the devices (0.01 to 100) and how long it bakes (repeatable, in order).")
    List<String> waves = new ArrayList<>();

    @Option(names = "--min-applied", paramLabel = "PERCENT", description = "Gate: at least this share applies each wave within --ack-timeout.")
    Double minApplied;

    @Option(names = "--ack-timeout", paramLabel = "SECONDS", description = "How long devices have to apply a wave (broker's default: 60).")
    Double ackTimeout;

    @Option(names = "--max-failed", paramLabel = "PERCENT", description = "Gate: at most this share rejects or fails a wave.")
    Double maxFailed;

    @Option(names = "--max-disconnected", paramLabel = "PERCENT",
        description = "Gate: at most this many points more of a wave's devices leave after applying than of the rest of the fleet.")
    Double maxDisconnected;

    @Option(names = "--disconnect-grace", paramLabel = "SECONDS", description = "How long a device may be away before it counts (broker's default: 60).")
    Double disconnectGrace;

    @Option(names = "--on-failure", paramLabel = "halt|revert", description = "What a failed gate does: halt at the wave (default) or revert.")
    String onFailure;

    @Option(names = "--expected-revision", paramLabel = "N", description = "Start only if the flags are still at revision N.")
    Long expectedRevision;

    @Override
    int run(AdminClient client, Output out) {
      Map<String, Object> request = new LinkedHashMap<>();
      request.put("flag", flag);
      request.put("definition", definition(definition, flag));
      List<Object> list = new ArrayList<>();
      for (String wave : waves) {
        list.add(wave(wave));
      }
      request.put("waves", list);
      Map<String, Object> gates = new LinkedHashMap<>();
      put(gates, "minAppliedPercent", minApplied);
      put(gates, "ackTimeoutSeconds", ackTimeout);
      put(gates, "maxFailedPercent", maxFailed);
      put(gates, "maxDisconnectedPercent", maxDisconnected);
      put(gates, "disconnectGraceSeconds", disconnectGrace);
      if (!gates.isEmpty()) {
        request.put("gates", gates);
      }
      put(request, "onFailure", onFailure);
      put(request, "expectedRevision", expectedRevision);
      return show(client, out, new PlanRequest(Topics.ROLLOUT_START, request));
    }

    private static void put(Map<String, Object> json, String name, Object value) {
      if (value != null) {
        json.put(name, value instanceof Integer i ? (long) i : value);
      }
    }

    /** {@code PERCENT:SECONDS} as the broker reads a wave. */
    static Map<String, Object> wave(String text) {
      String[] parts = text.split(":", -1);
      try {
        if (parts.length == 2) {
          return Map.of("percent", Double.parseDouble(parts[0]), "bakeSeconds", Double.parseDouble(parts[1]));
        }
      } catch (NumberFormatException e) {
        // said below
      }
      throw new Exit.Failure(Exit.USAGE, "--wave " + text + ": give PERCENT:SECONDS, e.g. --wave 10:1800");
    }

    /** The definition in the file: the flag under "flags" of a flagd file, or the file's object itself. */
    static Object definition(Path path, String flag) {
      Object json;
      try {
        json = Json.parse(Files.readAllBytes(path), Limits.DEFAULT);
      } catch (NoSuchFileException e) {
        throw new Exit.Failure(Exit.USAGE, "no file " + path);
      } catch (IOException e) {
        throw new Exit.Failure(Exit.USAGE, "cannot read " + path + ": " + e.getMessage());
      } catch (InvalidDocumentException e) {
        throw new Exit.Failure(Exit.INVALID, path + " is not JSON: " + e.getMessage());
      }
      if (json instanceof Map<?, ?> map && map.get("flags") instanceof Map<?, ?> flags) {
        Object def = flags.get(flag);
        if (def == null) {
          throw new Exit.Failure(Exit.INVALID, path + " has no flag \"" + flag + "\" under \"flags\"");
        }
        return def;
      }
      if (!(json instanceof Map<?, ?>)) {
        throw new Exit.Failure(Exit.INVALID, path + " must hold a flag definition (a JSON object), found " + Json.kind(json));
      }
      return json;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = {"Show rollouts, active and ended: wave, bake, gates, the latest figures, why one halted."})
  static final class Status extends RemoteCommand {

    @Parameters(paramLabel = "FLAG", arity = "0..1", description = "Only this flag's rollouts.")
    String flag;

    @Override
    int run(AdminClient client, Output out) {
      Answer answer = out.checked(client.ask(new PlanRequest(Topics.ROLLOUTS, flag == null ? Map.of() : Map.of("flag", flag))));
      if (out.json) {
        out.answerJson(answer);
        return Exit.OK;
      }
      List<?> rollouts = answer.body().get("rollouts") instanceof List<?> l ? l : List.of();
      out.line(rollouts.size() + " rollout" + (rollouts.size() == 1 ? "" : "s") + (flag == null ? "" : " of " + flag)
          + " (flags at revision " + answer.revision() + ")");
      for (Object r : rollouts) {
        print(out, (Map<?, ?>) r);
      }
      return Exit.OK;
    }
  }

  /** A command on a flag's active rollout: {@code rollouts/<verb>} with {@code {"flag": ...}}. */
  abstract static class OnRollout extends RemoteCommand {

    @Parameters(paramLabel = "FLAG", description = "The flag whose rollout it is.")
    String flag;

    abstract String topic();

    @Override
    int run(AdminClient client, Output out) {
      return show(client, out, new PlanRequest(topic(), Map.of("flag", flag)));
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = {"Pause a rollout's bake; its gates are still checked, and a failure still halts it."})
  static final class Pause extends OnRollout {
    @Override
    String topic() {
      return Topics.ROLLOUT_PAUSE;
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = {"Resume a paused rollout's bake where it stopped."})
  static final class Resume extends OnRollout {
    @Override
    String topic() {
      return Topics.ROLLOUT_RESUME;
    }
  }

  @Command(name = "advance", mixinStandardHelpOptions = true,
      description = {"Write a rollout's next wave now, skipping the rest of the bake (at the last wave: complete it)."})
  static final class Advance extends OnRollout {
    @Override
    String topic() {
      return Topics.ROLLOUT_ADVANCE;
    }
  }

  @Command(name = "abort", mixinStandardHelpOptions = true,
      description = {"Stop a rollout and write the flag's definition from before it back (also after a halt)."})
  static final class Abort extends OnRollout {
    @Override
    String topic() {
      return Topics.ROLLOUT_ABORT;
    }
  }

  /** Sends a rollout write and prints what it wrote and the rollout as it stands. */
  static int show(AdminClient client, Output out, PlanRequest request) {
    return out.written(out.checked(client.ask(request)), "rollout", RolloutCommand::print);
  }

  /** A rollout as query/rollouts gives it, in a few lines. */
  static void print(Output out, Map<?, ?> r) {
    List<?> waves = r.get("waves") instanceof List<?> l ? l : List.of();
    out.line("rollout " + r.get("id") + " of " + r.get("flag") + ": " + r.get("status") + ", wave " + r.get("wave") + " of "
        + waves.size() + " (" + r.get("percent") + "%), baked " + r.get("bakedSeconds") + " of " + r.get("bakeSeconds") + " s"
        + (r.get("revision") == null ? "" : ", written at revision " + r.get("revision")));
    if (r.get("gates") instanceof Map<?, ?> gates && !gates.isEmpty()) {
      out.line("  gates: " + words(gates) + ", on failure " + r.get("onFailure"));
    }
    if (r.get("figures") instanceof Map<?, ?> figures) {
      out.line("  figures: " + words(figures));
    }
    if (r.get("halt") instanceof Map<?, ?> halt) {
      out.line("  halted in wave " + halt.get("wave") + " by " + halt.get("gate") + ": " + halt.get("reason"));
    }
    out.line("  last: " + r.get("last"));
  }

  private static String words(Map<?, ?> json) {
    List<String> words = new ArrayList<>();
    json.forEach((k, v) -> words.add(k + " " + v));
    return String.join(", ", words);
  }
}
