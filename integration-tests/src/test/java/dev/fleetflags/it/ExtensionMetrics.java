package dev.fleetflags.it;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * FleetFlags' metrics as the embedded broker's MetricRegistry holds them, and waits on them: they
 * tell when the extension has handed every update to the broker, which no client can see.
 */
final class ExtensionMetrics {

  private final MetricRegistry registry;

  ExtensionMetrics(EmbeddedBroker broker) {
    this.registry = broker.metricRegistry();
  }

  long counter(String name) {
    return metric(name, Counter.class).getCount();
  }

  long timerCount(String name) {
    return metric(name, Timer.class).getCount();
  }

  long gauge(String name) {
    return ((Number) metric(name, Gauge.class).getValue()).longValue();
  }

  boolean exists(String name) {
    return registry.getMetrics().containsKey(name);
  }

  /**
   * Waits until no change waits to be planned, no device is queued or being worked on and no
   * publish is outstanding at the broker: every update of the changes made so far has been handed
   * to the broker.
   */
  void awaitIdle() {
    await(
        () ->
            gauge("fleetflags.changes.waiting") == 0
                && gauge("fleetflags.queue.depth") == 0
                && gauge("fleetflags.publishes.in-flight") == 0,
        () ->
            "delivery to become idle (changes waiting "
                + gauge("fleetflags.changes.waiting")
                + ", queue depth "
                + gauge("fleetflags.queue.depth")
                + ", in flight "
                + gauge("fleetflags.publishes.in-flight")
                + ")");
  }

  /** Waits until delivery knows exactly {@code count} connected clients. */
  void awaitIndexed(long count) {
    await(
        () -> gauge("fleetflags.devices.indexed") == count,
        () ->
            "fleetflags.devices.indexed to be "
                + count
                + " (it is "
                + gauge("fleetflags.devices.indexed")
                + ")");
  }

  /** Waits until a counter reaches {@code value}; it is then compared exactly by the caller. */
  void awaitCounter(String name, long value) {
    await(
        () -> counter(name) >= value,
        () -> name + " to reach " + value + " (" + counter(name) + ")");
  }

  /** Waits until a gauge reads {@code value} or more. */
  void awaitGauge(String name, long value) {
    await(() -> gauge(name) >= value, () -> name + " to reach " + value + " (" + gauge(name) + ")");
  }

  /** Waits until a timer has counted {@code count} events. */
  void awaitTimerCount(String name, long count) {
    await(
        () -> timerCount(name) >= count,
        () -> name + " to count " + count + " (" + timerCount(name) + ")");
  }

  private <T extends Metric> T metric(String name, Class<T> type) {
    Metric metric = registry.getMetrics().get(name);
    if (!type.isInstance(metric)) {
      throw new AssertionError(
          "no " + type.getSimpleName() + " " + name + " in " + registry.getNames());
    }
    return type.cast(metric);
  }

  /** Polls, bounded by {@link MqttDevice#WAIT}: metrics have no way to notify. */
  private static void await(BooleanSupplier condition, Supplier<String> what) {
    long deadline = System.nanoTime() + MqttDevice.WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waited " + MqttDevice.WAIT + " for " + what.get());
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }
}
