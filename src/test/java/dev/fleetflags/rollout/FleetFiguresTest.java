package dev.fleetflags.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fleetflags.delivery.FedCompliance;
import dev.fleetflags.delivery.FleetCompliance;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A broker's compliance figures as the gates see them: silent devices past the grace, and the rest of the fleet. */
class FleetFiguresTest {

  private static final Instant WAVE = Instant.parse("2025-06-01T12:00:00Z");

  @Test
  void devicesAwayLongerThanTheGraceAreSilentAndTheRestOfTheFleetLeavesOutTheWavesOwn() {
    var revision = new FleetCompliance.RevisionCompliance(9, WAVE, Set.of("ota"), Set.of(), 100, 5, 80, 2, 3, 0, 4, Map.of());
    List<FleetCompliance.Departure> departed = List.of(
        new FleetCompliance.Departure("a", WAVE.plusSeconds(10)),
        new FleetCompliance.Departure("b", WAVE.plusSeconds(20)),
        new FleetCompliance.Departure("c", WAVE.plusSeconds(50)),
        new FleetCompliance.Departure("d", WAVE.plusSeconds(58)));
    // 1,000 connected; 30 gone since the wave began, 4 of them the wave's own.
    FleetCompliance compliance = new FedCompliance(revision, departed, 30, 1_000);
    WaveFigures f = FleetFigures.local(compliance, new FleetFigures.Watched(9, WAVE.toEpochMilli(), WAVE.plusSeconds(30).toEpochMilli()));
    assertEquals(new WaveFigures(100, 80, 2, 3, 2, 1_030, 26 + 2), f, "a and b left 30 s ago or more; c and d are within the grace");
    assertEquals(1_030 - 80, f.restSeen());
    assertEquals(26, f.restAway(), "the rest's departures: all since the wave began but the wave's own four");
    WaveFigures unknown = FleetFigures.local(compliance, new FleetFigures.Watched(8, WAVE.toEpochMilli(), WAVE.toEpochMilli()));
    assertEquals(0, unknown.targeted(), "a revision no longer tracked targeted nobody here");
  }
}
