package dev.fleetflags.rules;

import java.util.List;

/**
 * The one error type the parser and compiler throw: the document is rejected whole, and every
 * problem found is listed with its location.
 */
public final class InvalidDocumentException extends Exception {

  private static final long serialVersionUID = 1L;

  private final transient List<Problem> problems;

  public InvalidDocumentException(List<Problem> problems) {
    super(summary(problems), null, false, false);
    this.problems = List.copyOf(problems);
  }

  public InvalidDocumentException(Problem problem) {
    this(List.of(problem));
  }

  public List<Problem> problems() {
    return problems;
  }

  private static String summary(List<Problem> problems) {
    StringBuilder sb = new StringBuilder();
    sb.append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
    for (Problem p : problems) {
      sb.append("; ").append(p);
    }
    return sb.toString();
  }
}
