package dev.fleetflags.cli;

import dev.fleetflags.protocol.Answer;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Problem;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/** Where a command writes: words for people by default, one JSON document with --json. */
final class Output {

  final PrintStream out = System.out;
  final PrintStream err = System.err;
  final boolean json;

  Output(boolean json) {
    this.json = json;
  }

  void line(String text) {
    out.println(text);
  }

  void json(Object value) {
    out.println(Json.write(value));
  }

  /** The answer as the broker sent it (status first). */
  void answerJson(Answer answer) {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("status", answer.status());
    all.putAll(answer.body());
    json(all);
  }

  /**
   * Shows an accepted write that answers with an object under {@code key} (a rollout, a scheduled
   * change): with --json the answer as it is, else its revision and the object as {@code print}
   * shows it.
   */
  int written(Answer answer, String key, BiConsumer<Output, Map<?, ?>> print) {
    if (json) {
      answerJson(answer);
      return Exit.OK;
    }
    line("accepted at revision " + answer.revision());
    if (answer.body().get(key) instanceof Map<?, ?> object) {
      print.accept(this, object);
    }
    return Exit.OK;
  }

  /**
   * Returns an {@code accepted} or {@code ok} answer; reports a rejection (each problem with its
   * location) or an error and ends the command with its exit code.
   */
  Answer checked(Answer answer) {
    switch (answer.status()) {
      case Answer.ACCEPTED, Answer.OK -> {
        return answer;
      }
      case Answer.REJECTED -> {
        if (json) {
          answerJson(answer);
        }
        List<Problem> problems = answer.problems();
        StringBuilder message = new StringBuilder("rejected, nothing was changed");
        message.append(problems.size() == 1 ? ": " : " (" + problems.size() + " problems):");
        for (Problem p : problems) {
          message.append(problems.size() == 1 ? "" : "\n  ").append(p.location().isEmpty() ? "" : p.location() + ": ").append(p.reason());
        }
        throw new Exit.Failure(Exit.REJECTED, message.toString());
      }
      default -> {
        if (json) {
          answerJson(answer);
        }
        throw new Exit.Failure(Exit.BROKER_ERROR, "the broker answered with an error: " + answer.reason());
      }
    }
  }

  static String list(List<String> items) {
    return items.isEmpty() ? "-" : String.join(", ", items);
  }
}
