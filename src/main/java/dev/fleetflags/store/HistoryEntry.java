package dev.fleetflags.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One accepted change as the audit history keeps it.
 *
 * @param revision the revision the change produced
 * @param timestampMillis when it was written, from the store's clock
 * @param action the admin action that made it (e.g. "apply", "replace")
 * @param actor who made it
 * @param changes what it changed, flags first, then evaluators, metadata and devices
 * @param devicesAffected the devices connected to this broker whose flags the change altered, once
 *     delivery has planned it; null until then (and for entries written before it was recorded).
 *     Each broker records its own: it is not part of what several brokers share.
 */
public record HistoryEntry(
    long revision, long timestampMillis, String action, Actor actor, List<Change> changes, @Nullable Long devicesAffected) {

  public HistoryEntry {
    changes = List.copyOf(changes);
  }

  public HistoryEntry(long revision, long timestampMillis, String action, Actor actor, List<Change> changes) {
    this(revision, timestampMillis, action, actor, changes, null);
  }

  /** This entry with the count of devices the change affected on this broker. */
  public HistoryEntry withDevicesAffected(long devices) {
    return new HistoryEntry(revision, timestampMillis, action, actor, changes, devices);
  }

  /** The entry as JSON (as {@code Json} writes it), the form it is stored in. */
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("revision", revision);
    json.put("time", timestampMillis);
    json.put("action", action);
    json.put("clientId", actor.clientId());
    json.put("username", actor.username());
    List<Object> list = new ArrayList<>();
    for (Change c : changes) {
      Map<String, Object> change = new LinkedHashMap<>();
      change.put("kind", c.kind());
      change.put("key", c.key());
      change.put("before", c.before());
      change.put("after", c.after());
      list.add(change);
    }
    json.put("changes", list);
    if (devicesAffected != null) {
      json.put("devicesAffected", devicesAffected);
    }
    return json;
  }

  /**
   * Reads an entry written by {@link #toJson}, at {@code revision} (which the JSON may not know).
   *
   * @throws IllegalArgumentException if it is not such an entry
   */
  public static HistoryEntry fromJson(long revision, @Nullable Object json) {
    try {
      Map<?, ?> entry = (Map<?, ?>) json;
      List<Change> changes = new ArrayList<>();
      if (entry.get("changes") instanceof List<?> list) {
        for (Object c : list) {
          Map<?, ?> change = (Map<?, ?>) c;
          changes.add(new Change((String) change.get("kind"), (String) change.get("key"), change.get("before"), change.get("after")));
        }
      }
      return new HistoryEntry(
          revision,
          (Long) entry.get("time"),
          (String) entry.get("action"),
          new Actor((String) entry.get("clientId"), (String) entry.get("username")),
          changes,
          (Long) entry.get("devicesAffected"));
    } catch (ClassCastException | NullPointerException e) {
      throw new IllegalArgumentException("not a history entry: " + e.getMessage(), e);
    }
  }
}
