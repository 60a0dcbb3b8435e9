package dev.fleetflags.delivery;

/**
 * How many acks each device may send: a token bucket of {@value #BURST} acks, refilled at
 * {@value #PER_SECOND} a second; the excess is dropped. Enough for every update of a busy device
 * (an update in parts is acknowledged part by part) and little for a device that floods.
 *
 * <p>The bucket is 16 bits of the device's marks in the {@link AckLedger}, so it costs a device
 * nothing beyond its entry there: the tokens used (5 bits) and the half-second they were counted
 * at (11 bits, modulo 2048, i.e. 1024 s). A full bucket is 0: a device that did not ack lately
 * has no bucket, and an entry only if it owes something. Refilling every bucket at least every
 * {@value #REFILL_SECONDS} s ({@link ComplianceTracker}) keeps every interval far below the 1024 s
 * the counter can tell, and returns full buckets to 0.
 */
final class AckRate {

  static final int BURST = 20;
  static final int PER_SECOND = 2;
  /** How often every bucket is refilled, at most this many seconds apart. */
  static final int REFILL_SECONDS = 60;
  static final int SHIFT = 48;
  static final long BITS = 0xFFFFL << SHIFT;
  private static final long TICK_MILLIS = 1000 / PER_SECOND;
  private static final int TICK_BITS = 11;
  private static final long TICKS = (1L << TICK_BITS) - 1;
  /** What {@link #admit} returns when the bucket is empty. */
  static final long REFUSED = -1;

  private AckRate() {}

  /** The marks after the device sends an ack at {@code nowMillis}, or {@link #REFUSED}. */
  static long admit(long marks, long nowMillis) {
    long refilled = refill(marks, nowMillis);
    long used = used(refilled);
    if (used >= BURST) {
      return REFUSED;
    }
    return withBucket(refilled, used + 1, tick(nowMillis));
  }

  /** The marks with the bucket refilled to {@code nowMillis} (0 bits once full). */
  static long refill(long marks, long nowMillis) {
    long bucket = (marks & BITS) >>> SHIFT;
    if (bucket == 0) {
      return marks;
    }
    long now = tick(nowMillis);
    long elapsed = (now - (bucket & TICKS)) & TICKS;
    return withBucket(marks, Math.max(0, used(marks) - elapsed), now);
  }

  /** Acks the device could send at once now. */
  static int tokens(long marks, long nowMillis) {
    return (int) (BURST - used(refill(marks, nowMillis)));
  }

  private static long used(long marks) {
    return (marks & BITS) >>> (SHIFT + TICK_BITS);
  }

  private static long tick(long millis) {
    return Math.floorDiv(millis, TICK_MILLIS) & TICKS;
  }

  private static long withBucket(long marks, long used, long tick) {
    long bucket = used == 0 ? 0 : (used << TICK_BITS) | tick;
    return (marks & ~BITS) | (bucket << SHIFT);
  }
}
