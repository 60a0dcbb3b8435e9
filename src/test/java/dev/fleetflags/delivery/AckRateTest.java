package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** The bucket in the marks, on a clock the test moves (milliseconds). */
class AckRateTest {

  private long now = 1_000_000_000L;
  private long marks;

  private boolean admit() {
    long next = AckRate.admit(marks, now);
    if (next == AckRate.REFUSED) {
      return false;
    }
    assertEquals(marks & ~AckRate.BITS, next & ~AckRate.BITS, "the other marks are kept");
    marks = next;
    return true;
  }

  @Test
  void aBurstIsAdmittedThenTwoASecond() {
    for (int i = 0; i < AckRate.BURST; i++) {
      assertEquals(true, admit(), "ack " + i + " of the burst");
    }
    assertEquals(false, admit(), "beyond the burst");
    now += 499;
    assertEquals(false, admit(), "not yet a token back");
    now += 1;
    assertEquals(true, admit(), "one token every 500 ms");
    assertEquals(false, admit());
    now += 1000;
    assertEquals(true, admit());
    assertEquals(true, admit());
    assertEquals(false, admit(), "two a second");
  }

  @Test
  void aFullBucketIsNoBitsAtAll() {
    marks = 0x0000_1234_5678_9abcL; // the compliance marks of some device
    assertEquals(AckRate.BURST, AckRate.tokens(marks, now));
    admit();
    assertNotEquals(0, marks & AckRate.BITS, "a device that acked lately has a bucket");
    assertEquals(AckRate.BURST - 1, AckRate.tokens(marks, now));
    now += 500;
    assertEquals(0x0000_1234_5678_9abcL, AckRate.refill(marks, now), "full again: the marks it had");
    marks = 0;
    admit();
    assertEquals(0, AckRate.refill(marks, now + 500), "a device without marks has no entry once its bucket is full");
  }

  @Test
  void refillingEveryMinuteCountsEveryToken() {
    for (int i = 0; i < AckRate.BURST; i++) {
      admit();
    }
    // Refilled every minute for an hour, it is as if counted once: full after 10 s.
    now += 5_000;
    marks = AckRate.refill(marks, now);
    assertEquals(10, AckRate.tokens(marks, now));
    for (int minute = 0; minute < 60; minute++) {
      now += AckRate.REFILL_SECONDS * 1000;
      marks = AckRate.refill(marks, now);
    }
    assertEquals(0, marks, "full");
  }

  @Test
  void theHalfSecondCounterWrapsAroundUnnoticed() {
    now = 1023 * 1000 + 750; // half-second 2047
    for (int i = 0; i < AckRate.BURST; i++) {
      admit();
    }
    now += 1000; // half-second 1, two ticks later
    assertEquals(2, AckRate.tokens(marks, now));
  }

  @Test
  void aClockThatGoesBackGivesAFullBucket() {
    for (int i = 0; i < AckRate.BURST; i++) {
      admit();
    }
    now -= 60_000;
    assertEquals(true, admit(), "the counter cannot tell: the device is not held back for it");
  }
}
