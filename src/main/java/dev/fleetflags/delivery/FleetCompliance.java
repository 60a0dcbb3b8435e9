package dev.fleetflags.delivery;

import org.jspecify.annotations.Nullable;

/**
 * What this broker's devices made of the changes they were sent, from their acknowledgements: what
 * rollout gates read. Every count is of this broker's devices only (with several brokers, each
 * counts its own). Times are milliseconds of the clock the implementation was given.
 */
public interface FleetCompliance {

  /** No acknowledgements tracked: every change targeted nobody, and nobody comes or goes. */
  FleetCompliance NONE = new FleetCompliance() {
    @Override
    public @Nullable RevisionCompliance revision(long revision, long awayBeforeMillis) {
      return null;
    }

    @Override
    public Departures departures(long sinceMillis, long awayBeforeMillis) {
      return new Departures(0, 0, 0);
    }
  };

  /**
   * The devices the change at {@code revision} targeted (those whose flags it changed) and what
   * became of them; {@code silent} counts those that applied it, then left at or before {@code
   * awayBeforeMillis} and have not returned. Null if no figures are kept for that revision.
   */
  @Nullable RevisionCompliance revision(long revision, long awayBeforeMillis);

  /**
   * The fleet's comings and goings: devices connected now, devices that left since {@code
   * sinceMillis} and have not returned, and of those the ones that left at or before {@code
   * awayBeforeMillis}.
   */
  Departures departures(long sinceMillis, long awayBeforeMillis);

  /** One change's figures on this broker; pending = targeted - delivered... as the tracker counts them. */
  record RevisionCompliance(long revision, long targeted, long delivered, long applied, long rejected, long failed,
      long pending, long silent) {}

  /** See {@link #departures}. */
  record Departures(long connected, long left, long away) {}
}
