package dev.fleetflags.store;

import java.util.List;

/**
 * One accepted change as the audit history keeps it.
 *
 * @param revision the revision the change produced
 * @param timestampMillis when it was written, from the store's clock
 * @param action the admin action that made it (e.g. "apply", "replace")
 * @param actor who made it
 * @param changes what it changed, flags first, then evaluators, metadata and devices
 */
public record HistoryEntry(
    long revision, long timestampMillis, String action, Actor actor, List<Change> changes) {

  public HistoryEntry {
    changes = List.copyOf(changes);
  }
}
