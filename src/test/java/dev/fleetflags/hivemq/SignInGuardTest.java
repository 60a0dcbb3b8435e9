package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Which sign-ins may cost a hash, on a clock the test moves. */
class SignInGuardTest {

  private static final String ATTACKER = "10.0.0.66";
  private static final String OPERATOR = "10.0.0.1";

  private final AtomicLong now = new AtomicLong(-1_000_000_000_000L); // nanoTime may be negative
  private final SignInGuard guard = new SignInGuard(SignInGuard.Settings.DEFAULT, now::get);

  private void after(Duration d) {
    now.addAndGet(d.toNanos());
  }

  private void fail(String address, String username) {
    assertNull(guard.claim(address, username));
    guard.finished(address, username, false);
  }

  @Test
  void anAddressHasOneCheckAtATime() {
    assertNull(guard.claim(ATTACKER, "ops"));
    assertEquals(SignInOutcome.ADDRESS_THROTTLED, guard.claim(ATTACKER, "ops"));
    assertEquals(SignInOutcome.ADDRESS_THROTTLED, guard.claim(ATTACKER, "other"));
    assertNull(guard.claim(OPERATOR, "ops"), "another address is not held up");
    guard.abandoned(ATTACKER);
    assertNull(guard.claim(ATTACKER, "ops"), "a check that never ran frees the address");
  }

  @Test
  void failuresPauseTheAddressForTwiceAsLongEachTimeUpToAMinute() {
    long[] pauses = {1, 2, 4, 8, 16, 32, 60, 60};
    for (long pause : pauses) {
      fail(ATTACKER, "ops");
      assertTrue(guard.paused(ATTACKER));
      assertEquals(SignInOutcome.ADDRESS_THROTTLED, guard.claim(ATTACKER, "ops"));
      after(Duration.ofSeconds(pause).minusMillis(1));
      assertTrue(guard.paused(ATTACKER), "paused for " + pause + " s");
      after(Duration.ofMillis(1));
      assertFalse(guard.paused(ATTACKER), "pause of " + pause + " s over");
    }
  }

  @Test
  void aSuccessEndsTheAddressesFailures() {
    fail(ATTACKER, "ops");
    after(Duration.ofSeconds(1));
    fail(ATTACKER, "ops");
    after(Duration.ofSeconds(2));
    assertNull(guard.claim(ATTACKER, "ops"));
    guard.finished(ATTACKER, "ops", true);
    fail(ATTACKER, "ops");
    after(Duration.ofSeconds(1));
    assertFalse(guard.paused(ATTACKER), "counted from one again");
  }

  @Test
  void failuresAreForgottenAQuarterOfAnHourAfterTheLast() {
    for (int i = 0; i < 5; i++) {
      fail(ATTACKER, "ops");
      after(Duration.ofMinutes(1));
    }
    after(Duration.ofMinutes(15));
    fail(ATTACKER, "ops");
    after(Duration.ofSeconds(1));
    assertFalse(guard.paused(ATTACKER), "a first failure again: one second");
  }

  /**
   * Once a username saw a failure, its checks are limited (3 at once, then 1 a second) from every
   * address; without failures, or a minute after the last, they are not.
   */
  @Test
  void aUsernameUnderSuspicionHasABoundedRateOfChecks() {
    for (int i = 0; i < 10; i++) {
      assertNull(guard.claim("10.0.1." + i, "ops"), "no failure seen yet");
      guard.abandoned("10.0.1." + i);
    }
    fail("10.0.2.1", "ops");
    for (int i = 0; i < 3; i++) {
      assertNull(guard.claim("10.0.3." + i, "ops"), "the burst");
    }
    assertEquals(SignInOutcome.USERNAME_THROTTLED, guard.claim("10.0.3.9", "ops"));
    assertNull(guard.claim("10.0.3.9", "other"), "another username is not limited");
    after(Duration.ofSeconds(1));
    assertNull(guard.claim("10.0.4.1", "ops"), "one more a second");
    assertEquals(SignInOutcome.USERNAME_THROTTLED, guard.claim("10.0.4.2", "ops"));
    assertFalse(guard.paused("10.0.4.2"), "a username refusal does not pause the address");
    after(Duration.ofMinutes(1));
    for (int i = 0; i < 10; i++) {
      assertNull(guard.claim("10.0.5." + i, "ops"), "a minute without failures");
    }
  }

  @Test
  void addressesAreBoundedTheLeastRecentlySeenForgottenFirst() {
    SignInGuard small = new SignInGuard(new SignInGuard.Settings(Duration.ofSeconds(1),
        Duration.ofMinutes(1), Duration.ofMinutes(15), 2, Duration.ofMinutes(1), 1000, 1000), now::get);
    for (String address : new String[] {"a", "b", "c"}) {
      assertNull(small.claim(address, "ops"));
      small.finished(address, "ops", false);
    }
    assertFalse(small.paused("a"), "forgotten");
    assertTrue(small.paused("b"));
    assertTrue(small.paused("c"));
  }
}
