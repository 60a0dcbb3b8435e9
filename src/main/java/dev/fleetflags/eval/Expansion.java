package dev.fleetflags.eval;

import dev.fleetflags.rules.Json;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How many nodes targeting has once its {@code $ref}s are inlined, worked out before inlining
 * anything: each evaluator's expanded size is computed once, from those of the evaluators it
 * refers to, so a document whose evaluators refer to each other twice over 30 levels (a billion
 * nodes expanded) costs its size to check, not its expansion. A node is any JSON value; a {@code
 * $ref} counts itself and what it expands to (nothing, if it is unknown or part of a cycle, which
 * compilation reports). Counts saturate at {@link Bound#INFINITE}.
 *
 * <p>Evaluators are visited with a stack of their own, not by recursion: a chain of a hundred
 * thousand evaluators, each referring to the next, is only a long document.
 */
final class Expansion {

  private final Map<String, Object> evaluators;
  private final Map<String, Long> sizes = new HashMap<>();

  Expansion(Map<String, Object> evaluators) {
    this.evaluators = evaluators;
  }

  /** The nodes of {@code json} with every {@code $ref} inlined. */
  long size(@Nullable Object json) {
    List<String> refs = new ArrayList<>();
    long own = own(json, refs);
    for (String ref : refs) {
      own = Bound.add(own, evaluator(ref));
    }
    return own;
  }

  /** The expanded size of evaluator {@code name}: 0 for an unknown one. */
  long evaluator(String name) {
    Long known = sizes.get(name);
    if (known != null) {
      return known;
    }
    if (!evaluators.containsKey(name)) {
      return 0;
    }
    // Depth first: an evaluator is opened (its own nodes counted, the ones it refers to pushed
    // above it), then closed once they are. One that is open when an evaluator it refers to closes
    // is below it on the stack, so the reference closes a cycle, and counts nothing.
    Map<String, List<String>> open = new HashMap<>();
    Map<String, Long> own = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    stack.push(name);
    while (!stack.isEmpty()) {
      String current = stack.peek();
      if (sizes.containsKey(current)) {
        stack.pop(); // pushed twice, closed since
        continue;
      }
      List<String> refs = open.get(current);
      if (refs == null) {
        refs = new ArrayList<>();
        own.put(current, own(evaluators.get(current), refs));
        open.put(current, refs);
        for (String ref : refs) {
          if (evaluators.containsKey(ref) && !sizes.containsKey(ref) && !open.containsKey(ref)) {
            stack.push(ref);
          }
        }
        continue;
      }
      stack.pop();
      long n = own.get(current);
      for (String ref : refs) {
        Long size = sizes.get(ref);
        if (size != null) {
          n = Bound.add(n, size);
        }
      }
      sizes.put(current, n);
      open.remove(current);
    }
    return sizes.get(name);
  }

  /** The nodes of {@code json} itself, a {@code $ref} counting 1; the names it refers to go to {@code refs}. */
  private static long own(@Nullable Object json, List<String> refs) {
    if (json instanceof Map<?, ?> map) {
      String ref = ref(map);
      if (ref != null) {
        refs.add(ref);
        return 1;
      }
      long n = 1;
      for (Object v : map.values()) {
        n = Bound.add(n, own(v, refs));
      }
      return n;
    }
    if (json instanceof List<?> list) {
      long n = 1;
      for (Object v : list) {
        n = Bound.add(n, own(v, refs));
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

  private static @Nullable String ref(Map<?, ?> map) {
    return map.size() == 1 && map.get("$ref") instanceof String name ? name : null;
  }
}
