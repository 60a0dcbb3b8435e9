package dev.fleetflags.delivery;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports long fan-outs: a line when one starts, one per interval while devices remain (planned,
 * sent, remaining, rate), and one when the queue has drained, with the duration. Overlapping
 * changes merge into one fan-out, as their deltas do.
 */
final class FanOutProgress {

  private static final Logger log = LoggerFactory.getLogger(FanOutProgress.class);

  private final IntSupplier remaining;
  private final DeliveryMetrics metrics;
  private final AtomicLong sent = new AtomicLong();
  private boolean active;
  private long startNanos;
  private long planned;
  private long revision;
  private long lastSent;
  private long lastNanos;

  FanOutProgress(IntSupplier remaining, DeliveryMetrics metrics) {
    this.remaining = remaining;
    this.metrics = metrics;
  }

  synchronized void planned(long revision, int devices, int indexed) {
    if (devices == 0) {
      return;
    }
    if (!active) {
      active = true;
      startNanos = System.nanoTime();
      lastNanos = startNanos;
      planned = 0;
      sent.set(0);
      lastSent = 0;
    }
    planned += devices;
    this.revision = revision;
    log.info("Fan-out of revision {}: {} of {} indexed devices affected; {} planned in this fan-out",
        revision, devices, indexed, planned);
  }

  void sent() {
    sent.incrementAndGet();
  }

  /** Called periodically and when the queue drains. */
  synchronized void tick(boolean log) {
    if (!active) {
      return;
    }
    long now = System.nanoTime();
    int left = remaining.getAsInt();
    long s = sent.get();
    if (left == 0) {
      active = false;
      long nanos = now - startNanos;
      metrics.fanOutCompleted(nanos, s);
      FanOutProgress.log.info("Fan-out of revision {} complete: {} devices planned, {} updates sent in {} ms ({}/s)",
          revision, planned, s, nanos / 1_000_000, rate(s, nanos));
      return;
    }
    if (log) {
      FanOutProgress.log.info("Fan-out of revision {}: {} devices planned, {} sent, {} remaining, {}/s",
          revision, planned, s, left, rate(s - lastSent, now - lastNanos));
      lastSent = s;
      lastNanos = now;
    }
  }

  synchronized boolean active() {
    return active;
  }

  private static long rate(long count, long nanos) {
    return nanos <= 0 ? 0 : count * 1_000_000_000L / nanos;
  }
}
