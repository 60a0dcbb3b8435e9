package dev.fleetflags.eval;

import dev.fleetflags.rules.Limits;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Keeps fuzz inputs from running away in evaluation until evaluation is bounded (issue 13, "Bounded
 * evaluation": a step and size budget per evaluation is another change). Today a small document
 * can cost seconds and gigabytes per device (a {@code reduce} that doubles a string, nested {@code
 * map}s over long lists, {@code $ref} expansion), which a fuzzer finds at once and which would
 * stall or kill its run rather than find anything new. So the fuzz tests read documents within
 * {@link #LIMITS} (small documents, few JSON values after {@code $ref} expansion) and skip those
 * that {@link #mayRunAway} says could. Once the budget is in, remove this class and its calls: the
 * fuzzer must then find no input that runs away.
 */
public final class RunawayGuard {

  /** Documents of at most 2 KB and 5,000 JSON values (also after {@code $ref} expansion). */
  public static final Limits LIMITS = new Limits(2048, 64, 5_000, 10_000, 256, 256);

  /** How deep iterating operators may nest, {@code $ref}s followed. */
  static final int MAX_LOOP_NESTING = 2;

  private static final Set<String> LOOPS = Set.of("map", "filter", "reduce", "all", "some", "none");

  /** What lets a {@code reduce} accumulator grow on every element. */
  private static final Set<String> GROWING = Set.of("cat", "merge", "map", "filter", "reduce");

  private RunawayGuard() {}

  /**
   * Whether evaluating the document (a flagd document as parsed JSON) might run away: iterating
   * operators nested deeper than {@value #MAX_LOOP_NESTING}, or a {@code reduce} whose body can grow
   * its accumulator ({@code cat}, {@code merge} or another loop inside it).
   */
  public static boolean mayRunAway(@Nullable Object document) {
    if (!(document instanceof Map<?, ?> root)) {
      return false;
    }
    Map<?, ?> evaluators = root.get("$evaluators") instanceof Map<?, ?> e ? e : Map.of();
    return walk(root, evaluators, 0, false, new HashSet<>());
  }

  private static boolean walk(@Nullable Object json, Map<?, ?> evaluators, int loops, boolean inReduce,
      Set<Object> refs) {
    if (json instanceof List<?> list) {
      for (Object item : list) {
        if (walk(item, evaluators, loops, inReduce, refs)) {
          return true;
        }
      }
      return false;
    }
    if (!(json instanceof Map<?, ?> map)) {
      return false;
    }
    if (map.size() == 1 && map.get("$ref") instanceof String name) {
      // followed where it is used, so nesting through evaluators counts; a cycle is rejected anyway
      if (!refs.add(name)) {
        return false;
      }
      boolean runs = walk(evaluators.get(name), evaluators, loops, inReduce, refs);
      refs.remove(name);
      return runs;
    }
    for (Map.Entry<?, ?> e : map.entrySet()) {
      Object key = e.getKey();
      int nested = loops;
      boolean reduce = inReduce;
      if (LOOPS.contains(key)) {
        if (inReduce && GROWING.contains(key) || ++nested > MAX_LOOP_NESTING) {
          return true;
        }
        reduce = reduce || key.equals("reduce");
      } else if (inReduce && GROWING.contains(key)) {
        return true;
      }
      if (walk(e.getValue(), evaluators, nested, reduce, refs)) {
        return true;
      }
    }
    return false;
  }
}
