package dev.fleetflags.rules;

/**
 * One thing wrong with a document: where (a path such as {@code flags.ota-v2.targeting.if[0].in[1]},
 * or {@code line 3, column 14} for malformed JSON) and why, in plain words.
 */
public record Problem(String location, String reason) {

  @Override
  public String toString() {
    return location.isEmpty() ? reason : location + ": " + reason;
  }
}
