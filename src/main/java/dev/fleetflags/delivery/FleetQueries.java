package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagProbe;
import dev.fleetflags.eval.FlagSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Operators' questions about the connected devices ({@link ConnectedFleet}), answered by walking
 * the index on a thread of their own: a walk over a large fleet takes a while, and neither the
 * admin thread nor the planner waits for it. Reads records under their monitors; changes nothing.
 */
final class FleetQueries implements AutoCloseable {

  private final DeviceIndex devices;
  private final boolean compareVariants;
  private final ExecutorService thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(64), r -> {
    Thread t = new Thread(r, "fleetflags-delivery-queries");
    t.setDaemon(true);
    return t;
  });

  FleetQueries(DeviceIndex devices, boolean compareVariants) {
    this.devices = devices;
    this.compareVariants = compareVariants;
  }

  CompletableFuture<ConnectedFleet.Affected> affectedBy(FlagChange change, int sample) {
    return run(() -> {
      FanOutPlan plan = new FanOutPlan(change.before().flagSet(), change.after().flagSet(), change.changedFlags(),
          change.removedFlags(), compareVariants);
      long now = System.currentTimeMillis() / 1000;
      FlagProbe probe = new FlagProbe(DeviceContext.empty(), now);
      int count = 0;
      // The first ids in order, kept in a max-heap of the sample's size.
      PriorityQueue<String> first = new PriorityQueue<>(Comparator.reverseOrder());
      if (!plan.isEmpty()) {
        for (DeviceRecord d : devices.values()) {
          DeviceContext attributes = servedAttributes(d);
          if (attributes == null || !plan.affects(probe.moveTo(attributes, d.clientId, now))) {
            continue;
          }
          count++;
          keepFirst(first, d.clientId, sample);
        }
      }
      return new ConnectedFleet.Affected(count, sorted(first));
    });
  }

  CompletableFuture<ConnectedFleet.DevicePage> devices(ConnectedFleet.DeviceQuery query) {
    return run(() -> {
      FlagSet flags = query.flagSet().flagSet();
      int flagIndex = query.flag() == null ? -1 : flags.indexOf(query.flag());
      long now = System.currentTimeMillis() / 1000;
      FlagProbe probe = new FlagProbe(DeviceContext.empty(), now);
      int matched = 0;
      PriorityQueue<ConnectedFleet.ConnectedDevice> page =
          new PriorityQueue<>(Comparator.comparing(ConnectedFleet.ConnectedDevice::clientId).reversed());
      for (DeviceRecord d : devices.values()) {
        DeviceContext attributes;
        long sentRevision;
        int sentHash;
        boolean current;
        synchronized (d) {
          attributes = d.attributes != null ? d.attributes : d.facts;
          sentRevision = d.sentRevision;
          sentHash = d.sentHash;
          current = d.subscribed && !d.hasWork() && d.sentRevision >= query.flagSet().revision();
        }
        Object value = null;
        if (query.flag() != null) {
          int variant = flagIndex < 0 ? -1 : probe.moveTo(attributes, d.clientId, now).variantIndex(flags, flagIndex);
          if (variant < 0) {
            continue;
          }
          value = flags.flag(flagIndex).variantValue(variant);
          if (query.value() != null && !sameValue(query.value(), value)) {
            continue;
          }
        }
        matched++;
        if (query.after() != null && d.clientId.compareTo(query.after()) <= 0) {
          continue;
        }
        ConnectedFleet.ConnectedDevice device = new ConnectedFleet.ConnectedDevice(d.clientId, attributes.attributes(),
            sentRevision, sentHash, current, value);
        page.add(device);
        if (page.size() > query.limit() + 1) {
          page.poll(); // one more than the page, to tell whether more follow
        }
      }
      List<ConnectedFleet.ConnectedDevice> list = new ArrayList<>(page);
      list.sort(Comparator.comparing(ConnectedFleet.ConnectedDevice::clientId));
      boolean more = list.size() > query.limit();
      return new ConnectedFleet.DevicePage(more ? list.subList(0, query.limit()) : list, matched, more);
    });
  }

  /** The attributes the device was served with, or null if it has not been served. */
  private static @Nullable DeviceContext servedAttributes(DeviceRecord d) {
    synchronized (d) {
      return d.subscribed && d.sentRevision != DeviceRecord.NOTHING_SENT ? d.attributes : null;
    }
  }

  /** A value given in a query and a flag's value: numbers by their value (1 and 1.0 alike). */
  static boolean sameValue(Object given, Object value) {
    if (given instanceof Number a && value instanceof Number b) {
      return a.doubleValue() == b.doubleValue();
    }
    return given.equals(value);
  }

  private static void keepFirst(PriorityQueue<String> first, String id, int size) {
    if (size <= 0) {
      return;
    }
    first.add(id);
    if (first.size() > size) {
      first.poll();
    }
  }

  private static List<String> sorted(PriorityQueue<String> ids) {
    List<String> list = new ArrayList<>(ids);
    list.sort(null);
    return list;
  }

  private <T> CompletableFuture<T> run(Supplier<T> work) {
    try {
      return CompletableFuture.supplyAsync(work, thread);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new IllegalStateException("too many questions about the devices are waiting; retry shortly", e));
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
