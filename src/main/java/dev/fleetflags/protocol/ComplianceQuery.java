package dev.fleetflags.protocol;

import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code query/compliance}: where the devices of the broker asked stand with the newest revisions
 * (neither member: every tracked revision), with one revision, or with one flag (the tracked
 * revisions that changed it, and which values the connected devices hold of it).
 *
 * @param revision one tracked revision; null for all (or with {@code flag})
 * @param flag one flag key; null for revisions
 */
public record ComplianceQuery(@Nullable Long revision, @Nullable String flag) implements Request {

  @Override
  public String topic() {
    return Topics.COMPLIANCE;
  }

  @Override
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    if (revision != null) {
      json.put("revision", revision);
    }
    if (flag != null) {
      json.put("flag", flag);
    }
    return json;
  }

  public static Read<ComplianceQuery> read(Map<String, Object> root, Limits limits) {
    List<Problem> problems = new ArrayList<>();
    Members.unknown(root, Set.of("revision", "flag"), problems);
    Long revision = null;
    Object r = root.get("revision");
    if (r instanceof Long n && n >= 1) {
      revision = n;
    } else if (r != null) {
      problems.add(new Problem("revision", "must be a revision number (a whole number, 1 or more), found " + Json.describe(r)));
    }
    String flag = null;
    Object f = root.get("flag");
    if (f instanceof String key) {
      Members.name("flag", "flag key", key, limits, problems);
      flag = key;
    } else if (f != null) {
      problems.add(new Problem("flag", "must be a flag key, found " + Json.kind(f)));
    }
    if (r != null && f != null) {
      problems.add(new Problem("", "give either \"revision\" or \"flag\", not both"));
    }
    return new Read<>(new ComplianceQuery(revision, flag), problems);
  }
}
