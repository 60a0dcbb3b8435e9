package dev.fleetflags.rules;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One flag as its document defines it, before compilation.
 *
 * @param key the flag key
 * @param state ENABLED or DISABLED
 * @param variants variant name to value, in document order
 * @param defaultVariant the variant served when targeting gives nothing; null when absent or null
 * @param targeting the JSON Logic rule, or null when absent or {@code {}}; {@code $ref}s unresolved
 * @param metadata the flag's own metadata (the document's is merged in at compilation)
 */
public record FlagDefinition(
    String key,
    FlagState state,
    Map<String, Object> variants,
    @Nullable String defaultVariant,
    @Nullable Object targeting,
    Map<String, Object> metadata) {

  public FlagDefinition {
    variants = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(variants));
    metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /** The flag's type; variants of one definition share a type once validated. */
  public FlagType type() {
    FlagType type = null;
    for (Object value : variants.values()) {
      FlagType t = FlagType.of(value);
      if (t == FlagType.FLOAT) {
        return FlagType.FLOAT;
      }
      if (type == null) {
        type = t;
      }
    }
    return type == null ? FlagType.OBJECT : type;
  }

  /** The definition as flagd JSON (without the key, which is the member name). */
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("state", state.name());
    json.put("variants", variants);
    if (defaultVariant != null) {
      json.put("defaultVariant", defaultVariant);
    }
    if (targeting != null) {
      json.put("targeting", targeting);
    }
    if (!metadata.isEmpty()) {
      json.put("metadata", metadata);
    }
    return json;
  }
}
