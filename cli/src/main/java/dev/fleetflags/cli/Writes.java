package dev.fleetflags.cli;

import dev.fleetflags.protocol.Answer;
import dev.fleetflags.protocol.ProgressEvent;
import dev.fleetflags.protocol.Request;
import dev.fleetflags.protocol.WriteAnswer;
import picocli.CommandLine.Option;

/**
 * What every write does: the options it takes, the request, its answer, and for a real change the
 * fan-out's progress until it is complete.
 */
final class Writes {

  /** The options every write takes (a picocli mixin). */
  static final class Options {
    @Option(names = "--dry-run", description = "Ask the broker what the write would do (changed keys, devices affected, a sample of them); write nothing.")
    boolean dryRun;

    @Option(names = "--expected-revision", paramLabel = "N",
        description = "Write only if the flags are still at revision N (as read before); otherwise rejected, nothing changed.")
    Long expectedRevision;

    @Option(names = "--no-progress", description = "Return once the write is accepted, without following its fan-out.")
    boolean noProgress;
  }

  private Writes() {}

  /** Sends a write, prints its answer and follows its fan-out. */
  static int send(AdminClient client, Output out, Request request, boolean dryRun, boolean noProgress)
      throws InterruptedException {
    boolean follow = !dryRun && !noProgress;
    if (follow) {
      client.followProgress(); // before the request: its fan-out may end before the answer arrives
    }
    Answer answer = out.checked(client.ask(request));
    WriteAnswer write = WriteAnswer.of(answer);
    if (out.json) {
      out.answerJson(answer);
    } else {
      print(out, write);
    }
    Integer affected = write.devicesAffected();
    if (follow && (affected == null || affected > 0)) {
      follow(client, out, write.revision());
    }
    return Exit.OK;
  }

  private static void print(Output out, WriteAnswer write) {
    if (write.dryRun()) {
      out.line("dry run, nothing was written (the flags are at revision " + write.revision() + "); the write would");
      if (!write.devices().isEmpty()) {
        out.line("  set registry attributes of: " + Output.list(write.devices()));
      } else {
        out.line("  change: " + Output.list(write.changed()));
        out.line("  remove: " + Output.list(write.removed()));
      }
      out.line("  affect " + write.devicesAffected() + " connected device" + (write.devicesAffected() == 1 ? "" : "s")
          + (write.sample().isEmpty() ? "" : ": " + String.join(", ", write.sample())
              + (write.devicesAffected() != null && write.devicesAffected() > write.sample().size() ? ", ..." : "")));
      return;
    }
    out.line("accepted at revision " + write.revision());
    if (!write.devices().isEmpty()) {
      out.line("  registry attributes set: " + Output.list(write.devices()));
    } else {
      out.line("  changed: " + Output.list(write.changed()));
      out.line("  removed: " + Output.list(write.removed()));
    }
    out.line("  devices affected: " + (write.devicesAffected() == null ? "not known yet (delivery is still planning)"
        : write.devicesAffected()));
    if (write.note() != null) {
      out.line("  note: " + write.note());
    }
  }

  /**
   * Shows the fan-out of {@code revision} (or of a later one it merged into) until complete: on a
   * terminal as one updating line, otherwise a line per event.
   */
  private static void follow(AdminClient client, Output out, long revision) throws InterruptedException {
    boolean terminal = System.console() != null && !out.json;
    var to = out.json ? out.err : out.out;
    while (true) {
      ProgressEvent event = client.nextProgress();
      if (event == null) {
        if (terminal) {
          to.println();
        }
        throw new Exit.Failure(Exit.TIMED_OUT, "revision " + revision + " is accepted and durable, but no progress of its"
            + " fan-out was heard within " + client.timeoutSeconds() + " s (--timeout); the broker log's fan-out lines tell");
      }
      if (event.revision() < revision) {
        continue; // an earlier fan-out's
      }
      String line = event.complete()
          ? "fan-out of revision " + event.revision() + " complete: " + event.planned() + " devices planned, " + event.sent()
              + " updates sent (" + event.ratePerSecond() + "/s)"
          : "fan-out of revision " + event.revision() + ": " + event.planned() + " planned, " + event.sent() + " sent, "
              + event.remaining() + " remaining, " + event.ratePerSecond() + "/s";
      if (terminal) {
        to.print("\r" + line + "\u001b[K");
        if (event.complete()) {
          to.println();
        }
      } else {
        to.println(line);
      }
      to.flush();
      if (event.complete()) {
        return;
      }
    }
  }
}
