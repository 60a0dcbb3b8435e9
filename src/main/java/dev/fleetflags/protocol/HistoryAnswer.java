package dev.fleetflags.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The answer to {@code query/history}: audit entries, newest first.
 *
 * @param revision the revision served
 */
public record HistoryAnswer(long revision, List<Entry> entries) {

  /**
   * One accepted write.
   *
   * @param time when, as RFC 3339 text
   * @param devicesAffected connected devices of the broker that answered whose flags it altered,
   *     or null if not known (not planned yet, or written before this was recorded)
   */
  public record Entry(long revision, String time, String action, String clientId, @Nullable String username,
      @Nullable Long devicesAffected, List<Change> changes) {}

  /** What one write changed: {@code before} is null for a creation, {@code after} for a deletion. */
  public record Change(String kind, String key, @Nullable Object before, @Nullable Object after) {}

  public static HistoryAnswer of(Answer answer) {
    List<Entry> entries = new ArrayList<>();
    if (answer.body().get("entries") instanceof List<?> list) {
      for (Object item : list) {
        if (!(item instanceof Map<?, ?> e)) {
          continue;
        }
        List<Change> changes = new ArrayList<>();
        if (e.get("changes") instanceof List<?> cs) {
          for (Object c : cs) {
            if (c instanceof Map<?, ?> change) {
              changes.add(new Change(String.valueOf(change.get("kind")), String.valueOf(change.get("key")), change.get("before"),
                  change.get("after")));
            }
          }
        }
        entries.add(new Entry(Answer.number(e, "revision", -1), String.valueOf(e.get("time")), String.valueOf(e.get("action")),
            String.valueOf(e.get("clientId")), Answer.string(e, "username"),
            e.get("devicesAffected") instanceof Number n ? n.longValue() : null, changes));
      }
    }
    return new HistoryAnswer(answer.revision(), entries);
  }
}
