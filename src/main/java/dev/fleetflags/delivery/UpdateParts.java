package dev.fleetflags.delivery;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * An update too large for a device's payload limit, as several updates that each fit: a snapshot
 * becomes a snapshot of the flags that fit, followed by deltas with the rest; a delta becomes
 * several deltas, removed keys first. All parts carry the update's revision, and each the state hash
 * of the device's set after applying it, so a device verifies every part as it verifies any update
 * and holds the whole set after the last. No protocol change: a device that follows the README
 * already does what the parts need.
 */
final class UpdateParts {

  private UpdateParts() {}

  /**
   * Splits an update. Every value in {@code changed} must fit in an update of its own (see {@link
   * PayloadFit#fits}).
   *
   * @param heldHash the state hash of what the device holds before the first part (a snapshot
   *     replaces it, so its parts start from 0)
   * @param heldEntry the entry hash the device holds for a key, 0 if none (not asked for a snapshot)
   * @return the parts, in order, at least one; none if not even an update without flags fits
   */
  static List<byte[]> of(FlagUpdates updates, long revision, boolean snapshot, List<FlagUpdates.FlagValue> changed,
      List<String> removed, int heldHash, ToIntFunction<String> heldEntry, int limit) {
    List<byte[]> parts = new ArrayList<>();
    int hash = snapshot ? 0 : heldHash;
    int r = 0;
    int c = 0;
    do {
      boolean partSnapshot = snapshot && parts.isEmpty();
      int size = FlagUpdates.headerSize(revision, partSnapshot);
      if (size > limit) {
        return List.of();
      }
      List<String> partRemoved = new ArrayList<>();
      List<FlagUpdates.FlagValue> partFlags = new ArrayList<>();
      for (; r < removed.size(); r++) {
        String key = removed.get(r);
        int bytes = FlagUpdates.removedSize(key);
        if (size + bytes > limit) {
          break;
        }
        size += bytes;
        hash -= heldEntry.applyAsInt(key);
        partRemoved.add(key);
      }
      for (; r == removed.size() && c < changed.size(); c++) {
        FlagUpdates.FlagValue v = changed.get(c);
        int bytes = updates.size(v.flag(), v.variant());
        if (size + bytes > limit) {
          break;
        }
        size += bytes;
        hash += v.flag().entryHash(v.variant()) - (snapshot ? 0 : heldEntry.applyAsInt(v.flag().key()));
        partFlags.add(v);
      }
      if (partRemoved.isEmpty() && partFlags.isEmpty() && (r < removed.size() || c < changed.size())) {
        throw new IllegalStateException("an entry of the update does not fit " + limit + " bytes on its own");
      }
      parts.add(updates.update(revision, partSnapshot, partFlags, partRemoved, hash));
    } while (r < removed.size() || c < changed.size());
    return parts;
  }
}
