package dev.fleetflags.rollout;

/**
 * What rollouts and scheduled changes count; the hivemq package backs this with the broker's
 * MetricRegistry. Every count is ignored unless overridden.
 */
public interface RolloutMetrics {

  RolloutMetrics NONE = new RolloutMetrics() {};

  default void started() {}

  /** A wave was written (the first one too). */
  default void waveWritten() {}

  default void completed() {}

  /** A gate failed and the rollout halted (and reverted, if asked). */
  default void halted(String gate) {}

  /** A scheduled change was carried out at its time (or at start, if its time passed meanwhile). */
  default void scheduledApplied() {}
}
