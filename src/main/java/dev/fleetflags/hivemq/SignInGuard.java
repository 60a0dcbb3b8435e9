package dev.fleetflags.hivemq;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Decides which operator sign-ins may cost a password hash (PBKDF2, ~0.1 s of CPU each), so that
 * strangers guessing cannot take the verifier from real operators:
 *
 * <ul>
 *   <li>per source address, one check at a time, and after a failure a pause that doubles with
 *       each further failure ({@link Settings#firstPause} up to {@link Settings#maxPause}); during
 *       the pause the address is refused at once. A success ends the pause and the count; failures
 *       are forgotten {@link Settings#forgetAfter} after the last one;
 *   <li>per username, once a failure was seen (for {@link Settings#suspicion} after the last one),
 *       at most {@link Settings#usernameRate} checks a second (a burst of {@link
 *       Settings#usernameBurst}); the excess is refused at once.
 * </ul>
 *
 * Only configured operator usernames reach it, so the usernames' state is bounded by the
 * configuration; addresses are bounded by {@link Settings#maxAddresses}, the least recently seen
 * forgotten first (which can only shorten an attacker's pause: the username's rate still holds).
 */
final class SignInGuard {

  /**
   * @param firstPause an address's pause after its first failure
   * @param maxPause the longest pause
   * @param forgetAfter an address's failures count until this long after the last one
   * @param maxAddresses addresses remembered at most
   * @param suspicion how long after a failure a username's checks are rate-limited
   * @param usernameRate checks a second for a username under suspicion
   * @param usernameBurst checks at once for a username under suspicion
   */
  record Settings(Duration firstPause, Duration maxPause, Duration forgetAfter, int maxAddresses,
      Duration suspicion, double usernameRate, int usernameBurst) {

    static final Settings DEFAULT = new Settings(Duration.ofSeconds(1), Duration.ofMinutes(1),
        Duration.ofMinutes(15), 10_000, Duration.ofMinutes(1), 1.0, 3);
  }

  private static final class Source {
    int failures;
    long lastFailure;
    long pausedUntil;
    boolean checking;

    boolean paused(long now) {
      return failures > 0 && now - pausedUntil < 0;
    }
  }

  private static final class Name {
    boolean suspected;
    long suspectUntil;
    double tokens;
    long refilled;
  }

  private final Settings settings;
  private final LongSupplier nanoClock;
  /** Least recently seen first. */
  private final LinkedHashMap<String, Source> sources;
  private final Map<String, Name> names = new HashMap<>();

  SignInGuard(Settings settings, LongSupplier nanoClock) {
    this.settings = settings;
    this.nanoClock = nanoClock;
    this.sources = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Source> eldest) {
        return size() > settings.maxAddresses();
      }
    };
  }

  /** Whether the address is paused after failures: refuse it without looking further. */
  synchronized boolean paused(String address) {
    Source source = sources.get(address);
    return source != null && source.paused(nanoClock.getAsLong());
  }

  /**
   * Claims a check for this address and username; null if it may go ahead (then {@link #finished}
   * or {@link #abandoned} must follow), otherwise why it may not.
   */
  synchronized @Nullable SignInOutcome claim(String address, String username) {
    long now = nanoClock.getAsLong();
    Source source = sources.get(address);
    if (source != null && (source.checking || source.paused(now))) {
      return SignInOutcome.ADDRESS_THROTTLED;
    }
    Name name = names.computeIfAbsent(username, n -> new Name());
    if (name.suspected && now - name.suspectUntil < 0) {
      name.tokens = Math.min(settings.usernameBurst(),
          name.tokens + (now - name.refilled) * settings.usernameRate() / 1e9);
      name.refilled = now;
      if (name.tokens < 1) {
        return SignInOutcome.USERNAME_THROTTLED;
      }
      name.tokens -= 1;
    }
    if (source == null) {
      source = new Source();
      sources.put(address, source);
    }
    source.checking = true;
    return null;
  }

  /** A claimed check is done: the password matched or it did not. */
  synchronized void finished(String address, String username, boolean matched) {
    long now = nanoClock.getAsLong();
    Source source = sources.get(address);
    if (source != null) {
      source.checking = false;
    }
    if (matched) {
      succeeded(address);
      return;
    }
    if (source == null) {
      source = new Source();
      sources.put(address, source);
    }
    if (source.failures > 0 && now - source.lastFailure > settings.forgetAfter().toNanos()) {
      source.failures = 0;
    }
    source.failures++;
    source.lastFailure = now;
    source.pausedUntil = now + pause(source.failures);
    Name name = names.computeIfAbsent(username, n -> new Name());
    if (!name.suspected || now - name.suspectUntil >= 0) {
      // Under suspicion from now on, with a full burst to start with.
      name.tokens = settings.usernameBurst();
      name.refilled = now;
    }
    name.suspected = true;
    name.suspectUntil = now + settings.suspicion().toNanos();
  }

  /** A claimed check never ran (the verifier was busy): the address may try again. */
  synchronized void abandoned(String address) {
    Source source = sources.get(address);
    if (source != null) {
      source.checking = false;
    }
  }

  /** An operator signed in from this address: its failures are forgotten. */
  synchronized void succeeded(String address) {
    Source source = sources.get(address);
    if (source != null && !source.checking) {
      sources.remove(address);
    } else if (source != null) {
      source.failures = 0;
    }
  }

  private long pause(int failures) {
    long first = settings.firstPause().toNanos();
    long max = settings.maxPause().toNanos();
    int doublings = Math.min(failures - 1, 62);
    return first > max >> doublings ? max : Math.min(max, first << doublings);
  }
}
