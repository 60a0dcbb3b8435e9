package dev.fleetflags.delivery;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The system's time, running {@code onWorkerRead} first whenever a thread other than the planner
 * reads it. A delivery worker reads the time after the set it serves and before it works out a
 * device's update: a test holds or fails the worker there.
 */
final class WorkerClock extends Clock {

  private final Runnable onWorkerRead;

  WorkerClock(Runnable onWorkerRead) {
    this.onWorkerRead = onWorkerRead;
  }

  @Override
  public long millis() {
    if (!Thread.currentThread().getName().contains("planner")) {
      onWorkerRead.run();
    }
    return System.currentTimeMillis();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
