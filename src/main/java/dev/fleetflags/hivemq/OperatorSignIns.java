package dev.fleetflags.hivemq;

import dev.fleetflags.admin.PasswordHash;
import dev.fleetflags.delivery.LogLimit;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator sign-ins with a password, kept available to real operators while strangers try: what
 * can be decided without hashing is decided at once on the broker thread (an address paused after
 * failures, credentials {@linkplain RememberedSignIns remembered} from this address, the {@link
 * SignInGuard}'s limits); the rest waits for the verifier (its own bounded executor) and is
 * answered exactly once, with the result or, once {@link #DEADLINE} has passed, "busy" (a check
 * that has not started by then never hashes). The deadline is ours, well inside the {@link
 * #ASYNC_TIMEOUT} the authenticator gives HiveMQ, so that HiveMQ never answers in our place.
 *
 * <p>Refusals are logged at most once per source address per minute, with how many were held back.
 */
final class OperatorSignIns {

  private static final Logger log = LoggerFactory.getLogger(OperatorSignIns.class);

  /** A check not answered by then is answered "busy": the client may retry. */
  static final Duration DEADLINE = Duration.ofSeconds(5);

  /** HiveMQ's own timeout for the asynchronous answer; reached only if our deadline timer failed. */
  static final Duration ASYNC_TIMEOUT = Duration.ofSeconds(15);

  /** Runs a task after a delay; gives back what cancels it. */
  interface Timer {
    Runnable schedule(Duration delay, Runnable task);
  }

  /** One CONNECT with an operator's username; the password is cleared once it was checked. */
  record Attempt(String username, String clientId, String address, byte[] password) {}

  private final Map<String, PasswordHash> passwords;
  private final SignInGuard guard;
  private final RememberedSignIns remembered;
  private final Executor verifier;
  private final Timer timer;
  private final LongSupplier nanoClock;
  private final BrokerMetrics metrics;
  private final LogLimit refusalLog;
  private final AtomicInteger pending = new AtomicInteger();

  OperatorSignIns(Map<String, PasswordHash> passwords, SignInGuard guard, RememberedSignIns remembered,
      Executor verifier, Timer timer, LongSupplier nanoClock, BrokerMetrics metrics, LogLimit refusalLog) {
    this.passwords = Map.copyOf(passwords);
    this.guard = guard;
    this.remembered = remembered;
    this.verifier = verifier;
    this.timer = timer;
    this.nanoClock = nanoClock;
    this.metrics = metrics;
    this.refusalLog = refusalLog;
  }

  boolean isOperator(String username) {
    return passwords.containsKey(username);
  }

  /** Checks queued or under way. */
  int pending() {
    return pending.get();
  }

  /**
   * What can be decided without hashing; null if the password must be checked: then {@link
   * #verify} must follow.
   */
  @Nullable SignInOutcome decideAtOnce(Attempt attempt) {
    SignInOutcome outcome;
    if (guard.paused(attempt.address())) {
      // First, so that an address refused does not learn from the remembered credentials either.
      outcome = SignInOutcome.ADDRESS_THROTTLED;
    } else if (remembered.contains(attempt.address(), attempt.username(), attempt.password())) {
      guard.succeeded(attempt.address());
      outcome = SignInOutcome.REMEMBERED;
    } else {
      outcome = guard.claim(attempt.address(), attempt.username());
    }
    if (outcome != null) {
      Arrays.fill(attempt.password(), (byte) 0);
      ended(attempt, outcome);
    }
    return outcome;
  }

  /**
   * Checks the password on the verifier after {@link #decideAtOnce} returned null; {@code answer}
   * gets the outcome exactly once: {@link SignInOutcome#VERIFIED}, {@link
   * SignInOutcome#WRONG_PASSWORD} or {@link SignInOutcome#BUSY}.
   */
  void verify(Attempt attempt, Consumer<SignInOutcome> answer) {
    PasswordHash hash = passwords.get(attempt.username());
    Answer once = new Answer(attempt, answer);
    long deadline = nanoClock.getAsLong() + DEADLINE.toNanos();
    pending.incrementAndGet();
    once.cancelTimer = timer.schedule(DEADLINE, () -> once.give(SignInOutcome.BUSY));
    try {
      verifier.execute(() -> check(attempt, hash, deadline, once));
    } catch (RejectedExecutionException full) {
      pending.decrementAndGet();
      guard.abandoned(attempt.address());
      once.give(SignInOutcome.BUSY);
    }
  }

  private void check(Attempt attempt, PasswordHash hash, long deadline, Answer once) {
    boolean checked = false;
    boolean matched = false;
    try {
      // One that waited past its deadline was answered "busy" already: it costs no hash.
      if (!once.given() && nanoClock.getAsLong() - deadline < 0) {
        matched = hash.matches(attempt.password());
        checked = true;
        if (matched) {
          // Also when the answer went out as "busy": the retry is then admitted at once.
          remembered.add(attempt.address(), attempt.username(), attempt.password());
        }
      }
    } finally {
      pending.decrementAndGet();
      Arrays.fill(attempt.password(), (byte) 0);
      if (checked) {
        guard.finished(attempt.address(), attempt.username(), matched);
      } else {
        guard.abandoned(attempt.address());
      }
      once.give(!checked ? SignInOutcome.BUSY : matched ? SignInOutcome.VERIFIED : SignInOutcome.WRONG_PASSWORD);
    }
  }

  private void ended(Attempt attempt, SignInOutcome outcome) {
    metrics.signIn(outcome);
    if (outcome.admits()) {
      log.info("Operator '{}' signed in as client '{}' from {}", attempt.username(), attempt.clientId(), attempt.address());
      return;
    }
    LogLimit.Pass pass = refusalLog.admit(attempt.address());
    if (pass != null) {
      log.warn("Operator sign-in refused: client '{}' from {} as '{}': {}{}", attempt.clientId(), attempt.address(),
          attempt.username(), outcome.words(), pass.note());
    }
  }

  /** The one answer of an attempt: the first outcome given wins, later ones are dropped. */
  private final class Answer {
    private final Attempt attempt;
    private final Consumer<SignInOutcome> to;
    private final AtomicBoolean given = new AtomicBoolean();
    private volatile Runnable cancelTimer = () -> { };

    Answer(Attempt attempt, Consumer<SignInOutcome> to) {
      this.attempt = attempt;
      this.to = to;
    }

    boolean given() {
      return given.get();
    }

    void give(SignInOutcome outcome) {
      if (given.compareAndSet(false, true)) {
        cancelTimer.run();
        ended(attempt, outcome);
        to.accept(outcome);
      }
    }
  }
}
