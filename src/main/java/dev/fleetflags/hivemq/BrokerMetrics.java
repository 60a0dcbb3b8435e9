package dev.fleetflags.hivemq;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import com.sun.management.UnixOperatingSystemMXBean;
import dev.fleetflags.admin.AdminAction;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.delivery.AckStatus;
import dev.fleetflags.delivery.ComplianceTracker;
import dev.fleetflags.delivery.DeliveryMetrics;
import dev.fleetflags.delivery.FleetCompliance;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.replication.ClusterReplica;
import dev.fleetflags.rollout.Gates;
import dev.fleetflags.rollout.RolloutMetrics;
import dev.fleetflags.rollout.Rollouts;
import java.lang.management.ManagementFactory;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.ToLongFunction;

/** FleetFlags' metrics in the broker's MetricRegistry, all named {@code fleetflags.*}. */
final class BrokerMetrics implements DeliveryMetrics, RolloutMetrics {

  static final String PREFIX = "fleetflags.";
  static final String SIGN_INS = PREFIX + "operators.sign-ins.";

  private final MetricRegistry registry;
  private final Counter snapshots;
  private final Counter deltas;
  private final Counter confirmations;
  private final Counter bytes;
  private final Histogram updateBytes;
  private final Counter failed;
  private final Counter deliveryFailed;
  private final Counter subscriptionsLost;
  private final Counter split;
  private final Counter leftOut;
  private final Counter adminRateLimited;
  private final Counter adminAccepted;
  private final Counter adminRejected;
  private final Counter adminErrors;
  private final Counter adminAnswersDropped;
  private final Timer adminTime;
  private final Timer fanOutTime;
  private final Counter fanOutMessages;
  private final Map<SignInOutcome, Counter> signIns = new EnumMap<>(SignInOutcome.class);
  private final Map<AckStatus, Counter> acks = new EnumMap<>(AckStatus.class);
  private final Counter acksDropped;
  private final Counter acksRateLimited;
  private final Counter signInsAccepted;
  private final Counter attributesIgnored;
  private final Counter rolloutsStarted;
  private final Counter rolloutWaves;
  private final Counter rolloutsCompleted;
  private final Counter rolloutsHalted;
  /** By gate: each registered at start, so that every series exists before its first halt. */
  private final Map<String, Counter> haltedBy = new LinkedHashMap<>();
  private final Counter scheduleApplied;

  BrokerMetrics(MetricRegistry registry) {
    this.registry = registry;
    this.rolloutsStarted = registry.counter(ROLLOUTS + "started");
    this.rolloutWaves = registry.counter(ROLLOUTS + "waves");
    this.rolloutsCompleted = registry.counter(ROLLOUTS + "completed");
    this.rolloutsHalted = registry.counter(ROLLOUTS + "halted");
    haltedBy.put(Gates.APPLIED, registry.counter(ROLLOUTS + "halted.min-applied"));
    haltedBy.put(Gates.FAILED, registry.counter(ROLLOUTS + "halted.max-failed"));
    haltedBy.put(Gates.DISCONNECTED, registry.counter(ROLLOUTS + "halted.max-disconnected"));
    this.scheduleApplied = registry.counter(PREFIX + "schedule.applied");
    this.snapshots = registry.counter(PREFIX + "snapshots.sent");
    this.deltas = registry.counter(PREFIX + "deltas.sent");
    this.confirmations = registry.counter(PREFIX + "confirmations.sent");
    this.bytes = registry.counter(PREFIX + "bytes.sent");
    this.updateBytes = registry.histogram(PREFIX + "update.bytes");
    this.failed = registry.counter(PREFIX + "publish.failed");
    this.deliveryFailed = registry.counter(PREFIX + "delivery.failed");
    this.subscriptionsLost = registry.counter(PREFIX + "subscriptions.lost");
    this.split = registry.counter(PREFIX + "updates.split");
    this.leftOut = registry.counter(PREFIX + "flags.too-large");
    this.adminRateLimited = registry.counter(PREFIX + "admin.rate-limited");
    this.adminAccepted = registry.counter(PREFIX + "admin.accepted");
    this.adminRejected = registry.counter(PREFIX + "admin.rejected");
    this.adminErrors = registry.counter(PREFIX + "admin.errors");
    this.adminAnswersDropped = registry.counter(PREFIX + "admin.answers-dropped");
    this.adminTime = registry.timer(PREFIX + "admin.time");
    this.fanOutTime = registry.timer(PREFIX + "fanout.duration");
    this.fanOutMessages = registry.counter(PREFIX + "fanout.messages");
    this.signInsAccepted = registry.counter(SIGN_INS + "accepted");
    for (AckStatus status : AckStatus.values()) {
      acks.put(status, registry.counter(PREFIX + "acks." + status.name().toLowerCase(Locale.ROOT)));
    }
    this.acksDropped = registry.counter(PREFIX + "acks.dropped");
    this.acksRateLimited = registry.counter(PREFIX + "acks.rate-limited");
    signIns.put(SignInOutcome.REMEMBERED, registry.counter(SIGN_INS + "accepted.remembered"));
    signIns.put(SignInOutcome.WRONG_PASSWORD, registry.counter(SIGN_INS + "refused.wrong-password"));
    signIns.put(SignInOutcome.BUSY, registry.counter(SIGN_INS + "refused.busy"));
    signIns.put(SignInOutcome.ADDRESS_THROTTLED, registry.counter(SIGN_INS + "throttled.address"));
    signIns.put(SignInOutcome.USERNAME_THROTTLED, registry.counter(SIGN_INS + "throttled.username"));
    this.attributesIgnored = registry.counter(PREFIX + "attributes.ignored");
  }

  /**
   * Gauges read from delivery: devices indexed, queue depth, publishes in flight, attribute values,
   * changes waiting to be planned.
   */
  void watch(FlagDelivery delivery) {
    registry.gauge(PREFIX + "changes.waiting", () -> delivery::changesWaiting);
    registry.gauge(PREFIX + "devices.indexed", () -> delivery::deviceCount);
    registry.gauge(PREFIX + "queue.depth", () -> delivery::pending);
    registry.gauge(PREFIX + "publishes.in-flight", () -> delivery::inFlight);
    registry.gauge(PREFIX + "devices.attribute-values", () -> delivery::attributeValues);
    watch(delivery.compliance());
  }

  /**
   * Gauges of the newest tracked revision's compliance (0 before the first change), and of the
   * devices ack tracking holds marks for.
   */
  private void watch(ComplianceTracker compliance) {
    String latest = PREFIX + "compliance.latest.";
    Map<String, ToLongFunction<FleetCompliance.RevisionCompliance>> figures = new LinkedHashMap<>();
    figures.put("revision", FleetCompliance.RevisionCompliance::revision);
    figures.put("targeted", FleetCompliance.RevisionCompliance::targeted);
    figures.put("pending", FleetCompliance.RevisionCompliance::pending);
    figures.put("delivered", FleetCompliance.RevisionCompliance::delivered);
    figures.put("applied", FleetCompliance.RevisionCompliance::applied);
    figures.put("rejected", FleetCompliance.RevisionCompliance::rejected);
    figures.put("failed", FleetCompliance.RevisionCompliance::failed);
    figures.forEach((name, figure) -> registry.gauge(latest + name, () -> () -> {
      FleetCompliance.RevisionCompliance r = compliance.latest();
      return r == null ? 0L : figure.applyAsLong(r);
    }));
    registry.gauge(PREFIX + "compliance.devices-tracked", () -> compliance::devicesTracked);
  }

  /**
   * Gauges of a broker that shares its state through etcd: the revision it serves, the newest one
   * it saw in etcd, and how long it has been cut off from etcd (0 while in touch).
   */
  void watch(ClusterReplica replica) {
    registry.gauge(PREFIX + "cluster.revision", () -> replica::revision);
    registry.gauge(PREFIX + "cluster.head-revision", () -> replica::headRevision);
    registry.gauge(PREFIX + "cluster.cut-off-seconds", () -> replica::cutOffSeconds);
  }

  /**
   * The broker process's open file descriptors and its limit (where the JVM tells them: Unix): every
   * connected device holds one, and a broker at its limit accepts no connection. HiveMQ CE exports
   * neither.
   */
  void watchFileDescriptors() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os) {
      registry.gauge(PREFIX + "files.open", () -> os::getOpenFileDescriptorCount);
      registry.gauge(PREFIX + "files.limit", () -> os::getMaxFileDescriptorCount);
    }
  }

  /** Operator password checks queued or under way. */
  void watchSignIns(IntSupplier pending) {
    registry.gauge(SIGN_INS + "pending", () -> pending::getAsInt);
  }

  /** An operator sign-in with a password ended so (certificate sign-ins are not counted). */
  void signIn(SignInOutcome outcome) {
    if (outcome.admits()) {
      signInsAccepted.inc();
    }
    Counter counter = signIns.get(outcome);
    if (counter != null) {
      counter.inc();
    }
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
  public void acknowledged(AckStatus status) {
    acks.get(status).inc();
  }

  @Override
  public void ackDropped(boolean rateLimited) {
    acksDropped.inc();
    if (rateLimited) {
      acksRateLimited.inc();
    }
  }

  @Override
  public void failed() {
    failed.inc();
  }

  @Override
  public void deliveryFailed() {
    deliveryFailed.inc();
  }

  @Override
  public void subscriptionLost() {
    subscriptionsLost.inc();
  }

  @Override
  public void split(int parts) {
    split.inc();
  }

  @Override
  public void leftOut(int flags) {
    leftOut.inc(flags);
  }

  @Override
  public void attributeIgnored() {
    attributesIgnored.inc();
  }

  void adminRejectedByRate() {
    adminRateLimited.inc();
  }

  /** An answer not sent: the connection that asked had ended. */
  void adminAnswerDropped() {
    adminAnswersDropped.inc();
  }

  /** The active rollouts (baking or paused). */
  void watch(Rollouts rollouts) {
    registry.gauge(ROLLOUTS + "active", () -> rollouts::activeCount);
  }

  static final String ROLLOUTS = PREFIX + "rollouts.";

  @Override
  public void started() {
    rolloutsStarted.inc();
  }

  @Override
  public void waveWritten() {
    rolloutWaves.inc();
  }

  @Override
  public void completed() {
    rolloutsCompleted.inc();
  }

  /** Counted in all, and by the gate that failed ({@code fleetflags.rollouts.halted.max-failed}, ...). */
  @Override
  public void halted(String gate) {
    rolloutsHalted.inc();
    Counter byGate = haltedBy.get(gate);
    if (byGate != null) {
      byGate.inc();
    }
  }

  @Override
  public void scheduledApplied() {
    scheduleApplied.inc();
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
