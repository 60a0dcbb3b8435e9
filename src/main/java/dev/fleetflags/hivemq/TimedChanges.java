package dev.fleetflags.hivemq;

import dev.fleetflags.admin.FlagAdmin;
import dev.fleetflags.delivery.FleetCompliance;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.delivery.TimeBoundaries;
import dev.fleetflags.replication.ClusterDriving;
import dev.fleetflags.replication.ClusterReplica;
import dev.fleetflags.rollout.FleetFigures;
import dev.fleetflags.rollout.Leadership;
import dev.fleetflags.rollout.Plans;
import dev.fleetflags.rollout.Rollouts;
import dev.fleetflags.rollout.Schedules;
import dev.fleetflags.store.FlagStore;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes made by time rather than by an operator: staged rollouts and scheduled changes (checked
 * every {@code rollouts/check-interval-millis} on a timer of their own, their writes made on the
 * admin thread; with several brokers, driven by one of them), and the time boundaries of
 * time-based targeting.
 */
final class TimedChanges implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TimedChanges.class);

  private final Plans plans;
  private final ExecutorService adminThread;
  private final ScheduledThreadPoolExecutor timer;
  private final @Nullable ClusterDriving driving;
  private final TimeBoundaries boundaries;

  TimedChanges(FleetFlagsConfig config, FlagAdmin admin, FlagStore store, LiveFlags live, FlagDelivery delivery,
      @Nullable ClusterReplica replica, ExecutorService adminThread, BrokerMetrics metrics) {
    this.adminThread = adminThread;
    Clock clock = Clock.systemUTC();
    // The gates read what this broker's devices report (with several brokers, added to the others').
    FleetCompliance compliance = delivery.compliance();
    String broker = ManagementFactory.getRuntimeMXBean().getName() + "-" + Long.toHexString(System.nanoTime() & 0xFFFFFF);
    Leadership leadership = Leadership.ALONE;
    FleetFigures figures = FleetFigures.of(compliance);
    if (replica != null) {
      ClusterDriving cluster = replica.driving(broker, compliance);
      cluster.start();
      leadership = cluster;
      figures = cluster;
      driving = cluster;
    } else {
      driving = null;
    }
    Rollouts rollouts = new Rollouts(admin, store, clock, figures, leadership, metrics, broker);
    plans = new Plans(rollouts, new Schedules(admin, store, clock, leadership, metrics));
    admin.planRequests(plans);
    metrics.watch(rollouts);
    timer = new ScheduledThreadPoolExecutor(1, ExtensionThreads.daemon("fleetflags-rollouts"));
    timer.scheduleWithFixedDelay(() -> plans.check(adminThread), config.rolloutCheckMillis(), config.rolloutCheckMillis(),
        TimeUnit.MILLISECONDS);
    boundaries = new TimeBoundaries(delivery, live, clock);
    live.addListener(boundaries);
    boundaries.start();
  }

  /**
   * Before the broker stops: the rollouts this broker drives record the bake time they have left
   * (on the admin thread, as every write), so that they resume with it.
   */
  @Override
  public void close() {
    timer.shutdownNow();
    try {
      adminThread.submit(() -> plans.rollouts().suspend()).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
      log.warn("Could not record the rollouts' bake time before stopping ({}); they bake again from their last write", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (driving != null) {
      driving.close();
    }
    boundaries.close();
  }
}
