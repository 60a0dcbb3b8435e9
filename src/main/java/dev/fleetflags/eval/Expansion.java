package dev.fleetflags.eval;

import dev.fleetflags.rules.Json;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How many nodes targeting has once its {@code $ref}s are inlined, worked out before inlining
 * anything: each evaluator's expanded size is computed once, from those of the evaluators it
 * refers to, so a document whose evaluators refer to each other twice over 30 levels (a billion
 * nodes expanded) costs its size to check, not its expansion. A node is any JSON value; a {@code
 * $ref} counts itself and what it expands to. Counts saturate at {@link Bound#INFINITE}.
 */
final class Expansion {

  private final Map<String, Object> evaluators;
  private final Map<String, Long> sizes = new HashMap<>();
  private final Set<String> open = new HashSet<>();

  Expansion(Map<String, Object> evaluators) {
    this.evaluators = evaluators;
  }

  /** The nodes of {@code json} with every {@code $ref} inlined (a cyclic or unknown one counts 1). */
  long size(@Nullable Object json) {
    if (json instanceof Map<?, ?> map) {
      String ref = ref(map);
      if (ref != null) {
        return Bound.add(1, evaluator(ref));
      }
      long n = 1;
      for (Object v : map.values()) {
        n = Bound.add(n, size(v));
      }
      return n;
    }
    if (json instanceof List<?> list) {
      long n = 1;
      for (Object v : list) {
        n = Bound.add(n, size(v));
      }
      return n;
    }
    return 1;
  }

  /**
   * Where inlining {@code json} (found at {@code path}) first goes past {@code limit} nodes: the
   * {@code $ref} whose expansion crosses it, in the order compilation visits them; null if it
   * stays within.
   */
  @Nullable String crossing(@Nullable Object json, String path, long limit) {
    return size(json) <= limit ? null : crossing(json, path, new long[] {limit});
  }

  private @Nullable String crossing(@Nullable Object json, String path, long[] left) {
    long n = size(json);
    if (n <= left[0]) {
      left[0] -= n;
      return null;
    }
    left[0]--;
    if (json instanceof Map<?, ?> map) {
      if (ref(map) != null || left[0] < 0) {
        return ref(map) != null ? Json.path(path, "$ref") : path;
      }
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String found = crossing(e.getValue(), Json.path(path, String.valueOf(e.getKey())), left);
        if (found != null) {
          return found;
        }
      }
    } else if (json instanceof List<?> list && left[0] >= 0) {
      for (int i = 0; i < list.size(); i++) {
        String found = crossing(list.get(i), Json.path(path, i), left);
        if (found != null) {
          return found;
        }
      }
    }
    return path;
  }

  /** The expanded size of evaluator {@code name}: 0 for an unknown one or one that refers to itself. */
  long evaluator(String name) {
    Long known = sizes.get(name);
    if (known != null) {
      return known;
    }
    if (!evaluators.containsKey(name) || !open.add(name)) {
      return 0;
    }
    long n;
    try {
      n = size(evaluators.get(name));
    } finally {
      open.remove(name);
    }
    sizes.put(name, n);
    return n;
  }

  private static @Nullable String ref(Map<?, ?> map) {
    return map.size() == 1 && map.get("$ref") instanceof String name ? name : null;
  }
}
