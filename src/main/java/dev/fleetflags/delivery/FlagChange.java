package dev.fleetflags.delivery;

import java.util.Set;

/**
 * One accepted admin change as delivery sees it: the set before and after, the flags whose
 * results may differ (changed definitions, and flags reading a changed {@code $evaluators} entry),
 * the flags removed, and the devices whose registry attributes changed.
 */
public record FlagChange(
    FlagSetRevision before,
    FlagSetRevision after,
    Set<String> changedFlags,
    Set<String> removedFlags,
    Set<String> changedDevices) {

  public FlagChange {
    changedFlags = Set.copyOf(changedFlags);
    removedFlags = Set.copyOf(removedFlags);
    changedDevices = Set.copyOf(changedDevices);
  }
}
