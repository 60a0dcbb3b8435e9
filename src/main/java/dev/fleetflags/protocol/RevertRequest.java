package dev.fleetflags.protocol;

import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code flags/revert}: the flags, evaluators and document metadata become what they were at
 * revision {@code toRevision}, as one new write (the device registry is left as it is).
 */
public record RevertRequest(long toRevision, @Nullable Long expectedRevision, boolean dryRun) implements Request {

  @Override
  public String topic() {
    return Topics.REVERT;
  }

  @Override
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("toRevision", toRevision);
    Writes.options(json, expectedRevision, dryRun);
    return json;
  }

  public static Read<RevertRequest> read(Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    Long expected = Members.expectedRevision(root, problems);
    boolean dryRun = Members.dryRun(root, problems);
    Members.unknown(root, Set.of("toRevision", "expectedRevision", "dryRun"), problems);
    Object to = root.get("toRevision");
    long revision = -1;
    if (to instanceof Long n && n >= 0) {
      revision = n;
    } else {
      problems.add(new Problem("toRevision", to == null
          ? "missing; give the revision to go back to, e.g. {\"toRevision\": 12} (query/history lists them)"
          : "must be a revision number (a whole number, 0 or more), found " + Json.describe(to)));
    }
    return new Read<>(new RevertRequest(revision, expected, dryRun), problems);
  }
}
