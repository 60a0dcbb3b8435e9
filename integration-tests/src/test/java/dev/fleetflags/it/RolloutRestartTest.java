package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static dev.fleetflags.it.Scenarios.document;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A broker restarted in the middle of a wave's bake, on the packaged zip: the rollout records the
 * bake time it had left when the broker stops, resumes with exactly that after the start, and the
 * next wave comes no sooner than that time after the resume.
 */
class RolloutRestartTest {

  private static final String OFF = "{\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"off\"}";
  private static final long BAKE_MILLIS = 5_000;

  @Test
  void aRestartedBrokerResumesTheWaveWithTheBakeTimeItHadLeft() throws Exception {
    ExtensionSetup setup = Scenarios.open(List.of(), """
        <seed-file>%s</seed-file>
        <rollouts><check-interval-millis>100</check-interval-millis></rollouts>"""
        .formatted(ExtensionSetup.SEED_FILE)).withSeedFlags(document("\"slow\": " + OFF));
    try (EmbeddedBroker broker = EmbeddedBroker.start(setup)) {
      try (Operator operator = Operator.mqtt5(broker, "ops-restart-1")) {
        accepted(operator.send("rollouts/start", "{\"flag\": \"slow\", \"definition\": " + OFF.replace("\"off\"}", "\"on\"}")
            + ", \"waves\": [{\"percent\": 50, \"bakeSeconds\": " + BAKE_MILLIS / 1000 + "}, {\"percent\": 100, \"bakeSeconds\": 1}]}"));
        Thread.sleep(2_000); // part of the bake
      }
      broker.restart();
      try (Operator operator = Operator.mqtt5(broker, "ops-restart-2")) {
        JsonNode rollout = awaitStatus(operator, "completed");
        assertEquals(2, rollout.path("wave").asInt());
        List<JsonNode> states = states(operator);
        JsonNode suspended = find(states, "suspended: the broker stopped with");
        JsonNode resumed = find(states, "resumed by this broker with the bake time it had left");
        JsonNode wave2 = find(states, "wave 2 of 2 (100%) written");
        long baked = suspended.path("after").path("bakedMillis").asLong();
        assertTrue(baked >= 1_500 && baked < BAKE_MILLIS, () -> "about two seconds baked before the stop: " + baked);
        assertEquals(baked, resumed.path("after").path("bakedMillis").asLong(), "resumed with exactly the time it had baked");
        assertEquals(0, wave2.path("after").path("bakedMillis").asLong());
        long resumedAt = resumed.path("after").path("bakeResumedAt").asLong();
        long wave2At = wave2.path("after").path("waveStartedAt").asLong();
        assertTrue(wave2At - resumedAt >= BAKE_MILLIS - baked, () -> "the rest of the bake, " + (BAKE_MILLIS - baked)
            + " ms, passed after the resume; it was " + (wave2At - resumedAt) + " ms");
        assertTrue(broker.log().contains("Rollout slow@1: resumed by this broker with the bake time it had left"), "logged");
      }
    }
  }

  private static JsonNode awaitStatus(Operator operator, String status) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      JsonNode rollout = operator.send("query/rollouts", "{\"flag\": \"slow\"}").path("rollouts").get(0);
      if (rollout.path("status").asText().equals(status)) {
        return rollout;
      }
      assertTrue(System.nanoTime() < deadline, () -> "the rollout is still " + rollout);
      Thread.sleep(100);
    }
  }

  /** The rollout's states as the history recorded them, oldest first: each plan change of each entry. */
  private static List<JsonNode> states(Operator operator) {
    List<JsonNode> states = new ArrayList<>();
    for (JsonNode entry : operator.history(100).path("entries")) {
      for (JsonNode change : entry.path("changes")) {
        if (change.path("kind").asText().equals("plan") && change.path("key").asText().equals("rollout/slow@1")) {
          states.add(0, change);
        }
      }
    }
    return states;
  }

  private static JsonNode find(List<JsonNode> states, String last) {
    return states.stream().filter(s -> s.path("after").path("last").asText().startsWith(last)).findFirst()
        .orElseThrow(() -> new AssertionError("no state '" + last + "' in " + states + " at " + Instant.now()));
  }
}
