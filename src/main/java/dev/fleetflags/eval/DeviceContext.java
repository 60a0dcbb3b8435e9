package dev.fleetflags.eval;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What targeting sees of one device: its targeting key (the MQTT client id) and its attributes
 * (strings, numbers, booleans, lists and nested objects). Immutable; attribute values are
 * normalized once here (integral numbers to Long, others to Double, containers unmodifiable) so
 * evaluation never converts them.
 */
public final class DeviceContext {

  private static final DeviceContext EMPTY = new DeviceContext(null, Map.of());

  private final @Nullable String targetingKey;
  private final Map<String, Object> attributes;
  /**
   * The map behind {@link #attributes}, for targeting's reads: through the unmodifiable view, whose
   * call site sees every kind of map in the JVM, each read would be a virtual call; on this field's
   * one class it is inlined.
   */
  private final LinkedHashMap<String, Object> lookup;

  public DeviceContext(@Nullable String targetingKey, Map<String, ?> attributes) {
    this.targetingKey = targetingKey;
    LinkedHashMap<String, Object> normalized = new LinkedHashMap<>(Math.max(4, attributes.size() * 2));
    attributes.forEach((name, value) -> normalized.put(Objects.requireNonNull(name), normalize(value)));
    this.lookup = normalized;
    this.attributes = Collections.unmodifiableMap(normalized);
  }

  /** A fleet keeps one of these per connected device: three references, nothing cached. */
  private DeviceContext(DeviceContext shared, @Nullable String targetingKey) {
    this.targetingKey = targetingKey;
    this.attributes = shared.attributes;
    this.lookup = shared.lookup;
  }

  /**
   * A context with the same attributes (the same map instance, not a copy) for another targeting
   * key: devices that share attributes can share their memory.
   */
  public DeviceContext withTargetingKey(String key) {
    return new DeviceContext(this, key);
  }

  public static DeviceContext of(String targetingKey) {
    return new DeviceContext(targetingKey, Map.of());
  }

  public static DeviceContext empty() {
    return EMPTY;
  }

  public @Nullable String targetingKey() {
    return targetingKey;
  }

  public Map<String, Object> attributes() {
    return attributes;
  }

  /** The attribute {@code name}, or {@link Data#MISSING} where the device has none. */
  @Nullable Object attributeOrMissing(String name) {
    Object value = lookup.get(name);
    return value != null || lookup.containsKey(name) ? value : Data.MISSING;
  }

  /** The context as JSON Logic data: attributes, {@code targetingKey} and {@code $flagd}. */
  Map<String, Object> asData(String flagKey, long timestamp) {
    Map<String, Object> data = new LinkedHashMap<>(attributes);
    if (targetingKey != null) {
      data.put("targetingKey", targetingKey);
    }
    data.put("$flagd", flagdProperties(flagKey, timestamp));
    return Collections.unmodifiableMap(data);
  }

  static Map<String, Object> flagdProperties(String flagKey, long timestamp) {
    Map<String, Object> flagd = new LinkedHashMap<>();
    flagd.put("flagKey", flagKey);
    flagd.put("timestamp", timestamp);
    return Collections.unmodifiableMap(flagd);
  }

  private static @Nullable Object normalize(@Nullable Object value) {
    if (value == null || value instanceof String || value instanceof Boolean || value instanceof Long) {
      return value;
    }
    if (value instanceof Double d) {
      return d;
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof BigInteger b && b.bitLength() < 64) {
      return b.longValue();
    }
    if (value instanceof BigDecimal b && b.stripTrailingZeros().scale() <= 0 && b.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0) {
      return b.longValue();
    }
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      for (Object e : list) {
        copy.add(normalize(e));
      }
      return Collections.unmodifiableList(copy);
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), normalize(v)));
      return Collections.unmodifiableMap(copy);
    }
    throw new IllegalArgumentException(
        "attribute values must be strings, numbers, booleans, lists or maps, found " + value.getClass().getName());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeviceContext other
        && Objects.equals(targetingKey, other.targetingKey)
        && attributes.equals(other.attributes);
  }

  @Override
  public int hashCode() {
    return Objects.hashCode(targetingKey) * 31 + attributes.hashCode();
  }

  @Override
  public String toString() {
    return "DeviceContext{targetingKey=" + targetingKey + ", attributes=" + attributes + '}';
  }
}
