package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static dev.fleetflags.it.Scenarios.document;
import static dev.fleetflags.it.Scenarios.keys;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.it.Device.Protocol;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Changes that take effect at a time, on the packaged zip with real MQTT 5 and 3.1.1 devices: a
 * scheduled write made at its time, not before; a {@code $flagd.timestamp} rule turning at its
 * second for the connected devices whose value it changes (a delta each, the others nothing), with
 * no operator and no new revision; and a staged rollout whose waves, advanced by the operator,
 * move exactly the devices flagd's bucketing puts in each wave.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TimedChangesTest {

  private static final int DEVICES = 60;
  private static final String OFF = "{\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"off\"}";
  private static final String ON = OFF.replace("\"defaultVariant\": \"off\"", "\"defaultVariant\": \"on\"");

  private Fleet fleet;
  private Operator operator;

  @BeforeAll
  void startFleet() {
    ExtensionSetup setup = Fleet.setup(
        document("\"promo\": " + OFF, "\"wave-test\": " + OFF, Fleet.BARRIER_SEED),
        "<rollouts><check-interval-millis>100</check-interval-millis></rollouts>");
    List<Device.Spec> specs = new ArrayList<>();
    for (int i = 0; i < DEVICES; i++) {
      specs.add(i % 4 == 3
          ? new Device.Spec("tc3-%02d".formatted(i), Protocol.MQTT3, Map.of())
          : new Device.Spec("tc5-%02d".formatted(i), Protocol.MQTT5, Map.of("region", i % 2 == 0 ? "eu" : "us")));
    }
    fleet = Fleet.start(setup, "ops-timed", Map.of(), specs);
    operator = fleet.operator();
  }

  @AfterAll
  void stopFleet() {
    Scenarios.close(fleet);
  }

  @Test
  void aScheduledChangeIsMadeAtItsTimeAndAudited() {
    Instant at = Instant.ofEpochMilli(System.currentTimeMillis() + 2_000);
    Map<Device, Integer> mark = fleet.mark();
    JsonNode scheduled = accepted(operator.send("schedule", "{\"at\": \"" + at + "\", \"write\": \"flags/apply\", \"request\": "
        + document("\"promo\": " + ON) + "}"));
    String id = scheduled.path("change").path("id").asText();
    assertEquals("pending", scheduled.path("change").path("status").asText());
    assertEquals(false, operator.evaluated(fleet.devices().get(0).clientId()).values().get("promo").asBoolean(), "not yet");
    for (Device d : fleet.devices()) {
      d.awaitHeld(held -> Boolean.TRUE.equals(held.values().get("promo")), "promo on");
    }
    long arrived = System.currentTimeMillis();
    assertTrue(arrived >= at.toEpochMilli(), "not before its time: " + Instant.ofEpochMilli(arrived) + " < " + at);
    Map<Device, List<FlagUpdate>> window = fleet.barrier(mark);
    window.forEach((d, got) -> {
      assertEquals(1, got.size(), () -> d + " got " + got);
      assertEquals(List.of("promo"), new ArrayList<>(keys(got.get(0))));
    });
    JsonNode made = operator.history(5).path("entries");
    JsonNode entry = null;
    for (JsonNode e : made) {
      if (e.path("clientId").asText().equals("schedule/" + id)) {
        entry = e;
      }
    }
    assertTrue(entry != null, () -> "the write is in the history as the scheduled change's: " + made);
    assertTrue(!Instant.parse(entry.path("time").asText()).isBefore(at), entry::toString);
    JsonNode listed = operator.send("query/schedule", "{}").path("changes");
    assertEquals("applied", listed.get(listed.size() - 1).path("status").asText(), listed::toString);
  }

  @Test
  void aTimestampRuleTurnsForTheDevicesWhoseValueItChangesAtItsSecond() {
    // Far enough ahead that the flag is written and delivered first, also on a busy machine.
    long boundary = System.currentTimeMillis() / 1000 + 8;
    String launch = "\"launch\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"off\","
        + " \"targeting\": {\"if\": [{\"and\": [{\">=\": [{\"var\": \"$flagd.timestamp\"}, " + boundary + "]},"
        + " {\"==\": [{\"var\": \"region\"}, \"eu\"]}]}, \"on\", \"off\"]}}";
    accepted(operator.apply(document(launch)));
    fleet.barrier(fleet.mark());
    long revision = operator.revision();
    assertTrue(System.currentTimeMillis() / 1000 < boundary, "the flag was delivered before its boundary (a slow machine?)");
    Map<Device, Integer> mark = fleet.mark();
    List<Device> eu = fleet.devices().stream().filter(d -> "eu".equals(d.spec().userProperties().get("region"))).toList();
    for (Device d : eu) {
      d.awaitHeld(held -> Boolean.TRUE.equals(held.values().get("launch")), "launch on at " + boundary);
    }
    long turned = System.currentTimeMillis();
    assertTrue(turned >= boundary * 1000, "not before its second");
    assertEquals(revision, operator.revision(), "the time changed, not the flags: no new revision");
    Map<Device, List<FlagUpdate>> window = fleet.barrier(mark);
    int deltas = 0;
    for (Map.Entry<Device, List<FlagUpdate>> e : window.entrySet()) {
      Device d = e.getKey();
      List<FlagUpdate> got = e.getValue();
      if (eu.contains(d)) {
        assertEquals(1, got.size(), () -> d + " got " + got);
        assertFalse(got.get(0).getSnapshot());
        assertEquals(List.of("launch"), new ArrayList<>(keys(got.get(0))));
        deltas++;
      } else {
        assertEquals(List.of(), got, () -> d + ": its value did not change");
      }
      d.assertHolds(operator.evaluated(d.clientId()));
    }
    assertEquals(eu.size(), deltas);
    assertTrue(fleet.broker().log().contains("Time boundary " + Instant.ofEpochSecond(boundary) + " passed for flag [launch]"),
        "the log says so");
  }

  /**
   * Waves with long bakes, advanced by the operator: after each, exactly the devices that entered
   * the wave get one delta, as the test's own bucketing (the rollout's salt + client id, flagd's
   * formula) predicts; the last wave is the new definition itself.
   */
  @Test
  void eachWaveMovesExactlyTheDevicesItsShareOfTheBucketsHolds() {
    Map<Device, Integer> mark = fleet.mark();
    JsonNode started = accepted(operator.send("rollouts/start", "{\"flag\": \"wave-test\", \"definition\": " + ON + ","
        + " \"waves\": [{\"percent\": 20, \"bakeSeconds\": 600}, {\"percent\": 60, \"bakeSeconds\": 600},"
        + " {\"percent\": 100, \"bakeSeconds\": 600}]}"));
    String salt = started.path("rollout").path("id").asText() + "/";
    int[] weights = {2_000, 6_000, 10_000};
    int before = 0;
    for (int wave = 0; wave < weights.length; wave++) {
      if (wave > 0) {
        mark = fleet.mark();
        JsonNode advanced = accepted(operator.send("rollouts/advance", "{\"flag\": \"wave-test\"}"));
        assertEquals(wave + 1, advanced.path("rollout").path("wave").asInt());
      }
      Map<Device, List<FlagUpdate>> window = fleet.barrier(mark);
      int moved = 0;
      for (Device d : fleet.devices()) {
        boolean now = in(salt, d.clientId(), weights[wave]);
        boolean was = wave > 0 && in(salt, d.clientId(), weights[wave - 1]);
        List<FlagUpdate> got = window.get(d);
        if (now && !was) {
          assertEquals(1, got.size(), () -> d + " entered the wave: " + got);
          assertEquals(List.of("wave-test"), new ArrayList<>(keys(got.get(0))));
          moved++;
        } else {
          assertEquals(List.of(), got, () -> d + " did not enter this wave");
        }
        assertEquals(now, d.held().values().get("wave-test"), d::toString);
      }
      before += moved;
    }
    assertEquals(DEVICES, before, "every device moved once");
    accepted(operator.send("rollouts/advance", "{\"flag\": \"wave-test\"}"));
    JsonNode rollout = operator.send("query/rollouts", "{\"flag\": \"wave-test\"}").path("rollouts").get(0);
    assertEquals("completed", rollout.path("status").asText(), rollout::toString);
    assertEquals("on", operator.queryFlags().path("flags").path("wave-test").path("definition").path("defaultVariant").asText());
  }

  /** Whether a device is in a wave of {@code weight} ten-thousandths: flagd's bucketing of salt + id. */
  static boolean in(String salt, String clientId, int weight) {
    LinkedHashMap<String, Integer> split = new LinkedHashMap<>();
    split.put("in", weight);
    split.put("out", 10_000 - weight);
    return weight == 10_000 || Fractional.variant(salt, clientId, split).equals("in");
  }
}
