package dev.fleetflags.cli;

/** The exit codes, one per kind of failure (the README lists them). */
final class Exit {

  private Exit() {}

  static final int OK = 0;
  /** {@code validate}: the file has problems (each printed with its location). */
  static final int INVALID = 1;
  /** The command line is wrong (picocli's own code for usage errors). */
  static final int USAGE = 2;
  /** The broker cannot be reached (no TCP/TLS connection, or it answers "unavailable"). */
  static final int UNREACHABLE = 3;
  /** The broker refused the sign-in: bad user name or password, or not authorized to connect. */
  static final int SIGN_IN_REFUSED = 4;
  /** Connected, but not as an operator: the broker refused the admin request or subscription. */
  static final int NOT_AN_OPERATOR = 5;
  /** The request was rejected: nothing was changed (each problem printed with its location). */
  static final int REJECTED = 6;
  /** No answer (or no progress of a fan-out) within --timeout. */
  static final int TIMED_OUT = 7;
  /** The extension answered with an error (e.g. its disk is full): nothing was changed. */
  static final int BROKER_ERROR = 8;

  /** A failure to report: its message goes to standard error, its code is the exit status. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int code;

    Failure(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }
}
