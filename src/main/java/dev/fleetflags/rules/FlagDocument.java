package dev.fleetflags.rules;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A flagd flag-definition document: flags by key, shared {@code $evaluators} by name (raw JSON
 * Logic), and document metadata that every flag's metadata is merged over.
 */
public record FlagDocument(
    Map<String, FlagDefinition> flags, Map<String, Object> evaluators, Map<String, Object> metadata) {

  public static final FlagDocument EMPTY = new FlagDocument(Map.of(), Map.of(), Map.of());

  public FlagDocument {
    flags = Collections.unmodifiableMap(new LinkedHashMap<>(flags));
    evaluators = Collections.unmodifiableMap(new LinkedHashMap<>(evaluators));
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /**
   * This document with {@code update} applied as an upsert: its flags and evaluators replace those
   * of the same key, its metadata keys replace those of the same name; everything else stays.
   */
  public FlagDocument merge(FlagDocument update) {
    Map<String, FlagDefinition> f = new LinkedHashMap<>(flags);
    f.putAll(update.flags);
    Map<String, Object> e = new LinkedHashMap<>(evaluators);
    e.putAll(update.evaluators);
    Map<String, Object> m = new LinkedHashMap<>(metadata);
    m.putAll(update.metadata);
    return new FlagDocument(f, e, m);
  }

  /**
   * The names of the {@code $evaluators} the flag's targeting reads, directly or through other
   * evaluators: a change to any of them may change the flag's results.
   */
  public Set<String> evaluatorsReadBy(FlagDefinition flag) {
    Set<String> found = new LinkedHashSet<>();
    Deque<Object> pending = new ArrayDeque<>();
    if (flag.targeting() != null) {
      pending.push(flag.targeting());
    }
    while (!pending.isEmpty()) {
      Object json = pending.pop();
      if (json instanceof Map<?, ?> map) {
        Object ref = map.size() == 1 ? map.get("$ref") : null;
        if (ref instanceof String name) {
          Object body = evaluators.get(name);
          if (found.add(name) && body != null) {
            pending.push(body);
          }
        } else {
          for (Object v : map.values()) {
            push(pending, v);
          }
        }
      } else if (json instanceof List<?> list) {
        for (Object v : list) {
          push(pending, v);
        }
      }
    }
    return found;
  }

  private static void push(Deque<Object> pending, @Nullable Object v) {
    if (v instanceof Map || v instanceof List) {
      pending.push(v);
    }
  }

  /** The document as flagd JSON. */
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    Map<String, Object> f = new LinkedHashMap<>();
    flags.forEach((key, flag) -> f.put(key, flag.toJson()));
    json.put("flags", f);
    if (!evaluators.isEmpty()) {
      json.put("$evaluators", evaluators);
    }
    if (!metadata.isEmpty()) {
      json.put("metadata", metadata);
    }
    return json;
  }
}
