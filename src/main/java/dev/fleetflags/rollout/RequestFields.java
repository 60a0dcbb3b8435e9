package dev.fleetflags.rollout;

import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Problem;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Reading the members of a rollout or schedule request, each problem recorded with where it is, in
 * the words {@code FlagAdmin} uses for its own requests.
 */
final class RequestFields {

  private final Map<String, Object> root;
  private final List<Problem> problems;

  RequestFields(Map<String, Object> root, List<Problem> problems) {
    this.root = root;
    this.problems = problems;
  }

  void only(Set<String> known) {
    only(root, "", known);
  }

  /** Records every member of {@code object} (at {@code path}) not in {@code known}. */
  void only(Map<?, ?> object, String path, Set<String> known) {
    for (Object member : object.keySet()) {
      if (!known.contains(member)) {
        problems.add(new Problem(Json.path(path, (String) member), "unknown member; "
            + (path.isEmpty() ? "this request" : "this object") + " takes " + String.join(", ", new TreeSet<>(known))));
      }
    }
  }

  /** A non-empty string member, or null (recorded) when missing or not one. */
  @Nullable String string(String member, String missing) {
    Object value = root.get(member);
    if (value instanceof String s && !s.isEmpty()) {
      return s;
    }
    problems.add(new Problem(member, value == null ? "missing; " + missing : "must be a non-empty string, found " + Json.describe(value)));
    return null;
  }

  @Nullable Long expectedRevision() {
    Object value = root.get("expectedRevision");
    if (value == null) {
      return null;
    }
    if (value instanceof Long n && n >= 0) {
      return n;
    }
    problems.add(new Problem("expectedRevision", "must be a revision number (a whole number, 0 or more), found " + Json.describe(value)));
    return null;
  }

  /** A rejected answer's problems in words: "location: reason; ...". */
  static String problems(dev.fleetflags.admin.AdminResponse rejected) {
    List<String> parts = new java.util.ArrayList<>();
    if (rejected.body().get("problems") instanceof List<?> list) {
      for (Object p : list) {
        Map<?, ?> problem = (Map<?, ?>) p;
        String location = String.valueOf(problem.get("location"));
        parts.add((location.isEmpty() ? "" : location + ": ") + problem.get("reason"));
      }
    }
    return parts.isEmpty() ? rejected.toString() : String.join("; ", parts);
  }

  /**
   * A number member of {@code object} from {@code min} to {@code max}, or {@code fallback} when
   * absent; null (recorded) when it is not such a number.
   */
  static @Nullable Double number(Map<?, ?> object, String path, String member, double min, double max, @Nullable Double fallback,
      List<Problem> problems) {
    Object value = object.get(member);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number n && n.doubleValue() >= min && n.doubleValue() <= max) {
      return n.doubleValue();
    }
    problems.add(new Problem(Json.path(path, member), "must be a number from " + Gates.number(min) + " to " + Gates.number(max)
        + ", found " + Json.describe(value)));
    return null;
  }
}
