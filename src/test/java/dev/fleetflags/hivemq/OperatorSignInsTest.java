package dev.fleetflags.hivemq;

import static java.nio.charset.StandardCharsets.UTF_8;
import dev.fleetflags.delivery.LogLimit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.codahale.metrics.MetricRegistry;
import dev.fleetflags.admin.PasswordHash;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * The sign-in path without a broker: the verifier and the deadline timer are run by the test, step
 * by step, on a clock it moves; the password hash is real (10,000 iterations).
 */
class OperatorSignInsTest {

  private static final String PASSWORD = "it-secret";
  private static final PasswordHash HASH = PasswordHash.of(PASSWORD.toCharArray(), PasswordHash.MIN_ITERATIONS);
  private static final String OPERATOR = "10.0.0.1";
  private static final String ATTACKER = "10.0.0.66";

  private final AtomicLong now = new AtomicLong();
  private final Deque<Runnable> queue = new ArrayDeque<>();
  private final List<Runnable> timers = new ArrayList<>();
  private final MetricRegistry registry = new MetricRegistry();
  /** Set to fire the deadline timers when the clock is read next: as a check starts hashing. */
  private boolean deadlineOnNextRead;
  private final LongSupplier clock = () -> {
    if (deadlineOnNextRead) {
      deadlineOnNextRead = false;
      List.copyOf(timers).forEach(Runnable::run);
    }
    return now.get();
  };

  /** The verifier: a queue of two that the test runs. */
  private final Executor verifier = task -> {
    if (queue.size() == 2) {
      throw new RejectedExecutionException("full");
    }
    queue.add(task);
  };

  /** The deadline timer: the test fires what is scheduled and not cancelled. */
  private final OperatorSignIns.Timer timer = (delay, task) -> {
    assertEquals(OperatorSignIns.DEADLINE, delay);
    timers.add(task);
    return () -> timers.remove(task);
  };

  private final OperatorSignIns signIns = new OperatorSignIns(Map.of("ops", HASH),
      new SignInGuard(SignInGuard.Settings.DEFAULT, now::get), new RememberedSignIns(), verifier, timer, clock,
      new BrokerMetrics(registry), LogLimit.perMinute());

  private static OperatorSignIns.Attempt attempt(String address, String password) {
    return new OperatorSignIns.Attempt("ops", "client-" + address, address, password.getBytes(UTF_8));
  }

  /** Starts a sign-in that needs a check; its answers are collected. */
  private List<SignInOutcome> verify(OperatorSignIns.Attempt attempt) {
    assertNull(signIns.decideAtOnce(attempt));
    List<SignInOutcome> answers = new ArrayList<>();
    signIns.verify(attempt, answers::add);
    return answers;
  }

  private long count(String name) {
    return registry.counter(BrokerMetrics.SIGN_INS + name).getCount();
  }

  private void runVerifier() {
    queue.removeFirst().run();
  }

  @Test
  void aVerifiedOperatorIsRememberedAndAdmittedAtOnceNextTime() {
    List<SignInOutcome> answers = verify(attempt(OPERATOR, PASSWORD));
    assertEquals(List.of(), answers, "waits for the verifier");
    assertEquals(1, signIns.pending());
    runVerifier();
    assertEquals(List.of(SignInOutcome.VERIFIED), answers);
    assertEquals(List.of(), timers, "the deadline is cancelled");
    assertEquals(0, signIns.pending());

    assertEquals(SignInOutcome.REMEMBERED, signIns.decideAtOnce(attempt(OPERATOR, PASSWORD)));
    assertEquals(List.of(), List.copyOf(queue), "no hash");
    assertNull(signIns.decideAtOnce(attempt("10.0.0.2", PASSWORD)), "another address is checked");
    assertEquals(2, count("accepted"));
    assertEquals(1, count("accepted.remembered"));
  }

  @Test
  void aWrongPasswordPausesItsAddressWhileTheOperatorIsStillServed() {
    List<SignInOutcome> wrong = verify(attempt(ATTACKER, "guess-1"));
    assertEquals(SignInOutcome.ADDRESS_THROTTLED, signIns.decideAtOnce(attempt(ATTACKER, "guess-2")), "one at a time");
    runVerifier();
    assertEquals(List.of(SignInOutcome.WRONG_PASSWORD), wrong);
    assertEquals(SignInOutcome.ADDRESS_THROTTLED, signIns.decideAtOnce(attempt(ATTACKER, "guess-3")), "paused");
    assertEquals(SignInOutcome.ADDRESS_THROTTLED, signIns.decideAtOnce(attempt(ATTACKER, PASSWORD)),
        "paused even with the right password: no oracle");

    List<SignInOutcome> operator = verify(attempt(OPERATOR, PASSWORD));
    runVerifier();
    assertEquals(List.of(SignInOutcome.VERIFIED), operator);
    assertEquals(1, count("refused.wrong-password"));
    assertEquals(3, count("throttled.address"));
    assertEquals(1, count("accepted"));
  }

  /**
   * A check still queued at its deadline is answered "busy" by the timer, once; when the verifier
   * reaches it, it hashes nothing (the right password is then not remembered) and answers nothing.
   */
  @Test
  void aCheckPastItsDeadlineIsAnsweredBusyOnceAndNeverHashes() {
    List<SignInOutcome> answers = verify(attempt(OPERATOR, PASSWORD));
    now.addAndGet(OperatorSignIns.DEADLINE.toNanos());
    timers.get(0).run();
    assertEquals(List.of(SignInOutcome.BUSY), answers);
    runVerifier();
    assertEquals(List.of(SignInOutcome.BUSY), answers, "answered once");
    assertEquals(0, signIns.pending());
    assertNull(signIns.decideAtOnce(attempt(OPERATOR, PASSWORD)), "not hashed, so not remembered; not paused");
    assertEquals(1, count("refused.busy"));
  }

  /** The verifier's own view of the deadline, should the timer thread be late. */
  @Test
  void aCheckThatStartsLateDoesNotHashEvenBeforeTheTimerRan() {
    List<SignInOutcome> answers = verify(attempt(OPERATOR, PASSWORD));
    now.addAndGet(OperatorSignIns.DEADLINE.toNanos());
    runVerifier();
    assertEquals(List.of(SignInOutcome.BUSY), answers);
    assertEquals(List.of(), timers);
    assertNull(signIns.decideAtOnce(attempt(OPERATOR, PASSWORD)), "not hashed, so not remembered");
  }

  /** The hash finished after the "busy" answer: the answer stands, and the retry gets in at once. */
  @Test
  void aMatchThatComesAfterTheBusyAnswerIsRememberedForTheRetry() {
    List<SignInOutcome> answers = new ArrayList<>();
    OperatorSignIns.Attempt attempt = attempt(OPERATOR, PASSWORD);
    assertNull(signIns.decideAtOnce(attempt));
    signIns.verify(attempt, answers::add);
    deadlineOnNextRead = true; // the timer fires just after the check started, as it hashes
    runVerifier();
    assertEquals(List.of(SignInOutcome.BUSY), answers);
    assertEquals(SignInOutcome.REMEMBERED, signIns.decideAtOnce(attempt(OPERATOR, PASSWORD)));
  }

  @Test
  void aFullQueueIsAnsweredBusyAtOnceAndTheAddressMayRetry() {
    verify(attempt("10.0.0.3", PASSWORD));
    verify(attempt("10.0.0.4", PASSWORD));
    List<SignInOutcome> third = verify(attempt(OPERATOR, PASSWORD));
    assertEquals(List.of(SignInOutcome.BUSY), third);
    assertEquals(2, signIns.pending());
    assertEquals(2, timers.size(), "the refused one's deadline is cancelled");
    runVerifier();
    List<SignInOutcome> retry = verify(attempt(OPERATOR, PASSWORD));
    runVerifier();
    runVerifier();
    assertEquals(List.of(SignInOutcome.VERIFIED), retry);
  }

  /** Strangers from many addresses: after a failure the username's checks are rate-limited. */
  @Test
  void manyAddressesMeetTheUsernamesLimit() {
    verify(attempt("10.0.1.1", "guess"));
    runVerifier();
    int checked = 0;
    for (int i = 0; i < 20; i++) {
      OperatorSignIns.Attempt attempt = attempt("10.0.2." + i, "guess");
      SignInOutcome atOnce = signIns.decideAtOnce(attempt);
      if (atOnce == null) {
        checked++;
        signIns.verify(attempt, outcome -> { });
        runVerifier();
      } else {
        assertEquals(SignInOutcome.USERNAME_THROTTLED, atOnce);
      }
    }
    assertEquals(3, checked, "the burst, with no time passing");
    assertEquals(17, count("throttled.username"));
  }
}
