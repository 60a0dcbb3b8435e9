package dev.fleetflags.protocol;

import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code query/history}: the newest {@code limit} audit entries, newest first. */
public record HistoryQuery(int limit) implements Request {

  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 1000;

  @Override
  public String topic() {
    return Topics.HISTORY;
  }

  @Override
  public Map<String, Object> toJson() {
    return Map.of("limit", (long) limit);
  }

  public static Read<HistoryQuery> read(Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    Members.unknown(root, Set.of("limit"), problems);
    int limit = Members.whole(root, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT, problems);
    return new Read<>(new HistoryQuery(limit), problems);
  }
}
