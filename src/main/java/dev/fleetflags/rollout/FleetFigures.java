package dev.fleetflags.rollout;

import dev.fleetflags.delivery.FleetCompliance;
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

  /** This broker's figures, from its own compliance tracker. */
  static WaveFigures local(FleetCompliance compliance, Watched wave) {
    FleetCompliance.RevisionCompliance r = compliance.revision(wave.revision(), wave.awayBeforeMillis());
    FleetCompliance.Departures d = compliance.departures(wave.sinceMillis(), wave.awayBeforeMillis());
    return new WaveFigures(r == null ? 0 : r.targeted(), r == null ? 0 : r.applied(), r == null ? 0 : r.rejected(),
        r == null ? 0 : r.failed(), r == null ? 0 : r.silent(), d.connected() + d.left(), d.away());
  }

  /** A broker on its own: its figures are the fleet's. */
  static FleetFigures of(FleetCompliance compliance) {
    return wave -> local(compliance, wave);
  }
}
