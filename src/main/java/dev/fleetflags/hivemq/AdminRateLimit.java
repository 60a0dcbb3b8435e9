package dev.fleetflags.hivemq;

/**
 * A token bucket for admin requests across all operators: {@code perSecond} tokens a second, with
 * a burst of one second's worth. Admin writes are synced to disk and may fan out to the whole fleet,
 * so a flood of them is refused early, on the broker thread, before it queues.
 */
final class AdminRateLimit {

  private final int perSecond;
  private double tokens;
  private long last;

  AdminRateLimit(int perSecond) {
    this.perSecond = perSecond;
    this.tokens = perSecond;
    this.last = System.nanoTime();
  }

  int perSecond() {
    return perSecond;
  }

  synchronized boolean tryAcquire() {
    long now = System.nanoTime();
    tokens = Math.min(perSecond, tokens + (now - last) * perSecond / 1e9);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
