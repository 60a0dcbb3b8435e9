package dev.fleetflags.delivery;

import dev.fleetflags.eval.FlagSet;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes time-based targeting take effect at its second without an operator: keeps a timer set for
 * the next time boundary of the live flags (a second at which a comparison of {@code
 * $flagd.timestamp} with a constant turns, found when the flags were compiled), and when it passes
 * hands the flags that turn to {@link FlagDelivery#timeBoundary}, which sends a delta to exactly
 * the connected devices whose values change. A change of the flags sets the timer anew. Each
 * broker does this for its own devices, whether or not it can reach the others.
 */
public final class TimeBoundaries implements ChangeListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TimeBoundaries.class);

  private final FlagDelivery delivery;
  private final Clock clock;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fleetflags-time-boundaries");
        t.setDaemon(true);
        return t;
      });
  private volatile FlagSet flags;
  /** Boundaries at or before this second are handled; guarded by this. */
  private long handled;
  private @Nullable ScheduledFuture<?> next; // guarded by this

  /** Watches {@code live}'s flags from now on (call {@link #start}). */
  public TimeBoundaries(FlagDelivery delivery, LiveFlags live, Clock clock) {
    this.delivery = delivery;
    this.clock = clock;
    this.flags = live.current().flagSet();
    this.handled = clock.millis() / 1000;
  }

  /** Sets the timer for the first boundary ahead. */
  public void start() {
    schedule();
  }

  @Override
  public CompletionStage<Integer> onChange(FlagChange change) {
    flags = change.after().flagSet();
    try {
      timer.execute(this::schedule);
    } catch (RejectedExecutionException closed) {
      // stopping
    }
    return CompletableFuture.completedFuture(0); // the change's own plan counts its devices
  }

  /** The next boundary ahead of those handled, as epoch seconds; -1 if none. */
  synchronized long nextBoundary() {
    return flags.nextTimeBoundary(handled);
  }

  private synchronized void schedule() {
    if (next != null) {
      next.cancel(false);
      next = null;
    }
    long boundary = flags.nextTimeBoundary(handled);
    if (boundary < 0) {
      return;
    }
    try {
      next = timer.schedule(this::passed, Math.max(0, boundary * 1000 - clock.millis()), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      // stopping
    }
  }

  /**
   * Hands delivery the flags whose boundaries have passed since the last time (the timer's
   * thread; tests call it after moving their clock), then sets the timer for the next.
   */
  synchronized void passed() {
    long now = clock.millis() / 1000;
    long first = flags.nextTimeBoundary(handled);
    if (first >= 0 && first <= now) {
      List<String> keys = flags.flagsTurningBetween(handled, now);
      handled = now;
      delivery.timeBoundary(first, keys).whenComplete((devices, failure) -> {
        if (failure != null) {
          log.error("Planning the time boundary {} for flags {} failed; devices get their values with the next change,"
              + " or when they resubscribe", first, keys, failure);
        }
      });
    }
    schedule();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
