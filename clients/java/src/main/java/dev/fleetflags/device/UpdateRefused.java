package dev.fleetflags.device;

/**
 * An update the device does not apply: its set stays as it was, and it asks the broker for a
 * resync. The message says what is wrong and where.
 */
public final class UpdateRefused extends Exception {

  /** Why an update is refused. */
  public enum Why {
    /** Not a well-formed {@code FlagUpdate}: undecodable, truncated, or inconsistent. */
    MALFORMED,
    /** Well formed, but the set it leads to does not hash to the {@code state_hash} it carries. */
    HASH_MISMATCH
  }

  private final Why why;

  public UpdateRefused(Why why, String message) {
    super(message);
    this.why = why;
  }

  public UpdateRefused(Why why, String message, Throwable cause) {
    super(message, cause);
    this.why = why;
  }

  public Why why() {
    return why;
  }
}
