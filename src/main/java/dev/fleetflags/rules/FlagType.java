package dev.fleetflags.rules;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The type of a flag, given by its variants: all booleans, all strings, all integral numbers
 * (INTEGER), numbers at least one of which has a fraction or exponent in the JSON (FLOAT), or all
 * JSON objects.
 */
public enum FlagType {
  BOOLEAN,
  STRING,
  INTEGER,
  FLOAT,
  OBJECT;

  /** The type of one variant value as {@link Json} reads it, or null for values no flag may hold. */
  public static @Nullable FlagType of(@Nullable Object value) {
    if (value instanceof Boolean) {
      return BOOLEAN;
    }
    if (value instanceof String) {
      return STRING;
    }
    if (value instanceof Long) {
      return INTEGER;
    }
    if (value instanceof Double) {
      return FLOAT;
    }
    if (value instanceof Map) {
      return OBJECT;
    }
    if (value instanceof List) {
      return null;
    }
    return null;
  }

  /** Whether values of this type and of {@code other} may be variants of one flag. */
  public boolean isCompatibleWith(FlagType other) {
    return this == other || (isNumber() && other.isNumber());
  }

  public boolean isNumber() {
    return this == INTEGER || this == FLOAT;
  }

  public String lowerCaseName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
