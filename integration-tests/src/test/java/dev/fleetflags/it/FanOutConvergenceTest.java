package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static dev.fleetflags.it.Scenarios.document;
import static dev.fleetflags.it.Scenarios.keys;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.it.Device.Protocol;
import dev.fleetflags.it.Operator.Evaluated;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A change made while the previous one is still fanning out: delivery is slowed on purpose (one
 * publish in flight, {@value #RATE} per second), so a fan-out to {@value #DEVICES} devices takes
 * seconds and the second change is planned long before the first is delivered. Correctness is
 * asserted whatever the timing: every device ends with the final value and a matching hash, and
 * what it received before is the first change's value or nothing. Merged deltas (one message with
 * the net result) are counted, and required only when the second change evidently arrived in time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FanOutConvergenceTest {

  static final int DEVICES = 60;
  static final int RATE = 20;

  /** Publishes a worker may hold or the broker may have in flight when a change is planned. */
  private static final int IN_PROGRESS = 2 /* worker-threads */ + 1 /* max-in-flight */;

  private Fleet fleet;
  private Operator operator;
  private ExtensionMetrics metrics;

  @BeforeAll
  void startFleet() {
    ExtensionSetup setup =
        Fleet.setup(
            document(modeFlag("mode-1", "m0"), modeFlag("mode-2", "m0"), Fleet.BARRIER_SEED),
            """
            <worker-threads>2</worker-threads>
            <delivery><max-in-flight>1</max-in-flight><publish-rate>%d</publish-rate></delivery>
            """
                .formatted(RATE));
    List<Device.Spec> specs = new ArrayList<>();
    for (int i = 0; i < DEVICES; i++) {
      specs.add(
          i % 3 == 2
              ? new Device.Spec("c3-%02d".formatted(i), Protocol.MQTT3, Map.of())
              : new Device.Spec(
                  "c5-%02d".formatted(i), Protocol.MQTT5, Map.of("region", "eu")));
    }
    fleet = Fleet.start(setup, "ops-convergence", Map.of(), specs);
    operator = fleet.operator();
    metrics = fleet.metrics();
  }

  @AfterAll
  void stopFleet() {
    Scenarios.close(fleet);
  }

  /** A then B on the same flag: each device gets A then B, or one delta with B alone. */
  @Test
  void aChangeDuringAFanOutConvergesToTheFinalValue() {
    Outcome outcome = changeTwice("mode-1", "m1", "m2");
    int merged = 0;
    for (Device d : fleet.devices()) {
      List<FlagUpdate> got = outcome.window().get(d);
      assertTrue(got.size() == 1 || got.size() == 2, () -> d + " received " + got);
      for (FlagUpdate u : got) {
        assertFalse(u.getSnapshot(), () -> d + " received " + got);
        assertEquals(Set.of("mode-1"), keys(u), () -> d + " received " + got);
      }
      assertEquals("m2", got.get(got.size() - 1).getFlags(0).getString(), got::toString);
      if (got.size() == 2) {
        assertEquals("m1", got.get(0).getFlags(0).getString(), got::toString);
      } else {
        merged++;
      }
    }
    outcome.report("merged into one delta", merged);
  }

  /**
   * A then B reverting it: a device still waiting for A when B came has nothing to receive; one
   * that got A gets the revert.
   */
  @Test
  void aChangeRevertedDuringItsFanOutLeavesWaitingDevicesAlone() {
    Outcome outcome = changeTwice("mode-2", "m1", "m0");
    int untouched = 0;
    for (Device d : fleet.devices()) {
      List<FlagUpdate> got = outcome.window().get(d);
      if (got.isEmpty()) {
        untouched++;
        continue;
      }
      assertEquals(2, got.size(), () -> d + " received " + got);
      assertEquals("m1", got.get(0).getFlags(0).getString(), got::toString);
      assertEquals("m0", got.get(1).getFlags(0).getString(), got::toString);
    }
    outcome.report("left alone (nothing to deliver)", untouched);
  }

  /**
   * Applies {@code flag = first}, then at once {@code flag = second}, and waits until the fleet
   * holds the final value everywhere; every device then holds what the extension evaluates.
   */
  private Outcome changeTwice(String flag, String first, String second) {
    Map<Device, Integer> mark = fleet.mark();
    long deltasBefore = metrics.counter("fleetflags.deltas.sent");
    JsonNode a = accepted(operator.apply(document(modeFlag(flag, first))));
    assertEquals(DEVICES, a.get("devicesAffected").asInt(), a::toString);
    JsonNode b = accepted(operator.apply(document(modeFlag(flag, second))));
    // B alters every device's value, whether A reached it yet or it still waits (then merged).
    assertEquals(DEVICES, b.get("devicesAffected").asInt(), b::toString);
    // Devices that had received nothing of A when B's answer came: B was planned before them.
    int waiting = 0;
    for (Map.Entry<Device, Integer> m : mark.entrySet()) {
      if (m.getKey().receivedCount() == m.getValue()) {
        waiting++;
      }
    }
    JsonNode expected = Operator.JSON.valueToTree(second);
    for (Device d : fleet.devices()) {
      d.awaitHeld(held -> expected.equals(held.jsonValues().get(flag)), flag + " = " + second);
    }
    Map<Device, List<FlagUpdate>> window = fleet.barrier(mark);
    Map<String, Evaluated> evaluated = fleet.evaluate();
    long deltas = 0;
    for (Device d : fleet.devices()) {
      assertEquals(expected, evaluated.get(d.clientId()).values().get(flag));
      d.assertHolds(evaluated.get(d.clientId()));
      deltas += window.get(d).size();
    }
    // The extension counts what the devices counted (and the barrier's delta to each).
    long expectedDeltas = deltasBefore + deltas + DEVICES;
    metrics.awaitCounter("fleetflags.deltas.sent", expectedDeltas);
    assertEquals(expectedDeltas, metrics.counter("fleetflags.deltas.sent"));
    return new Outcome(window, waiting);
  }

  /**
   * What a double change did.
   *
   * @param waiting devices that had received nothing of the first change when the second was
   *     accepted
   */
  private record Outcome(Map<Device, List<FlagUpdate>> window, int waiting) {

    /**
     * Says how many devices had their updates merged. Of the devices still waiting when the second
     * change was planned, all but those a worker or the broker already held merge; require some
     * only when clearly more than those were waiting.
     */
    void report(String what, int merged) {
      System.out.printf(
          "%d of %d devices %s; %d were waiting for the first change when the second was"
              + " accepted%n",
          merged, DEVICES, what, waiting);
      if (waiting > 2 * IN_PROGRESS) {
        assertTrue(merged > 0, "no merge although " + waiting + " devices were waiting");
      }
    }
  }

  private static String modeFlag(String key, String variant) {
    return """
           "%s": {"state": "ENABLED", "variants": {"m0": "m0", "m1": "m1", "m2": "m2"},
             "defaultVariant": "%s"}"""
        .formatted(key, variant);
  }
}
