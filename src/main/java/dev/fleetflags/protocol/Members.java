package dev.fleetflags.protocol;

import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Names;
import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** Reading the members requests share, each problem with its location. */
final class Members {

  private Members() {}

  /** The request's JSON object; malformed JSON, limits and anything but an object are thrown. */
  static Map<String, Object> object(byte[] payload, Limits limits) throws InvalidDocumentException {
    if (payload.length == 0) {
      throw new InvalidDocumentException(new Problem("", "the request is empty; send a JSON object"));
    }
    Object json = Json.parse(payload, limits);
    if (!(json instanceof Map<?, ?> map)) {
      throw new InvalidDocumentException(new Problem("", "the request must be a JSON object, found " + Json.kind(json)));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> object = (Map<String, Object>) map;
    return object;
  }

  static @Nullable Long expectedRevision(Map<String, Object> root, List<Problem> problems) {
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

  static boolean dryRun(Map<String, Object> root, List<Problem> problems) {
    Object value = root.get("dryRun");
    if (value == null || value instanceof Boolean) {
      return Boolean.TRUE.equals(value);
    }
    problems.add(new Problem("dryRun", "must be true or false, found " + Json.describe(value)));
    return false;
  }

  static void unknown(Map<String, Object> root, Set<String> known, List<Problem> problems) {
    for (String member : root.keySet()) {
      if (!known.contains(member)) {
        problems.add(new Problem(member, "unknown member; this request takes " + String.join(", ", new TreeSet<>(known))));
      }
    }
  }

  /** An array of distinct names under {@code member}; each must be in {@code existing} when given. */
  static List<String> names(Map<String, Object> root, String member, @Nullable Set<String> existing, String what,
      List<Problem> problems) {
    Object json = root.get(member);
    if (json == null) {
      return List.of();
    }
    if (!(json instanceof List<?> list)) {
      problems.add(new Problem(member, "must be an array of " + what + " names, found " + Json.kind(json)));
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      Object item = list.get(i);
      String path = Json.path(member, i);
      if (!(item instanceof String name)) {
        problems.add(new Problem(path, "must be a " + what + " name, found " + Json.kind(item)));
      } else if (names.contains(name)) {
        problems.add(new Problem(path, Json.quote(name) + " is listed twice"));
      } else if (existing != null && !existing.contains(name)) {
        problems.add(new Problem(path, "no " + what + " " + Json.quote(name) + " exists"));
      } else {
        names.add(name);
      }
    }
    return names;
  }

  static void name(String path, String what, String name, Limits limits, List<Problem> problems) {
    String problem = Names.problem(what, name, limits.maxKeyLength());
    if (problem != null) {
      problems.add(new Problem(path, problem));
    }
  }

  /** A whole number from {@code min} to {@code max} under {@code member}, or {@code otherwise}. */
  static int whole(Map<String, Object> root, String member, int min, int max, int otherwise, List<Problem> problems) {
    Object value = root.get(member);
    if (value instanceof Long n && n >= min && n <= max) {
      return n.intValue();
    }
    if (value != null) {
      problems.add(new Problem(member, "must be a whole number from " + min + " to " + max + ", found " + Json.describe(value)));
    }
    return otherwise;
  }

  /**
   * Whether {@code value} may be a device attribute, else why not, added to {@code problems}: a
   * string of at most limits/max-attribute-length characters, a number, a boolean, or an array of
   * at most that many of those whose strings have that many characters in all. Targeting's worst
   * case is bounded for such values (see CostAnalysis).
   */
  static boolean attributeValue(Object value, String path, Limits limits, List<Problem> problems) {
    int max = limits.maxAttributeLength();
    if (value instanceof Boolean || value instanceof Number) {
      return true;
    }
    if (value instanceof String text) {
      if (text.length() <= max) {
        return true;
      }
      problems.add(new Problem(path, "is " + text.length() + " characters, more than the limit of " + max
          + " (limits/max-attribute-length)"));
      return false;
    }
    if (!(value instanceof List<?> list)) {
      problems.add(new Problem(path, "must be a string, a number, a boolean or an array of those, found " + Json.kind(value)));
      return false;
    }
    if (list.size() > max) {
      problems.add(new Problem(path, "has " + list.size() + " elements, more than the limit of " + max
          + " (limits/max-attribute-length)"));
      return false;
    }
    long characters = 0;
    for (int i = 0; i < list.size(); i++) {
      Object e = list.get(i);
      if (e instanceof String text) {
        characters += text.length();
      } else if (!(e instanceof Boolean || e instanceof Number)) {
        problems.add(new Problem(Json.path(path, i), "an array attribute holds strings, numbers and booleans, found " + Json.kind(e)));
        return false;
      }
    }
    if (characters > max) {
      problems.add(new Problem(path, "has strings of " + characters + " characters in all, more than the limit of " + max
          + " (limits/max-attribute-length)"));
      return false;
    }
    return true;
  }
}
