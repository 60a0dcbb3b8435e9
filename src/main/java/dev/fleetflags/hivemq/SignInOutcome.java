package dev.fleetflags.hivemq;

/** How an attempt to sign in with an operator's username ended. */
enum SignInOutcome {
  /** The password matched its hash. */
  VERIFIED("signed in"),
  /** The same credentials signed in from this address before: admitted without hashing. */
  REMEMBERED("signed in (remembered)"),
  WRONG_PASSWORD("wrong password"),
  /** Refused without hashing: the address is paused after failures, or has a check under way. */
  ADDRESS_THROTTLED("too many attempts from this address"),
  /** Refused without hashing: this username's checks are rate-limited after failures. */
  USERNAME_THROTTLED("too many attempts for this username"),
  /** Refused: the verifier's queue was full, or the check could not start before its deadline. */
  BUSY("sign-in checks busy");

  private final String words;

  SignInOutcome(String words) {
    this.words = words;
  }

  boolean admits() {
    return this == VERIFIED || this == REMEMBERED;
  }

  /** For the log. */
  String words() {
    return words;
  }
}
