package dev.fleetflags.rules;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

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
