package dev.fleetflags.protocol;

import dev.fleetflags.rules.Problem;
import java.util.List;

/**
 * A request as read from JSON: what could be read of it, and every problem found with its
 * location. A request with problems is rejected whole; {@code request} then holds what was valid.
 */
public record Read<T>(T request, List<Problem> problems) {

  public Read {
    problems = List.copyOf(problems);
  }

  public boolean ok() {
    return problems.isEmpty();
  }
}
