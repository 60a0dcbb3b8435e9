package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each connected device its flag set. The broker's callbacks only record facts and queue the
 * device; workers on the extension's own executor evaluate and publish. A device is queued at most
 * once, so work that arrives while it waits merges into one message with the net result.
 *
 * <p>When its subscription exists, a device receives a snapshot, or, if the state hash it presented
 * (CONNECT user property or resync publish) equals that of its current set, an empty update that
 * confirms it.
 */
public final class FlagDelivery implements ChangeListener {

  private static final Logger log = LoggerFactory.getLogger(FlagDelivery.class);
  /** A SUBACK can be seen a moment before the broker's topic tree has the subscription. */
  private static final int MAX_NOT_SUBSCRIBED_RETRIES = 5;
  private static final long RETRY_DELAY_MILLIS = 20;

  private final LiveFlags live;
  private final DeviceContexts contexts;
  private final FlagUpdates updates;
  private final DevicePublisher publisher;
  private final Executor workers;
  private final ScheduledExecutorService retries;
  private final DeliveryMetrics metrics;
  private final ConcurrentMap<String, DeviceRecord> devices = new ConcurrentHashMap<>();

  public FlagDelivery(
      LiveFlags live,
      DeviceContexts contexts,
      FlagUpdates updates,
      DevicePublisher publisher,
      Executor workers,
      ScheduledExecutorService retries,
      DeliveryMetrics metrics) {
    this.live = live;
    this.contexts = contexts;
    this.updates = updates;
    this.publisher = publisher;
    this.workers = workers;
    this.retries = retries;
    this.metrics = metrics;
  }

  /** A device connected (broker thread: records only). */
  public void connected(String clientId, ConnectionFacts facts, @Nullable Integer presentedHash) {
    devices.put(clientId, new DeviceRecord(clientId, facts, presentedHash));
  }

  /** A device's session ended (broker thread). */
  public void disconnected(String clientId) {
    devices.remove(clientId);
  }

  /** The connection facts of a connected device, or null. */
  public @Nullable ConnectionFacts facts(String clientId) {
    DeviceRecord d = devices.get(clientId);
    return d == null ? null : d.facts;
  }

  /** The number of connected devices known to delivery. */
  public int deviceCount() {
    return devices.size();
  }

  /** The device's subscription to its flag topic exists (broker thread: queues only). */
  public void subscribed(String clientId) {
    DeviceRecord d = devices.get(clientId);
    if (d == null) {
      return;
    }
    synchronized (d) {
      d.subscribed = true;
      d.wantSnapshot = true;
      d.attempts = 0;
    }
    schedule(d);
  }

  /** The device unsubscribed from its flag topic. */
  public void unsubscribed(String clientId) {
    DeviceRecord d = devices.get(clientId);
    if (d != null) {
      synchronized (d) {
        d.subscribed = false;
        d.wantSnapshot = false;
      }
    }
  }

  /**
   * The device asked for its set (a publish to its resync topic) saying which state it holds, or
   * null for none. If it is not subscribed yet, the hash is kept for its subscription.
   */
  public void resync(String clientId, @Nullable Integer presentedHash) {
    DeviceRecord d = devices.get(clientId);
    if (d == null) {
      return;
    }
    boolean now;
    synchronized (d) {
      d.presentedHash = presentedHash;
      now = d.subscribed;
      if (now) {
        d.wantSnapshot = true;
        d.attempts = 0;
      }
    }
    if (now) {
      schedule(d);
    }
  }

  @Override
  public int onChange(FlagChange change) {
    for (String id : change.changedDevices()) {
      DeviceRecord d = devices.get(id);
      if (d != null) {
        d.context = null;
      }
    }
    return 0;
  }

  private void schedule(DeviceRecord d) {
    if (d.scheduled.compareAndSet(false, true)) {
      try {
        workers.execute(() -> process(d));
      } catch (RejectedExecutionException e) {
        d.scheduled.set(false);
        metrics.rejected();
        log.warn("Delivery queue is full; device '{}' gets its flags when it resubscribes or asks for a resync", d.clientId);
      }
    }
  }

  private void process(DeviceRecord d) {
    d.scheduled.set(false);
    Integer presented;
    synchronized (d) {
      if (!d.wantSnapshot || !d.subscribed || devices.get(d.clientId) != d) {
        return;
      }
      d.wantSnapshot = false;
      presented = d.presentedHash;
      d.presentedHash = null;
    }
    FlagSetRevision current = live.current();
    Evaluation evaluation = current.flagSet().evaluate(context(d));
    int hash = evaluation.stateHash();
    boolean isCurrent = presented != null && presented == hash;
    byte[] payload = isCurrent ? updates.current(current.revision(), hash) : updates.snapshot(current.revision(), evaluation);
    synchronized (d) {
      d.sentRevision = current.revision();
      d.sentHash = hash;
    }
    publisher.publish(d.clientId, payload).whenComplete((taken, failure) -> {
      if (failure != null) {
        log.warn("Could not publish flags to device '{}': {}", d.clientId, failure.toString());
        metrics.failed();
      } else if (taken) {
        if (isCurrent) {
          metrics.confirmed(payload.length);
        } else {
          metrics.snapshot(payload.length);
        }
      } else {
        retryUnsubscribed(d, presented);
      }
    });
  }

  private void retryUnsubscribed(DeviceRecord d, @Nullable Integer presented) {
    synchronized (d) {
      d.sentRevision = DeviceRecord.NOTHING_SENT;
      if (!d.subscribed || ++d.attempts > MAX_NOT_SUBSCRIBED_RETRIES) {
        return;
      }
      d.presentedHash = presented;
      d.wantSnapshot = true;
    }
    retries.schedule(() -> schedule(d), RETRY_DELAY_MILLIS, TimeUnit.MILLISECONDS);
  }

  private DeviceContext context(DeviceRecord d) {
    DeviceContext c = d.context;
    if (c == null) {
      c = contexts.build(d.clientId, d.facts);
      d.context = c;
    }
    return c;
  }
}
