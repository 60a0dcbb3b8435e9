package dev.fleetflags.protocol;

import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code flags/delete}: remove flags, and evaluators nothing reads.
 *
 * @param flags the keys of the flags to remove
 * @param evaluators the names of the {@code $evaluators} to remove
 */
public record DeleteRequest(List<String> flags, List<String> evaluators, @Nullable Long expectedRevision, boolean dryRun)
    implements Request {

  public DeleteRequest {
    flags = List.copyOf(flags);
    evaluators = List.copyOf(evaluators);
  }

  @Override
  public String topic() {
    return Topics.DELETE;
  }

  @Override
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("flags", flags);
    if (!evaluators.isEmpty()) {
      json.put("$evaluators", evaluators);
    }
    Writes.options(json, expectedRevision, dryRun);
    return json;
  }

  /**
   * Reads a request against the flags and evaluators that exist (a name that does not is a
   * problem at its place in the array).
   */
  public static Read<DeleteRequest> read(Map<String, Object> root, Set<String> flagKeys, Set<String> evaluatorNames) {
    List<Problem> problems = new ArrayList<>();
    Long expected = Members.expectedRevision(root, problems);
    boolean dryRun = Members.dryRun(root, problems);
    Members.unknown(root, Set.of("flags", "$evaluators", "expectedRevision", "dryRun"), problems);
    List<String> flags = Members.names(root, "flags", flagKeys, "flag", problems);
    List<String> evaluators = Members.names(root, "$evaluators", evaluatorNames, "evaluator", problems);
    if (!root.containsKey("flags") && !root.containsKey("$evaluators")) {
      problems.add(new Problem("flags", "missing; give the keys to delete, e.g. {\"flags\": [\"ota-v2\"]}"));
    }
    return new Read<>(new DeleteRequest(flags, evaluators, expected, dryRun), problems);
  }
}
