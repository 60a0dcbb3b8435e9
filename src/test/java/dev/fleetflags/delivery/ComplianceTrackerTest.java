package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.delivery.FleetCompliance.Departure;
import dev.fleetflags.delivery.FleetCompliance.FlagHoldings;
import dev.fleetflags.delivery.FleetCompliance.RevisionCompliance;
import dev.fleetflags.delivery.FleetCompliance.ValueHolding;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.proto.v1.FlagAck;
import dev.fleetflags.rules.Limits;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The compliance counts as delivery and acks move devices along: every targeted device in exactly
 * one state, with a broker stand-in that takes updates (or holds them) and a clock the test sets.
 */
class ComplianceTrackerTest {

  /** Counts what the tracker reports to the metrics. */
  static final class AckMetrics implements DeliveryMetrics {
    final Map<AckStatus, AtomicInteger> acks = new ConcurrentHashMap<>();
    final AtomicInteger dropped = new AtomicInteger();
    final AtomicInteger rateLimited = new AtomicInteger();

    @Override
    public void acknowledged(AckStatus status) {
      acks.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void ackDropped(boolean rate) {
      dropped.incrementAndGet();
      if (rate) {
        rateLimited.incrementAndGet();
      }
    }

    int acks(AckStatus status) {
      return acks.getOrDefault(status, new AtomicInteger()).get();
    }
  }

  private static final String A_ONLY = "{\"==\": [{\"var\": \"model\"}, \"a\"]}";

  private static String flags(String betaTargeting, boolean modeOn) {
    return """
        {"flags": {
          "beta": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"%s},
          "mode": {"state": "%s", "variants": {"eco": "eco"}, "defaultVariant": "eco"}
        }}""".formatted(betaTargeting == null ? "" : ", \"targeting\": {\"if\": [" + betaTargeting + ", \"on\", \"off\"]}",
        modeOn ? "ENABLED" : "DISABLED");
  }

  private static FlagSet compile(String json) throws Exception {
    return new FlagSetCompiler(Limits.DEFAULT).compile(json.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
  }

  private final TestClock clock = new TestClock(Instant.parse("2026-12-04T10:00:00Z"));
  /** Takes every update at once, or holds them until released. */
  private final FanOutTest.Devices broker = new FanOutTest.Devices();
  private final AckMetrics metrics = new AckMetrics();
  private final Map<String, DeviceRecord> records = new HashMap<>();
  private final List<FlagDelivery> opened = new ArrayList<>();
  private LiveFlags live;
  private FlagDelivery delivery;
  private ComplianceTracker compliance;

  @AfterEach
  void close() {
    opened.forEach(FlagDelivery::close);
  }

  private void start(int revisions, int maxInFlight) throws Exception {
    live = new LiveFlags(new FlagSetRevision(7, compile(flags(null, true)), Map.of()));
    delivery = new FlagDelivery(live, new DeviceContexts(id -> Map.of(), Set.of("model")), new FlagUpdates(false), broker,
        new FlagDelivery.Settings(1, maxInFlight, 0, 4, 1000, Duration.ofSeconds(60)), metrics,
        new ComplianceTracker.Settings(revisions, 100, clock));
    live.addListener(delivery);
    opened.add(delivery);
    compliance = delivery.compliance();
  }

  /** Devices a1..a4 of model a, b1 and b2 of model b, connected, subscribed and served. */
  private void fleet() throws Exception {
    for (String id : List.of("a1", "a2", "a3", "a4", "b1", "b2")) {
      connect(id);
    }
    idle();
  }

  private DeviceRecord connect(String id) {
    DeviceRecord d = new DeviceRecord();
    records.put(id, d);
    delivery.connected(id, d, new ConnectionFacts(null, Map.of("model", id.substring(0, 1))), null);
    delivery.subscribed(id);
    return d;
  }

  private void idle() throws Exception {
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
  }

  private int change(long revision, String json, Set<String> changed) throws Exception {
    FlagSetRevision before = live.current();
    return live.publish(new FlagChange(before, new FlagSetRevision(revision, compile(json), Map.of()), changed, Set.of(),
        Set.of())).join();
  }

  private void ack(String id, long revision, FlagAck.Status status, String... rejectedKeys) throws Exception {
    FlagAck.Builder ack = FlagAck.newBuilder().setRevision(revision).setStateHash(0).setStatus(status);
    for (String key : rejectedKeys) {
      ack.addRejectedKeys(key);
    }
    compliance.offer(id, ByteBuffer.wrap(ack.build().toByteArray()));
    assertTrue(compliance.awaitAcks(Duration.ofSeconds(10)));
  }

  private RevisionCompliance at(long revision) {
    RevisionCompliance r = compliance.revision(revision);
    assertTrue(r != null, "revision " + revision + " is tracked");
    return r;
  }

  /** targeted, pending, delivered, applied, rejected, failed, superseded, departed. */
  private static List<Long> counts(RevisionCompliance r) {
    return List.of(r.targeted(), r.pending(), r.delivered(), r.applied(), r.rejected(), r.failed(), r.superseded(),
        r.departed());
  }

  @Test
  void everyTargetedDeviceIsInOneStateFromDeliveryToItsAck() throws Exception {
    start(16, 100);
    fleet();
    int affected = change(8, flags(A_ONLY, true), Set.of("beta"));
    idle();
    assertEquals(4, affected);
    RevisionCompliance r = at(8);
    assertEquals(Instant.parse("2026-12-04T10:00:00Z"), r.planned());
    assertEquals(Set.of("beta"), r.changed());
    assertEquals(List.of(4L, 0L, 4L, 0L, 0L, 0L, 0L, 0L), counts(r), "targeted = devicesAffected, all delivered");

    ack("a1", 8, FlagAck.Status.APPLIED);
    ack("a2", 8, FlagAck.Status.REJECTED, "beta", "mode");
    ack("a3", 8, FlagAck.Status.APPLIED);
    ack("a3", 8, FlagAck.Status.FAILED);
    ack("a1", 8, FlagAck.Status.APPLIED); // once more: nothing changes
    ack("b1", 8, FlagAck.Status.APPLIED); // not targeted: counted as an ack, for no revision
    ack("b2", 7, FlagAck.Status.APPLIED); // its snapshot
    // a4 never acks: delivered, not confirmed
    r = at(8);
    assertEquals(List.of(4L, 0L, 1L, 1L, 1L, 1L, 0L, 0L), counts(r));
    assertEquals(Map.of("beta", 1L), r.rejectedByFlag(), "only the flags the revision changed");
    assertEquals(5, metrics.acks(AckStatus.APPLIED));
    assertEquals(1, metrics.acks(AckStatus.REJECTED));
    assertEquals(1, metrics.acks(AckStatus.FAILED));
    assertEquals(0, metrics.dropped.get());
    assertEquals(r, compliance.latest());
    assertEquals(List.of(r), compliance.forFlag("beta"));
    assertEquals(List.of(), compliance.forFlag("mode"));
  }

  @Test
  void acksForRevisionsNeverSentAndAcksThatAreNoneAreDropped() throws Exception {
    start(16, 100);
    fleet();
    change(8, flags(A_ONLY, true), Set.of("beta"));
    idle();
    ack("a1", 9, FlagAck.Status.APPLIED); // above anything it was sent
    compliance.offer("a1", ByteBuffer.wrap("garbage".getBytes(StandardCharsets.UTF_8)));
    compliance.offer("a1", ByteBuffer.wrap(new byte[FlagAcks.MAX_BYTES + 1]));
    compliance.offer("nobody", ByteBuffer.wrap(new byte[0]));
    assertTrue(compliance.awaitAcks(Duration.ofSeconds(10)));
    assertEquals(4, metrics.dropped.get());
    assertEquals(0, metrics.rateLimited.get());
    assertEquals(List.of(4L, 0L, 4L, 0L, 0L, 0L, 0L, 0L), counts(at(8)), "nothing counted");
    ack("a1", 8, FlagAck.Status.APPLIED);
    assertEquals(1, at(8).applied(), "a device that sent garbage is still heard");
  }

  @Test
  void acksBeyondTheDevicesRateAreDroppedAndOtherDevicesAreHeard() throws Exception {
    start(16, 100);
    fleet();
    byte[] snapshotAck = FlagAck.newBuilder().setRevision(7).setStateHash(0).setStatus(FlagAck.Status.APPLIED).build()
        .toByteArray();
    for (int i = 0; i < 25; i++) {
      compliance.offer("a1", ByteBuffer.wrap(snapshotAck));
    }
    compliance.offer("a2", ByteBuffer.wrap(snapshotAck));
    assertTrue(compliance.awaitAcks(Duration.ofSeconds(10)));
    assertEquals(AckRate.BURST + 1, metrics.acks(AckStatus.APPLIED));
    assertEquals(5, metrics.dropped.get());
    assertEquals(5, metrics.rateLimited.get());
    clock.advance(Duration.ofMillis(500));
    compliance.offer("a1", ByteBuffer.wrap(snapshotAck));
    assertTrue(compliance.awaitAcks(Duration.ofSeconds(10)));
    assertEquals(AckRate.BURST + 2, metrics.acks(AckStatus.APPLIED), "a token back after 500 ms");
  }

  @Test
  void anAckThatBeatsTheBrokersReportCountsOnce() throws Exception {
    start(16, 100);
    fleet();
    broker.hold = true;
    change(8, flags(A_ONLY, true), Set.of("beta"));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (broker.held.size() < 4) {
      assertTrue(System.nanoTime() < deadline, "the four updates handed to the broker");
      Thread.sleep(2);
    }
    assertEquals(List.of(4L, 4L, 0L, 0L, 0L, 0L, 0L, 0L), counts(at(8)), "pending while the broker holds them");
    ack("a1", 8, FlagAck.Status.APPLIED);
    assertEquals(List.of(4L, 3L, 0L, 1L, 0L, 0L, 0L, 0L), counts(at(8)));
    broker.release();
    idle();
    assertEquals(List.of(4L, 0L, 3L, 1L, 0L, 0L, 0L, 0L), counts(at(8)), "a1 is not delivered after it applied");
  }

  @Test
  void aChangeRevertedBeforeItsUpdateWasSentIsSuperseded() throws Exception {
    start(16, 1);
    fleet();
    broker.hold = true;
    change(8, flags(A_ONLY, true), Set.of("beta"));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (broker.held.isEmpty()) {
      assertTrue(System.nanoTime() < deadline);
      Thread.sleep(2);
    }
    // One update is at the broker, the worker waits to publish the next, two are queued.
    change(9, flags(null, true), Set.of("beta"));
    broker.release();
    idle();
    broker.release();
    idle();
    RevisionCompliance eight = at(8);
    RevisionCompliance nine = at(9);
    assertEquals(4, eight.targeted());
    assertEquals(0, eight.pending());
    assertTrue(eight.superseded() >= 1, "devices still queued got nothing for 8: " + eight);
    assertEquals(4, eight.delivered() + eight.superseded());
    assertEquals(nine.targeted(), nine.delivered() + nine.superseded(), nine.toString());
    assertEquals(eight.superseded(), nine.superseded(), "the same devices: 9 reverted 8 for them");
  }

  @Test
  void devicesThatLeaveAfterApplyingAreCountedUntilTheyReturn() throws Exception {
    start(16, 100);
    fleet();
    clock.advance(Duration.ofMinutes(1));
    change(8, flags(A_ONLY, true), Set.of("beta"));
    idle();
    ack("a1", 8, FlagAck.Status.APPLIED);
    ack("a2", 8, FlagAck.Status.APPLIED);
    Instant before = clock.instant();
    clock.advance(Duration.ofSeconds(30));
    assertTrue(delivery.disconnected("a1", records.get("a1")));
    assertTrue(delivery.disconnected("a3", records.get("a3"))); // delivered, not applied
    assertTrue(delivery.disconnected("b1", records.get("b1"))); // not targeted
    RevisionCompliance r = at(8);
    assertEquals(1, r.departed());
    assertEquals(2, r.applied(), "still applied, and departed");
    assertEquals(List.of(new Departure("a1", before.plusSeconds(30))), compliance.departedAfterApplying(8));
    assertEquals(3, compliance.departedSince(before), "the fleet's own departures");
    assertEquals(0, compliance.departedSince(before.plusSeconds(31)));
    assertEquals(3, compliance.connectedDevices());

    DeviceRecord back = connect("a1");
    idle();
    assertEquals(0, at(8).departed(), "returned");
    assertEquals(List.of(), compliance.departedAfterApplying(8));
    assertEquals(2, compliance.departedSince(before));
    // What it applied comes back with it: it can leave after applying again, or fail.
    ack("a1", 8, FlagAck.Status.FAILED);
    assertEquals(List.of(4L, 0L, 2L, 1L, 0L, 1L, 0L, 0L), counts(at(8)));
    assertTrue(delivery.disconnected("a1", back));
    assertEquals(0, at(8).departed(), "a failed device is not among those that applied");

    // a3 returns with what it owes: its ack counts.
    connect("a3");
    idle();
    ack("a3", 8, FlagAck.Status.APPLIED);
    assertEquals(List.of(4L, 0L, 1L, 2L, 0L, 1L, 0L, 0L), counts(at(8)));
  }

  @Test
  void anAckCountedAfterItsDeviceLeftCountsForItsDeparture() throws Exception {
    start(16, 100);
    fleet();
    change(8, flags(A_ONLY, true), Set.of("beta"));
    idle();
    // a1 applies and disconnects at once: its departure is recorded before its ack is counted.
    DeviceRecord a1 = records.get("a1");
    assertTrue(delivery.disconnected("a1", a1));
    byte[] applied = FlagAck.newBuilder().setRevision(8).setStateHash(0).setStatus(FlagAck.Status.APPLIED).build().toByteArray();
    compliance.acknowledge(a1, applied);
    assertEquals(0, metrics.dropped.get(), "dropped");
    assertEquals(List.of(4L, 0L, 3L, 1L, 0L, 0L, 0L, 1L), counts(at(8)));
    assertEquals(List.of("a1"), compliance.departedAfterApplying(8).stream().map(Departure::clientId).toList());
    compliance.acknowledge(a1, applied);
    assertEquals(List.of(4L, 0L, 3L, 1L, 0L, 0L, 0L, 1L), counts(at(8)), "counted once");
    // Then it reports a failure: no longer among those that applied and left.
    compliance.acknowledge(a1, FlagAck.newBuilder().setRevision(8).setStateHash(0).setStatus(FlagAck.Status.FAILED).build().toByteArray());
    assertEquals(List.of(4L, 0L, 3L, 0L, 0L, 1L, 0L, 0L), counts(at(8)));
    assertEquals(List.of(), compliance.departedAfterApplying(8));

    // A device still connected is credited once, as before.
    ack("a2", 8, FlagAck.Status.APPLIED);
    assertEquals(List.of(4L, 0L, 2L, 1L, 0L, 1L, 0L, 0L), counts(at(8)));
    // a1 returns: what it owes is what its acks left.
    connect("a1");
    idle();
    assertEquals(List.of(4L, 0L, 2L, 1L, 0L, 1L, 0L, 0L), counts(at(8)));
  }

  @Test
  void aTakenOverConnectionPassesWhatItOwesToItsSuccessor() throws Exception {
    start(16, 100);
    fleet();
    change(8, flags(A_ONLY, true), Set.of("beta"));
    idle();
    DeviceRecord old = records.get("a1");
    DeviceRecord successor = connect("a1"); // a session takeover: the new start before the old end
    assertFalse(delivery.disconnected("a1", old));
    idle();
    ack("a1", 8, FlagAck.Status.APPLIED);
    assertEquals(1, at(8).applied());
    assertEquals(0, at(8).departed());
    assertEquals(0, compliance.departedSince(Instant.EPOCH), "a takeover is no departure");
    assertTrue(delivery.disconnected("a1", successor));
  }

  @Test
  void theWindowKeepsTheNewestRevisionsAndReusesTheirSlots() throws Exception {
    start(2, 100);
    fleet();
    change(8, flags(A_ONLY, true), Set.of("beta"));
    idle();
    change(9, flags(A_ONLY, false), Set.of("mode"));
    idle();
    change(10, flags(null, false), Set.of("beta"));
    idle();
    assertNull(compliance.revision(8), "the oldest left the window");
    assertEquals(List.of(9L, 10L), compliance.revisions().stream().map(RevisionCompliance::revision).toList());
    assertEquals(6, at(9).targeted(), "every device lost mode");
    assertEquals(List.of(4L, 0L, 4L, 0L, 0L, 0L, 0L, 0L), counts(at(10)), "8's slot, without 8's marks");
    ack("a1", 10, FlagAck.Status.APPLIED);
    assertEquals(1, at(10).applied());
    assertEquals(1, at(9).applied(), "an ack of 10 applies 9 too");
    assertEquals(5, at(9).delivered());
    assertTrue(compliance.devicesTracked() <= 6);
  }

  @Test
  void devicesNothingIsOwedCostNoEntry() throws Exception {
    start(16, 100);
    fleet();
    assertEquals(0, compliance.devicesTracked(), "served, nothing targeted");
    change(8, flags(A_ONLY, true), Set.of("beta"));
    idle();
    assertEquals(4, compliance.devicesTracked(), "the targeted devices, until they answer");
    ack("a1", 8, FlagAck.Status.FAILED);
    ack("a2", 8, FlagAck.Status.REJECTED);
    ack("b1", 7, FlagAck.Status.APPLIED);
    assertEquals(5, compliance.devicesTracked(), "devices that acked lately keep their ack rate");
    clock.advance(Duration.ofMillis(500));
    compliance.refillRates();
    assertEquals(2, compliance.devicesTracked(), "failed and rejected devices owe nothing once their rate is refilled");
  }

  @Test
  void holdingsCountTheValuesDevicesWereSent() throws Exception {
    start(16, 100);
    fleet();
    change(8, flags(A_ONLY, true), Set.of("beta"));
    idle();
    DeviceRecord quiet = new DeviceRecord();
    delivery.connected("c1", quiet, new ConnectionFacts(null, Map.of("model", "a")), null); // not subscribed
    FlagHoldings beta = compliance.holdings("beta").get();
    assertEquals(new FlagHoldings("beta", 8, 6, List.of(new ValueHolding(true, 4), new ValueHolding(false, 2)), 0, 0, 0,
        6, true), beta);
    assertEquals(new FlagHoldings("mode", 8, 6, List.of(new ValueHolding("eco", 6)), 0, 0, 0, 6, true),
        compliance.holdings("mode").get());
    assertEquals(new FlagHoldings("nope", 8, 6, List.of(), 6, 0, 0, 6, true), compliance.holdings("nope").get());

    broker.hold = true;
    change(9, flags(A_ONLY, false), Set.of("mode"));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (broker.held.size() < 6) {
      assertTrue(System.nanoTime() < deadline);
      Thread.sleep(2);
    }
    // What the worker built is what the device was sent, whether or not the broker has it yet.
    FlagHoldings mode = compliance.holdings("mode").get();
    assertEquals(6, mode.noValue());
    assertEquals(6, mode.current());
    broker.release();
  }

  @Test
  void aWalkPastItsTimeSaysItIsIncomplete() throws Exception {
    start(16, 1000);
    for (int i = 0; i < 3000; i++) {
      connect("d" + i);
    }
    idle();
    FlagHoldings complete = compliance.walk("beta", System.nanoTime() + Duration.ofMinutes(1).toNanos());
    assertTrue(complete.complete());
    assertEquals(3000, complete.devices());
    FlagHoldings cut = compliance.walk("beta", System.nanoTime() - 1);
    assertFalse(cut.complete());
    assertTrue(cut.devices() < 3000, cut.toString());
  }
}
