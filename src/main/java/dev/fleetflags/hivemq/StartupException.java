package dev.fleetflags.hivemq;

/** Why the extension cannot start, in words for the broker log. */
final class StartupException extends Exception {
  private static final long serialVersionUID = 1L;

  StartupException(String message) {
    super(message, null, false, false);
  }
}
