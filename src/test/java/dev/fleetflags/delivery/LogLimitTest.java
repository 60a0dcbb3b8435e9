package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A flood of lines for one key, or of keys, cannot fill the log; what was held back is told. */
class LogLimitTest {

  private final AtomicLong now = new AtomicLong(-5_000_000_000L); // nanoTime may be negative
  private final LogLimit limit = new LogLimit(Duration.ofMinutes(1), 3, 5, now::get);

  private void after(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void oneLinePerKeyPerIntervalAndTheNextSaysHowManyWereHeldBack() {
    assertEquals(new LogLimit.Pass(0, 0), limit.admit("10.0.0.1"));
    for (int i = 0; i < 57; i++) {
      assertNull(limit.admit("10.0.0.1"));
    }
    after(Duration.ofSeconds(59));
    assertNull(limit.admit("10.0.0.1"));
    after(Duration.ofSeconds(1));
    LogLimit.Pass next = limit.admit("10.0.0.1");
    assertEquals(new LogLimit.Pass(58, 0), next);
    assertEquals(" (58 more like it held back since the last one)", next.note());
    assertEquals("", new LogLimit.Pass(0, 0).note());
  }

  @Test
  void keysAreLimitedEachOnTheirOwn() {
    assertNotNull(limit.admit("a"));
    assertNotNull(limit.admit("b"));
    assertNull(limit.admit("a"));
    assertNull(limit.admit("b"));
  }

  /** Many keys at once: at most so many lines an interval in all, the rest counted. */
  @Test
  void manyKeysMeetTheOverallCap() {
    for (int i = 0; i < 5; i++) {
      assertNotNull(limit.admit("k" + i));
    }
    assertNull(limit.admit("k5"));
    assertNull(limit.admit("k6"));
    after(Duration.ofMinutes(1));
    LogLimit.Pass pass = limit.admit("k7");
    assertEquals(new LogLimit.Pass(0, 2), pass);
    assertEquals(" (2 lines of other sources held back)", pass.note());
  }

  /** Only so many keys are remembered; what a forgotten one held back is told on the next line. */
  @Test
  void theOldestKeysAreForgottenWithTheirCounts() {
    limit.admit("a");
    limit.admit("a");
    limit.admit("b");
    limit.admit("c");
    LogLimit.Pass fourth = limit.admit("d"); // forgets "a", which held one back
    assertEquals(new LogLimit.Pass(0, 1), fourth);
    assertEquals(new LogLimit.Pass(0, 0), limit.admit("a"), "a new window: \"a\" was forgotten");
  }
}
