package dev.fleetflags.delivery;

import dev.fleetflags.protocol.ProgressEvent;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports long fan-outs: a line when one starts, one per interval while devices remain (planned,
 * sent, remaining, rate), and one when the queue has drained, with the duration. Overlapping
 * changes merge into one fan-out, as their deltas do. Operators' progress events ({@link
 * ProgressEvent}) are made from the same figures: {@link #report} while it runs, and one when it is
 * complete (also for a change that affects no device, so that whoever waits for a revision's
 * fan-out learns that it is over).
 */
final class FanOutProgress {

  private static final Logger log = LoggerFactory.getLogger(FanOutProgress.class);

  private final IntSupplier remaining;
  private final DeliveryMetrics metrics;
  private final AtomicLong sent = new AtomicLong();
  private boolean active;
  /** A change is being planned: devices it queues may be sent before it knows how many. */
  private boolean planning;
  private long startNanos;
  private long planned;
  private long revision;
  private long lastSent;
  private long lastNanos;
  private long lastReportedSent;
  private long lastReportNanos;
  private final Consumer<ProgressEvent> events;

  FanOutProgress(IntSupplier remaining, DeliveryMetrics metrics) {
    this(remaining, metrics, event -> {});
  }

  /** @param events takes each progress event; called under this object's monitor, it must return at once */
  FanOutProgress(IntSupplier remaining, DeliveryMetrics metrics, Consumer<ProgressEvent> events) {
    this.remaining = remaining;
    this.metrics = metrics;
    this.events = events;
  }

  /**
   * A change is about to be planned. Workers start on the devices it queues at once, so the
   * fan-out starts here: what they send counts, and it cannot end before {@link #planned}.
   */
  synchronized void planning(long revision) {
    if (!active) {
      active = true;
      startNanos = System.nanoTime();
      lastNanos = startNanos;
      planned = 0;
      sent.set(0);
      lastSent = 0;
      lastReportedSent = 0;
      lastReportNanos = startNanos;
      this.revision = revision;
    }
    planning = true;
  }

  /** The change is planned: {@code devices} of {@code indexed} are affected. */
  synchronized void planned(long revision, int devices, int indexed) {
    planning = false;
    this.revision = revision; // the newest change in the fan-out names it
    if (planned + devices == 0) {
      active = false; // nothing to fan out
      emit(new ProgressEvent(revision, 0, 0, 0, 0, true));
      return;
    }
    if (devices > 0) {
      planned += devices;
      log.info("Fan-out of revision {}: {} of {} indexed devices affected; {} planned in this fan-out",
          revision, devices, indexed, planned);
    }
    tick(false); // its updates may all be out already
  }

  void sent() {
    sent.incrementAndGet();
  }

  /** Called periodically and when the queue drains. */
  synchronized void tick(boolean log) {
    if (!active || planning) {
      return;
    }
    long now = System.nanoTime();
    int left = remaining.getAsInt();
    long s = sent.get();
    if (left == 0) {
      active = false;
      long nanos = now - startNanos;
      metrics.fanOutCompleted(nanos, s);
      emit(new ProgressEvent(revision, planned, s, 0, rate(s, nanos), true));
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

  /** Called every 500 ms: a progress event while a fan-out runs (its completion reports itself). */
  synchronized void report() {
    if (!active || planning) {
      return;
    }
    int left = remaining.getAsInt();
    if (left == 0) {
      tick(false);
      return;
    }
    long now = System.nanoTime();
    long s = sent.get();
    emit(new ProgressEvent(revision, planned, s, left, rate(s - lastReportedSent, now - lastReportNanos), false));
    lastReportedSent = s;
    lastReportNanos = now;
  }

  private void emit(ProgressEvent event) {
    try {
      events.accept(event);
    } catch (RuntimeException e) {
      log.warn("Could not report the progress of the fan-out of revision {}: {}", event.revision(), e.toString());
    }
  }

  synchronized boolean active() {
    return active;
  }

  private static long rate(long count, long nanos) {
    return nanos <= 0 ? 0 : count * 1_000_000_000L / nanos;
  }
}
