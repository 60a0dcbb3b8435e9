package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static dev.fleetflags.it.Scenarios.document;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.it.AckingFleet.AckingDevice;
import dev.fleetflags.it.AckingFleet.Received;
import dev.fleetflags.it.AckingFleet.Reply;
import dev.fleetflags.it.AckingFleet.Sent;
import dev.fleetflags.proto.v1.FlagAck;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Staged rollouts judged by what real devices report, on the packaged zip with 500 MQTT 5 devices
 * that ack every update (README, "Safe rollouts"), at the default check interval: a rollout advances
 * through its waves as devices apply them; one whose wave 2 is FAILED by 5% of its devices halts in
 * wave 2 and reverts, and the devices get the revert as deltas; one whose devices leave after
 * applying halts on the disconnect gate. Each time, {@code query/compliance} counts exactly what the
 * clients did. The devices that leave go last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RolloutGatesTest {

  private static final int DEVICES = 500;
  /** The default, unless measuring another (BENCHMARKS.md: {@code -Dit.rollouts.check-millis=100}). */
  private static final long CHECK_MILLIS = Long.getLong("it.rollouts.check-millis", 1_000);
  private static final String OFF = "{\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"off\"}";
  private static final String ON = OFF.replace("\"defaultVariant\": \"off\"", "\"defaultVariant\": \"on\"");

  private EmbeddedBroker broker;
  private Operator operator;
  private AckingFleet fleet;
  private ExtensionMetrics metrics;

  @BeforeAll
  void start() {
    broker = EmbeddedBroker.start(Fleet.setup(document("\"ota-a\": " + OFF, "\"ota-b\": " + OFF, "\"ota-c\": " + OFF),
        "<rollouts><check-interval-millis>" + CHECK_MILLIS + "</check-interval-millis></rollouts>"));
    operator = Operator.mqtt5(broker, "ops-gates");
    metrics = new ExtensionMetrics(broker);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < DEVICES; i++) {
      ids.add("gate-%03d".formatted(i));
    }
    fleet = AckingFleet.start(broker, ids);
  }

  @AfterAll
  void stop() {
    Scenarios.close(fleet, operator, broker);
  }

  @Test
  @Order(1)
  void aRolloutAdvancesThroughItsWavesAsDevicesApplyThem() {
    String salt = "ota-a@" + operator.revision() + "/";
    JsonNode started = accepted(start("ota-a", "[{\"percent\": 10, \"bakeSeconds\": 1}, {\"percent\": 50, \"bakeSeconds\": 1},"
        + " {\"percent\": 100, \"bakeSeconds\": 0}]", "{\"minAppliedPercent\": 95, \"ackTimeoutSeconds\": 1,"
        + " \"maxFailedPercent\": 2, \"maxDisconnectedPercent\": 5, \"disconnectGraceSeconds\": 5}", "revert"));
    assertEquals(salt, started.path("rollout").path("id").asText() + "/");

    JsonNode rollout = awaitStatus("ota-a", "completed");
    assertEquals(3, rollout.path("wave").asInt(), rollout::toString);
    assertTrue(rollout.path("halt").isMissingNode(), rollout::toString);
    for (AckingDevice d : fleet.devices()) {
      AckingFleet.await(() -> Boolean.TRUE.equals(d.value("ota-a")), () -> d + " holds ota-a on");
    }

    // Each device got the new value once, in the wave flagd's bucketing puts it in.
    Map<Long, Set<String>> byRevision = movedBy("ota-a", true);
    List<Long> waves = new ArrayList<>(byRevision.keySet());
    assertEquals(3, waves.size(), () -> "a write per wave: " + byRevision.keySet());
    int[] weights = {1_000, 5_000, 10_000};
    for (int w = 0; w < 3; w++) {
      Set<String> expected = new LinkedHashSet<>();
      for (AckingDevice d : fleet.devices()) {
        if (TimedChangesTest.in(salt, d.clientId, weights[w]) && (w == 0 || !TimedChangesTest.in(salt, d.clientId, weights[w - 1]))) {
          expected.add(d.clientId);
        }
      }
      assertEquals(expected, byRevision.get(waves.get(w)), "wave " + (w + 1));
    }
    for (long revision : waves) {
      assertCompliance(revision, byRevision.get(revision), Set.of(), 0);
    }
  }

  @Test
  @Order(2)
  void aWaveFailedBy5PercentOfItsDevicesHaltsThereAndRevertsAndDevicesGetTheRevertAsDeltas() {
    String salt = "ota-b@" + operator.revision() + "/";
    List<String> wave2 = new ArrayList<>();
    for (AckingDevice d : fleet.devices()) {
      if (TimedChangesTest.in(salt, d.clientId, 4_000) && !TimedChangesTest.in(salt, d.clientId, 1_000)) {
        wave2.add(d.clientId);
      }
    }
    Set<String> failing = Set.copyOf(wave2.subList(0, (int) Math.ceil(wave2.size() * 0.05)));
    fleet.policy(a -> failing.contains(a.clientId()) && Boolean.TRUE.equals(a.value("ota-b")) ? Reply.FAIL : Reply.APPLY);
    accepted(start("ota-b", "[{\"percent\": 10, \"bakeSeconds\": 1}, {\"percent\": 40, \"bakeSeconds\": 60},"
        + " {\"percent\": 100, \"bakeSeconds\": 0}]", "{\"maxFailedPercent\": 2}", "revert"));

    JsonNode rollout = awaitStatus("ota-b", "reverted");
    JsonNode halt = rollout.path("halt");
    assertEquals(Gates.FAILED, halt.path("gate").asText(), rollout::toString);
    assertEquals(2, halt.path("wave").asInt(), rollout::toString);
    JsonNode figures = halt.path("figures");
    assertEquals(wave2.size(), figures.path("targeted").asInt(), figures::toString);
    long failedSeen = figures.path("failed").asLong();
    assertTrue(100.0 * failedSeen / wave2.size() > 2 && failedSeen <= failing.size(), figures::toString);

    // Every device that took the new value gets the revert as a delta; the others get nothing of it.
    for (AckingDevice d : fleet.devices()) {
      AckingFleet.await(() -> Boolean.FALSE.equals(d.value("ota-b")), () -> d + " holds ota-b off again");
    }
    Map<Long, Set<String>> on = movedBy("ota-b", true);
    Map<Long, Set<String>> off = movedBy("ota-b", false);
    assertEquals(2, on.size(), () -> "waves 1 and 2 only: " + on.keySet());
    long revision2 = new ArrayList<>(on.keySet()).get(1);
    assertEquals(revision2, halt.path("revision").asLong());
    assertEquals(Set.copyOf(wave2), on.get(revision2));
    assertEquals(1, off.size(), () -> "one revert: " + off);
    Set<String> reached = new LinkedHashSet<>();
    on.values().forEach(reached::addAll);
    assertEquals(reached, off.values().iterator().next(), "exactly the devices that had the new value get the revert");
    for (AckingDevice d : fleet.devices()) {
      List<Received> carried = carrying(d, "ota-b");
      assertEquals(reached.contains(d.clientId) ? 2 : 0, carried.size(), () -> d + ": " + carried);
      carried.forEach(r -> assertTrue(!r.update().getSnapshot(), () -> d + ": " + r));
    }
    assertEquals("off", operator.queryFlags().path("flags").path("ota-b").path("definition").path("defaultVariant").asText());

    assertCompliance(new ArrayList<>(on.keySet()).get(0), on.get(new ArrayList<>(on.keySet()).get(0)), Set.of(), 0);
    assertCompliance(revision2, Set.copyOf(wave2), failing, 0);
    assertTrue(broker.log().contains("of flag 'ota-b' halted in wave 2 of 3"), "logged");
    assertTrue(metrics.counter("fleetflags.rollouts.halted.max-failed") >= 1);

    // BENCHMARKS.md: from the failed ack that took the wave over the gate to the revert written and received.
    List<Sent> failedAcks = new ArrayList<>();
    for (String id : failing) {
      fleet.device(id).sent().stream().filter(s -> s.revision() == revision2 && s.status() == FlagAck.Status.FAILED)
          .forEach(failedAcks::add);
    }
    failedAcks.sort(java.util.Comparator.comparingLong(Sent::atNanos));
    int over = (int) Math.floor(wave2.size() * 0.02) + 1; // the first count over 2% of the wave
    Sent breach = failedAcks.get(over - 1);
    long revertRevision = off.keySet().iterator().next();
    long firstRevert = Long.MAX_VALUE;
    for (AckingDevice d : fleet.devices()) {
      for (Received r : carrying(d, "ota-b")) {
        if (r.update().getRevision() == revertRevision) {
          firstRevert = Math.min(firstRevert, r.atNanos());
        }
      }
    }
    long written = 0;
    for (JsonNode entry : operator.history(20).path("entries")) {
      if (entry.path("revision").asLong() == revertRevision) {
        written = Instant.parse(entry.path("time").asText()).toEpochMilli();
      }
    }
    System.out.printf("Breach to halt: check interval %d ms; the FAILED ack taking the wave over the gate (%d of %d"
        + " targeted) sent, the revert written (revision %d) %d ms later, the first device had it %d ms later%n",
        CHECK_MILLIS, over, wave2.size(), revertRevision, written - breach.atMillis(),
        Duration.ofNanos(firstRevert - breach.atNanos()).toMillis());
    fleet.policy(a -> Reply.APPLY);
  }

  @Test
  @Order(3)
  void aWaveWhoseDevicesLeaveAfterApplyingHaltsOnTheDisconnectGate() {
    String salt = "ota-c@" + operator.revision() + "/";
    List<String> wave1 = new ArrayList<>();
    for (AckingDevice d : fleet.devices()) {
      if (TimedChangesTest.in(salt, d.clientId, 2_000)) {
        wave1.add(d.clientId);
      }
    }
    Set<String> leaving = Set.copyOf(wave1.subList(0, (int) Math.ceil(wave1.size() * 0.3)));
    fleet.policy(a -> leaving.contains(a.clientId()) && Boolean.TRUE.equals(a.value("ota-c")) ? Reply.APPLY_AND_LEAVE : Reply.APPLY);
    Instant startedAt = Instant.now();
    accepted(start("ota-c", "[{\"percent\": 20, \"bakeSeconds\": 60}, {\"percent\": 100, \"bakeSeconds\": 0}]",
        "{\"maxDisconnectedPercent\": 10, \"disconnectGraceSeconds\": 1}", "halt"));

    JsonNode rollout = awaitStatus("ota-c", "halted");
    JsonNode halt = rollout.path("halt");
    assertEquals(Gates.DISCONNECTED, halt.path("gate").asText(), rollout::toString);
    assertEquals(1, halt.path("wave").asInt(), rollout::toString);
    JsonNode figures = halt.path("figures");
    assertEquals(wave1.size(), figures.path("targeted").asInt(), figures::toString);
    long silent = figures.path("silent").asLong();
    assertTrue(100.0 * silent / wave1.size() > 10 && silent <= leaving.size(), figures::toString);
    assertTrue(Duration.between(startedAt, Instant.now()).toSeconds() < 60, "halted well before the bake's end");

    // Halted, not reverted: the flag stays at wave 1, which the remaining devices hold.
    Map<Long, Set<String>> on = movedBy("ota-c", true);
    assertEquals(1, on.size(), on::toString);
    long revision1 = on.keySet().iterator().next();
    assertEquals(Set.copyOf(wave1), on.get(revision1));
    assertEquals(Map.of(), movedBy("ota-c", false), "nothing reverted");
    for (AckingDevice d : fleet.devices()) {
      assertEquals(d.left() ? null : wave1.contains(d.clientId), d.left() ? null : d.value("ota-c"), d::toString);
      assertEquals(leaving.contains(d.clientId), d.left(), d::toString);
    }
    assertTrue(operator.queryFlags().path("flags").path("ota-c").path("definition").path("targeting").toString()
        .contains("fractional"), "the wave's split stands");
    assertCompliance(revision1, Set.copyOf(wave1), Set.of(), leaving.size());
    assertTrue(broker.log().contains("of flag 'ota-c' halted in wave 1 of 2"), "logged");
  }

  private JsonNode start(String flag, String waves, String gates, String onFailure) {
    return operator.send("rollouts/start", "{\"flag\": \"" + flag + "\", \"definition\": " + ON + ", \"waves\": " + waves
        + ", \"gates\": " + gates + ", \"onFailure\": \"" + onFailure + "\"}");
  }

  private JsonNode awaitStatus(String flag, String status) {
    JsonNode[] rollout = new JsonNode[1];
    AckingFleet.await(() -> {
      rollout[0] = operator.send("query/rollouts", "{\"flag\": \"" + flag + "\"}").path("rollouts").get(0);
      return rollout[0].path("status").asText().equals(status);
    }, () -> "rollout of " + flag + " " + status + ": " + rollout[0]);
    return rollout[0];
  }

  /** The updates a device received that carry the flag, in order. */
  private static List<Received> carrying(AckingDevice d, String flag) {
    return d.received().stream().filter(r -> r.update().getFlagsList().stream().anyMatch(f -> f.getKey().equals(flag))
        && !r.update().getSnapshot()).toList();
  }

  /** Per revision, oldest first, the devices that received a delta of the flag giving them {@code value}. */
  private Map<Long, Set<String>> movedBy(String flag, boolean value) {
    Map<Long, Set<String>> moved = new TreeMap<>();
    for (AckingDevice d : fleet.devices()) {
      for (Received r : carrying(d, flag)) {
        if (Boolean.valueOf(value).equals(new AckingFleet.Arrival(d.clientId, r.update()).value(flag))) {
          moved.computeIfAbsent(r.update().getRevision(), k -> new LinkedHashSet<>()).add(d.clientId);
        }
      }
    }
    return moved;
  }

  /**
   * {@code query/compliance} of a wave's revision counts what the clients did: the devices it moved
   * targeted, those that failed it failed, the others applied; {@code departed} left after applying.
   */
  private void assertCompliance(long revision, Set<String> moved, Set<String> failed, int departed) {
    for (String id : moved) {
      FlagAck.Status did = failed.contains(id) ? FlagAck.Status.FAILED : FlagAck.Status.APPLIED;
      assertTrue(fleet.device(id).acked(revision, did), () -> id + " acked " + did + " for " + revision);
    }
    List<Long> expected = List.of((long) moved.size(), 0L, 0L, (long) (moved.size() - failed.size()), 0L,
        (long) failed.size(), 0L, (long) departed);
    List<Long>[] counts = new List[1];
    // Acks are counted on a thread of their own: the last ones may still be on their way.
    AckingFleet.await(() -> expected.equals(counts[0] = counts(revision)), () -> "revision " + revision + ": " + counts[0]
        + ", expected " + expected + " (targeted, pending, delivered, applied, rejected, failed, superseded, departed)");
  }

  /** targeted, pending, delivered, applied, rejected, failed, superseded, departedAfterApplying. */
  private List<Long> counts(long revision) {
    JsonNode answer = operator.send("query/compliance", "{\"revision\": " + revision + "}");
    JsonNode figures = answer.path("revisions").get(0);
    assertNotNull(figures, answer::toString);
    List<Long> counts = new ArrayList<>();
    for (String name : List.of("targeted", "pending", "delivered", "applied", "rejected", "failed", "superseded",
        "departedAfterApplying")) {
      counts.add(figures.path(name).asLong());
    }
    return counts;
  }

  /** The gates' names, as the halt names them. */
  private static final class Gates {
    static final String FAILED = "maxFailedPercent";
    static final String DISCONNECTED = "maxDisconnectedPercent";
  }
}
