package dev.fleetflags.delivery;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes with at most {@code maxInFlight} publishes outstanding at the broker and, if
 * {@code perSecond} is positive, no faster than that. The broker's PublishService has no
 * back-pressure; this is ours. Callers are delivery worker threads, which wait here.
 */
final class PacedPublisher {

  private final DevicePublisher publisher;
  private final Semaphore inFlight;
  private final int maxInFlight;
  private final long nanosPerPublish;
  private long nextSlot;

  PacedPublisher(DevicePublisher publisher, int maxInFlight, int perSecond) {
    this.publisher = publisher;
    this.maxInFlight = maxInFlight;
    this.inFlight = new Semaphore(maxInFlight);
    this.nanosPerPublish = perSecond > 0 ? 1_000_000_000L / perSecond : 0;
  }

  CompletableFuture<Boolean> publish(String clientId, byte[] payload) throws InterruptedException {
    pace();
    inFlight.acquire();
    CompletableFuture<Boolean> result;
    try {
      result = Objects.requireNonNull(publisher.publish(clientId, payload), "the publisher returned no future");
    } catch (Throwable e) {
      // Whatever the publisher throws (an Error too) is this publish's failure, not the worker's.
      inFlight.release();
      return CompletableFuture.failedFuture(e);
    }
    return result.whenComplete((taken, failure) -> inFlight.release());
  }

  /** See {@link DevicePublisher#restoreSubscription}: not paced, it publishes nothing. */
  CompletableFuture<Boolean> restoreSubscription(String clientId) {
    return Objects.requireNonNull(publisher.restoreSubscription(clientId), "the publisher returned no future");
  }

  /** See {@link DevicePublisher#holdsSubscription}: not paced, it publishes nothing. */
  CompletableFuture<Boolean> holdsSubscription(String clientId) {
    return Objects.requireNonNull(publisher.holdsSubscription(clientId), "the publisher returned no future");
  }

  /** See {@link DevicePublisher#reconnect}: not paced, it publishes nothing. */
  void reconnect(String clientId, String reason) {
    publisher.reconnect(clientId, reason);
  }

  /** Publishes handed to the broker and not yet completed. */
  int inFlight() {
    return maxInFlight - inFlight.availablePermits();
  }

  private void pace() {
    if (nanosPerPublish == 0) {
      return;
    }
    long wait;
    synchronized (this) {
      long now = System.nanoTime();
      nextSlot = Math.max(nextSlot, now);
      wait = nextSlot - now;
      nextSlot += nanosPerPublish;
    }
    if (wait > 0) {
      LockSupport.parkNanos(wait);
    }
  }
}
