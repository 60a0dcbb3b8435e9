package dev.fleetflags.delivery;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * Lets a log line about one subject (a device, a client) through at most once a minute: a cause
 * that repeats is seen without flooding the log. Remembers at most {@value #SUBJECTS} subjects, so
 * many distinct ones cost bounded memory (beyond that some lines repeat sooner).
 */
public final class OncePerMinute {

  private static final int SUBJECTS = 10_000;

  private final Cache<String, Boolean> logged =
      Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(1)).maximumSize(SUBJECTS).build();

  /** Whether a line about {@code subject} may be logged now; if so, the next minute's may not. */
  public boolean allows(String subject) {
    return logged.asMap().putIfAbsent(subject, Boolean.TRUE) == null;
  }
}
