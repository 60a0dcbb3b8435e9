package dev.fleetflags.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/** What devices received, in arrival order, filled by client threads and emptied by the harness. */
final class Inbox {

  private final ConcurrentLinkedQueue<Devices.Arrival> arrivals = new ConcurrentLinkedQueue<>();
  /** The inbox's size, kept apart: counting a ConcurrentLinkedQueue walks it. */
  private final AtomicInteger size = new AtomicInteger();

  void add(Devices.Arrival arrival) {
    arrivals.add(arrival);
    size.incrementAndGet();
  }

  int size() {
    return size.get();
  }

  /** Takes everything received so far. */
  List<Devices.Arrival> take() {
    List<Devices.Arrival> taken = new ArrayList<>();
    for (Devices.Arrival a = arrivals.poll(); a != null; a = arrivals.poll()) {
      taken.add(a);
      size.decrementAndGet();
    }
    return taken;
  }

  /**
   * Until it holds at least {@code count} messages; false once none has arrived for {@code wait}
   * (a loaded machine is slow, a broken broker silent).
   */
  boolean await(int count, Duration wait) throws InterruptedException {
    return awaitProgress(size::get, count, wait);
  }

  /** Until {@code done} reaches {@code count}; false once it has not grown for {@code wait}. */
  static boolean awaitProgress(IntSupplier done, int count, Duration wait) throws InterruptedException {
    int seen = done.getAsInt();
    long deadline = System.nanoTime() + wait.toNanos();
    while (seen < count) {
      Thread.sleep(2);
      int now = done.getAsInt();
      if (now > seen) {
        seen = now;
        deadline = System.nanoTime() + wait.toNanos();
      } else if (System.nanoTime() > deadline) {
        return false;
      }
    }
    return true;
  }
}
