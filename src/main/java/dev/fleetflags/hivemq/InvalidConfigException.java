package dev.fleetflags.hivemq;

import java.nio.file.Path;
import java.util.List;

/**
 * The configuration cannot be used. The message is complete on its own (file, setting, line,
 * value, reason), because it is what the operator reads in the broker log.
 */
public final class InvalidConfigException extends Exception {

  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  InvalidConfigException(Path file, List<String> problems) {
    super("invalid configuration " + file + ": " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  /** One sentence per problem, each naming the setting and why it is wrong. */
  public List<String> problems() {
    return problems;
  }
}
