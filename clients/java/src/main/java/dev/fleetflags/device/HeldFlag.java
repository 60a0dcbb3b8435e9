package dev.fleetflags.device;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One flag as the device holds it: the broker's evaluated value for this device.
 *
 * @param value Boolean, Long, Double or String as {@code type} says; for {@link ValueType#JSON}
 *     the JSON text exactly as received (its UTF-8 bytes are what the state hash covers)
 * @param variant the variant's name, or null when updates do not carry names
 */
public record HeldFlag(String key, ValueType type, Object value, @Nullable String variant) {

  public HeldFlag {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(value, "value");
    Class<?> expected =
        switch (type) {
          case BOOLEAN -> Boolean.class;
          case INTEGER -> Long.class;
          case DOUBLE -> Double.class;
          case STRING, JSON -> String.class;
        };
    if (!expected.isInstance(value)) {
      throw new IllegalArgumentException(
          "a " + type + " flag holds a " + expected.getSimpleName() + ", not " + value.getClass().getSimpleName());
    }
  }
}
