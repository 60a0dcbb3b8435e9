package dev.fleetflags.delivery;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * How many acks each device may send: a token bucket of {@value #BURST} acks per device, refilled
 * at {@value #PER_SECOND} a second; the excess is dropped. Enough for every update of a busy
 * device (an update in parts is acknowledged part by part) and little for a device that floods.
 * A bucket exists only for a device that acked lately: one that is full again is forgotten (it
 * would admit the same), so devices that never ack cost nothing here.
 */
final class AckRate {

  static final int BURST = 20;
  static final int PER_SECOND = 2;

  private final LongSupplier millis;
  private final ConcurrentMap<DeviceRecord, Bucket> buckets = new ConcurrentHashMap<>();

  /** @param millis the clock, in milliseconds */
  AckRate(LongSupplier millis) {
    this.millis = millis;
  }

  /** Tokens left and when they were counted; changed only inside the map's compute. */
  private static final class Bucket {
    double tokens = BURST;
    long at;

    Bucket(long at) {
      this.at = at;
    }

    void refill(long now) {
      tokens = Math.min(BURST, tokens + Math.max(0, now - at) * (PER_SECOND / 1000.0));
      at = now;
    }
  }

  /** Whether the device may send one more ack now; takes a token if so. */
  boolean admit(DeviceRecord device) {
    long now = millis.getAsLong();
    boolean[] admitted = new boolean[1];
    buckets.compute(device, (d, bucket) -> {
      Bucket b = bucket == null ? new Bucket(now) : bucket;
      b.refill(now);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        admitted[0] = true;
      }
      return b;
    });
    return admitted[0];
  }

  /** Forgets the buckets that are full again. */
  void sweep() {
    long now = millis.getAsLong();
    for (DeviceRecord device : buckets.keySet()) {
      buckets.computeIfPresent(device, (d, b) -> {
        b.refill(now);
        return b.tokens >= BURST ? null : b;
      });
    }
  }

  void forget(DeviceRecord device) {
    buckets.remove(device);
  }

  /** Devices with a bucket. */
  int size() {
    return buckets.size();
  }
}
