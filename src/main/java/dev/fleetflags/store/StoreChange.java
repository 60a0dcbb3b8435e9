package dev.fleetflags.store;

import java.util.Set;

/**
 * One change the store has made durable and current, whoever made it: a write through this store,
 * or one committed elsewhere and applied here (several brokers), or the store's whole content
 * replaced by a newer copy.
 *
 * @param before the flags as they were
 * @param after the flags now; {@code after.revision()} is the change's revision
 * @param changedDevices devices whose registry attributes changed
 */
public record StoreChange(StoredFlags before, StoredFlags after, Set<String> changedDevices) {

  public StoreChange {
    changedDevices = Set.copyOf(changedDevices);
  }
}
