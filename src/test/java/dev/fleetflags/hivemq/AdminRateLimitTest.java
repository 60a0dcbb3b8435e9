package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Per operator, writes apart from queries, on a clock the test moves. */
class AdminRateLimitTest {

  private final AtomicLong now = new AtomicLong(-7_000_000_000L);
  private final AdminRateLimit limit = new AdminRateLimit(5, 10, now::get);

  private int taken(String operator, AdminRateLimit.Kind kind, int tries) {
    int taken = 0;
    for (int i = 0; i < tries; i++) {
      if (limit.tryAcquire(operator, kind)) {
        taken++;
      }
    }
    return taken;
  }

  @Test
  void oneOperatorsQueriesLeaveOtherOperatorsAndItsOwnWritesAlone() {
    assertEquals(10, taken("a", AdminRateLimit.Kind.QUERIES, 100));
    assertEquals(5, taken("b", AdminRateLimit.Kind.WRITES, 5));
    assertEquals(10, taken("b", AdminRateLimit.Kind.QUERIES, 10));
    assertEquals(5, taken("a", AdminRateLimit.Kind.WRITES, 5));
  }

  @Test
  void bucketsRefillAtTheirRateUpToOneSecondsWorth() {
    assertEquals(5, taken("a", AdminRateLimit.Kind.WRITES, 10));
    now.addAndGet(Duration.ofMillis(200).toNanos());
    assertTrue(limit.tryAcquire("a", AdminRateLimit.Kind.WRITES));
    assertFalse(limit.tryAcquire("a", AdminRateLimit.Kind.WRITES));
    now.addAndGet(Duration.ofMinutes(1).toNanos());
    assertEquals(5, taken("a", AdminRateLimit.Kind.WRITES, 10), "no more than a burst");
  }

  /** Memory is bounded: the least recently used operators are dropped and start afresh. */
  @Test
  void manyOperatorsDoNotGrowItWithoutBound() {
    assertEquals(5, taken("first", AdminRateLimit.Kind.WRITES, 10));
    for (int i = 0; i < AdminRateLimit.MAX_OPERATORS * 2; i++) {
      limit.tryAcquire("client " + i, AdminRateLimit.Kind.WRITES);
    }
    assertTrue(limit.tryAcquire("first", AdminRateLimit.Kind.WRITES), "dropped, so full again");
  }
}
