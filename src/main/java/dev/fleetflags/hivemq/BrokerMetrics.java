package dev.fleetflags.hivemq;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import dev.fleetflags.admin.AdminAction;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.delivery.DeliveryMetrics;
import dev.fleetflags.delivery.FlagDelivery;
import java.util.concurrent.TimeUnit;

/** FleetFlags' metrics in the broker's MetricRegistry, all named {@code fleetflags.*}. */
final class BrokerMetrics implements DeliveryMetrics {

  static final String PREFIX = "fleetflags.";

  private final MetricRegistry registry;
  private final Counter snapshots;
  private final Counter deltas;
  private final Counter confirmations;
  private final Counter bytes;
  private final Histogram updateBytes;
  private final Counter failed;
  private final Counter adminRateLimited;
  private final Counter adminAccepted;
  private final Counter adminRejected;
  private final Counter adminErrors;
  private final Timer adminTime;
  private final Timer fanOutTime;
  private final Counter fanOutMessages;
  private final Counter attributesIgnored;

  BrokerMetrics(MetricRegistry registry) {
    this.registry = registry;
    this.snapshots = registry.counter(PREFIX + "snapshots.sent");
    this.deltas = registry.counter(PREFIX + "deltas.sent");
    this.confirmations = registry.counter(PREFIX + "confirmations.sent");
    this.bytes = registry.counter(PREFIX + "bytes.sent");
    this.updateBytes = registry.histogram(PREFIX + "update.bytes");
    this.failed = registry.counter(PREFIX + "publish.failed");
    this.adminRateLimited = registry.counter(PREFIX + "admin.rate-limited");
    this.adminAccepted = registry.counter(PREFIX + "admin.accepted");
    this.adminRejected = registry.counter(PREFIX + "admin.rejected");
    this.adminErrors = registry.counter(PREFIX + "admin.errors");
    this.adminTime = registry.timer(PREFIX + "admin.time");
    this.fanOutTime = registry.timer(PREFIX + "fanout.duration");
    this.fanOutMessages = registry.counter(PREFIX + "fanout.messages");
    this.attributesIgnored = registry.counter(PREFIX + "attributes.ignored");
  }

  /** Gauges read from delivery: devices indexed, queue depth, publishes in flight, attribute values. */
  void watch(FlagDelivery delivery) {
    registry.gauge(PREFIX + "devices.indexed", () -> delivery::deviceCount);
    registry.gauge(PREFIX + "queue.depth", () -> delivery::pending);
    registry.gauge(PREFIX + "publishes.in-flight", () -> delivery::inFlight);
    registry.gauge(PREFIX + "devices.attribute-values", () -> delivery::attributeValues);
  }

  @Override
  public void fanOutCompleted(long nanos, long messages) {
    fanOutTime.update(nanos, TimeUnit.NANOSECONDS);
    fanOutMessages.inc(messages);
  }

  MetricRegistry registry() {
    return registry;
  }

  /** Removes every FleetFlags metric (on extension stop, so a restart registers afresh). */
  void remove() {
    registry.removeMatching((name, metric) -> name.startsWith(PREFIX));
  }

  @Override
  public void snapshot(int size) {
    snapshots.inc();
    sent(size);
  }

  @Override
  public void delta(int size) {
    deltas.inc();
    sent(size);
  }

  @Override
  public void confirmed(int size) {
    confirmations.inc();
    sent(size);
  }

  private void sent(int size) {
    bytes.inc(size);
    updateBytes.update(size);
  }

  @Override
  public void failed() {
    failed.inc();
  }

  @Override
  public void attributeIgnored() {
    attributesIgnored.inc();
  }

  void adminRejectedByRate() {
    adminRateLimited.inc();
  }

  void adminRequest(AdminAction action, AdminResponse response, long nanos) {
    adminTime.update(nanos, TimeUnit.NANOSECONDS);
    switch (response.status()) {
      case "accepted" -> adminAccepted.inc();
      case "rejected" -> adminRejected.inc();
      case "error" -> adminErrors.inc();
      default -> { }
    }
  }
}
