package dev.fleetflags.rollout;

/**
 * Whether this broker drives the rollouts and scheduled changes: exactly one broker does, so that
 * each wave, halt and scheduled write is made once. A broker on its own always does; with several,
 * the one holding a lease in the cluster store does (see the replication package).
 */
@FunctionalInterface
public interface Leadership {

  /** A broker on its own. */
  Leadership ALONE = () -> true;

  /** Whether this broker drives them now; cheap, read at every step. */
  boolean drives();
}
