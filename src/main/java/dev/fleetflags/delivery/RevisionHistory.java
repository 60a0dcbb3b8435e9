package dev.fleetflags.delivery;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The flag sets of the most recent revisions, so that what a device holds can be recomputed and a
 * delta sent instead of the whole set. Correctness never depends on it: a device whose revision has
 * fallen out, or whose recomputed state does not match the hash it holds, gets a snapshot.
 */
final class RevisionHistory {

  private final int capacity;
  private final Deque<FlagSetRevision> revisions = new ArrayDeque<>();

  RevisionHistory(int capacity, FlagSetRevision initial) {
    this.capacity = Math.max(1, capacity);
    revisions.addFirst(initial);
  }

  synchronized void add(FlagSetRevision revision) {
    if (!revisions.isEmpty() && revisions.peekFirst().revision() == revision.revision()) {
      revisions.removeFirst(); // same revision (e.g. registry change): the newer object wins
    }
    revisions.addFirst(revision);
    while (revisions.size() > capacity) {
      revisions.removeLast();
    }
  }

  synchronized @Nullable FlagSetRevision get(long revision) {
    for (FlagSetRevision r : revisions) {
      if (r.revision() == revision) {
        return r;
      }
    }
    return null;
  }

  /** Newest first. */
  synchronized List<FlagSetRevision> all() {
    return new ArrayList<>(revisions);
  }
}
