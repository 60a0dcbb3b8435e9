package dev.fleetflags.hivemq;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Admin request rates per operator, writes apart from queries: each operator (its username, or
 * its client id when it signed in by certificate without one) has a token bucket for writes and
 * one for queries, each refilled at its rate a second with a burst of one second's worth. One
 * operator's stream of queries therefore neither uses up another operator's requests nor its own
 * writes. Writes are synced to disk and may fan out to the whole fleet, so a flood of them is
 * refused early, on the broker thread, before it queues.
 *
 * <p>At most {@value #MAX_OPERATORS} operators' buckets are held, the least recently used dropped
 * first (a dropped operator starts again with full buckets).
 */
final class AdminRateLimit {

  static final int MAX_OPERATORS = 10_000;

  /** Which of the two limits a request counts against, with its setting. */
  enum Kind {
    WRITES("writes", "limits/admin-requests-per-second"),
    QUERIES("queries", "limits/admin-queries-per-second");

    private final String words;
    private final String setting;

    Kind(String words, String setting) {
      this.words = words;
      this.setting = setting;
    }

    String words() {
      return words;
    }

    String setting() {
      return setting;
    }
  }

  private static final class Bucket {
    double tokens;
    long refilled;

    Bucket(int perSecond, long now) {
      this.tokens = perSecond;
      this.refilled = now;
    }

    boolean take(int perSecond, long now) {
      tokens = Math.min(perSecond, tokens + (now - refilled) * perSecond / 1e9);
      refilled = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }
  }

  private record Key(String operator, Kind kind) {}

  private final int writesPerSecond;
  private final int queriesPerSecond;
  private final LongSupplier nanoClock;
  private final Map<Key, Bucket> buckets;

  AdminRateLimit(int writesPerSecond, int queriesPerSecond, LongSupplier nanoClock) {
    this.writesPerSecond = writesPerSecond;
    this.queriesPerSecond = queriesPerSecond;
    this.nanoClock = nanoClock;
    this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, Bucket> eldest) {
        return size() > 2 * MAX_OPERATORS;
      }
    };
  }

  int perSecond(Kind kind) {
    return kind == Kind.WRITES ? writesPerSecond : queriesPerSecond;
  }

  /** Takes a request of this kind for this operator; false if the operator is over the limit. */
  synchronized boolean tryAcquire(String operator, Kind kind) {
    long now = nanoClock.getAsLong();
    int perSecond = perSecond(kind);
    Bucket bucket = buckets.computeIfAbsent(new Key(operator, kind), k -> new Bucket(perSecond, now));
    return bucket.take(perSecond, now);
  }
}
