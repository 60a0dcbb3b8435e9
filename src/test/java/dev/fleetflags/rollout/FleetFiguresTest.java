package dev.fleetflags.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fleetflags.delivery.FleetCompliance;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** A broker's compliance figures as the gates see them: silent devices past the grace, and the rest of the fleet. */
class FleetFiguresTest {

  private static final Instant WAVE = Instant.parse("2025-06-01T12:00:00Z");

  /** A tracker's answers as the test sets them. */
  private record Fed(FleetCompliance.RevisionCompliance revision, List<FleetCompliance.Departure> departed, int departedSince,
      int connected) implements FleetCompliance {

    @Override
    public List<RevisionCompliance> revisions() {
      return List.of(revision);
    }

    @Override
    public @Nullable RevisionCompliance revision(long r) {
      return r == revision.revision() ? revision : null;
    }

    @Override
    public @Nullable RevisionCompliance latest() {
      return revision;
    }

    @Override
    public List<RevisionCompliance> forFlag(String key) {
      return List.of(revision);
    }

    @Override
    public List<Departure> departedAfterApplying(long r) {
      return departed;
    }

    @Override
    public int departedSince(Instant since) {
      return departedSince;
    }

    @Override
    public int connectedDevices() {
      return connected;
    }

    @Override
    public CompletableFuture<FlagHoldings> holdings(String key) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException());
    }

    @Override
    public Clock clock() {
      return Clock.fixed(WAVE, ZoneOffset.UTC);
    }
  }

  @Test
  void devicesAwayLongerThanTheGraceAreSilentAndTheRestOfTheFleetLeavesOutTheWavesOwn() {
    var revision = new FleetCompliance.RevisionCompliance(9, WAVE, Set.of("ota"), Set.of(), 100, 5, 80, 2, 3, 0, 4, Map.of());
    List<FleetCompliance.Departure> departed = List.of(
        new FleetCompliance.Departure("a", WAVE.plusSeconds(10)),
        new FleetCompliance.Departure("b", WAVE.plusSeconds(20)),
        new FleetCompliance.Departure("c", WAVE.plusSeconds(50)),
        new FleetCompliance.Departure("d", WAVE.plusSeconds(58)));
    // 1,000 connected; 30 gone since the wave began, 4 of them the wave's own.
    FleetCompliance compliance = new Fed(revision, departed, 30, 1_000);
    WaveFigures f = FleetFigures.local(compliance, new FleetFigures.Watched(9, WAVE.toEpochMilli(), WAVE.plusSeconds(30).toEpochMilli()));
    assertEquals(new WaveFigures(100, 80, 2, 3, 2, 1_030, 26 + 2), f, "a and b left 30 s ago or more; c and d are within the grace");
    assertEquals(1_030 - 80, f.restSeen());
    assertEquals(26, f.restAway(), "the rest's departures: all since the wave began but the wave's own four");
    WaveFigures unknown = FleetFigures.local(compliance, new FleetFigures.Watched(8, WAVE.toEpochMilli(), WAVE.toEpochMilli()));
    assertEquals(0, unknown.targeted(), "a revision no longer tracked targeted nobody here");
  }
}
