package dev.fleetflags.admin;

import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.store.Change;
import dev.fleetflags.store.HistoryEntry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The flags, {@code $evaluators} and document metadata as they were at an earlier revision, rebuilt
 * from the current ones and the audit history: each entry after that revision records every value
 * it replaced ({@code before}), so undoing the entries newest first gives the earlier state. The
 * device registry is not part of it.
 */
final class PastFlags {

  private PastFlags() {}

  /**
   * Why the flags at revision {@code to} cannot be rebuilt from {@code newestFirst} (the entries
   * from the newest down to {@code to}), or null if they can: the history must hold the entry that
   * made {@code to}, or {@code to} must be the current revision (nothing to undo), or 0 with the
   * history complete from revision 1.
   *
   * @param oldestKept the revision of the oldest entry the history keeps, or -1 if none
   */
  static @Nullable String unknown(long to, long current, List<HistoryEntry> newestFirst, long oldestKept) {
    if (to == current) {
      return null;
    }
    long oldest = newestFirst.isEmpty() ? -1 : newestFirst.get(newestFirst.size() - 1).revision();
    if (oldest == to || (to == 0 && oldest == 1)) {
      return null;
    }
    if (oldestKept < 0 || to < oldestKept) {
      return "revision " + to + " is older than the history kept"
          + (oldestKept < 0 ? " (it is empty)" : ": its oldest entry is revision " + oldestKept)
          + ", so what the flags were then is not known (history-limit sets how many entries are kept)";
    }
    return "no write made revision " + to + ": the next revision after it is " + oldest
        + " (with several brokers revisions are not consecutive; query/history lists them)";
  }

  /** The document at revision {@code to}, as flagd JSON, from {@code current} and the entries after it. */
  static Map<String, Object> at(long to, FlagDocument current, List<HistoryEntry> newestFirst) {
    Map<String, Object> flags = new LinkedHashMap<>();
    for (Map.Entry<String, FlagDefinition> e : current.flags().entrySet()) {
      flags.put(e.getKey(), e.getValue().toJson());
    }
    Map<String, Object> evaluators = new LinkedHashMap<>(current.evaluators());
    Object metadata = current.metadata();
    for (HistoryEntry entry : newestFirst) {
      if (entry.revision() <= to) {
        break;
      }
      List<Change> changes = entry.changes();
      for (int i = changes.size() - 1; i >= 0; i--) {
        Change c = changes.get(i);
        switch (c.kind()) {
          case Change.FLAG -> restore(flags, c);
          case Change.EVALUATOR -> restore(evaluators, c);
          case Change.METADATA -> metadata = c.before() == null ? Map.of() : c.before();
          default -> { } // devices: the registry is not reverted
        }
      }
    }
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("flags", flags);
    document.put("$evaluators", evaluators);
    document.put("metadata", metadata);
    return document;
  }

  private static void restore(Map<String, Object> values, Change c) {
    if (c.before() == null) {
      values.remove(c.key());
    } else {
      values.put(c.key(), c.before());
    }
  }
}
