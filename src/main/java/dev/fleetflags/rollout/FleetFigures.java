package dev.fleetflags.rollout;

import dev.fleetflags.delivery.FleetCompliance;
import java.time.Instant;
import java.util.Collection;

/**
 * Where the gates' figures come from: this broker's compliance tracker and, with several brokers,
 * every other broker's latest figures for the same waves.
 */
public interface FleetFigures {

  /** One wave being watched: its write's revision, when it was written, and the gates' cut-off for silent devices. */
  record Watched(long revision, long sinceMillis, long awayBeforeMillis) {}

  /** The whole fleet's figures for a wave. */
  WaveFigures figures(Watched wave);

  /**
   * Called on every broker at every check with the waves being watched now: with several brokers,
   * each publishes its own figures of them here for the broker that drives the rollouts.
   */
  default void share(Collection<Watched> waves) {}

  /**
   * This broker's figures, from its own compliance tracker. The wave's silent devices are those
   * that applied it and left at or before the cut-off; the rest of the fleet's away devices are
   * those gone since the wave began, less the wave's own that left.
   */
  static WaveFigures local(FleetCompliance compliance, Watched wave) {
    FleetCompliance.RevisionCompliance r = compliance.revision(wave.revision());
    int gone = compliance.departedSince(Instant.ofEpochMilli(wave.sinceMillis()));
    long seen = compliance.connectedDevices() + (long) gone;
    if (r == null) {
      return new WaveFigures(0, 0, 0, 0, 0, seen, gone);
    }
    long silent = 0;
    long waveGone = 0;
    for (FleetCompliance.Departure d : compliance.departedAfterApplying(wave.revision())) {
      silent += d.at().toEpochMilli() <= wave.awayBeforeMillis() ? 1 : 0;
      waveGone += d.at().toEpochMilli() >= wave.sinceMillis() ? 1 : 0;
    }
    return new WaveFigures(r.targeted(), r.applied(), r.rejected(), r.failed(), silent, seen,
        Math.max(0, gone - waveGone) + silent);
  }

  /** A broker on its own: its figures are the fleet's. */
  static FleetFigures of(FleetCompliance compliance) {
    return wave -> local(compliance, wave);
  }
}
