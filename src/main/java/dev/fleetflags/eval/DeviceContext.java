package dev.fleetflags.eval;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What targeting sees of one device: its targeting key (the MQTT client id) and its attributes
 * (strings, numbers, booleans, lists and nested objects). Immutable; attribute values are
 * normalized once here (integral numbers to Long, others to Double, containers unmodifiable) so
 * evaluation never converts them.
 *
 * <p>Held compactly, as a fleet keeps one per connected device: the names sorted in an array that
 * devices with the same names can share, and the values in an array beside it (see {@link
 * AttributeInterner}), rather than a map of entries per device.
 */
public final class DeviceContext {

  private static final String[] NO_NAMES = {};
  private static final Object[] NO_VALUES = {};
  private static final DeviceContext EMPTY = new DeviceContext(null, NO_NAMES, NO_VALUES);
  /** Up to this many attributes a lookup compares names in turn; beyond, it searches the sorted names. */
  private static final int SCANNED = 8;

  private final @Nullable String targetingKey;
  /** Sorted, without duplicates; never modified, so contexts may share it. */
  final String[] names;
  /** The value of each name, at its index; never modified. */
  final @Nullable Object[] values;

  public DeviceContext(@Nullable String targetingKey, Map<String, ?> attributes) {
    this.targetingKey = targetingKey;
    String[] sorted = attributes.keySet().toArray(new String[0]);
    for (String name : sorted) {
      Objects.requireNonNull(name);
    }
    Arrays.sort(sorted);
    Object[] normalized = new Object[sorted.length];
    for (int i = 0; i < sorted.length; i++) {
      normalized[i] = normalize(attributes.get(sorted[i]));
    }
    this.names = sorted.length == 0 ? NO_NAMES : sorted;
    this.values = sorted.length == 0 ? NO_VALUES : normalized;
  }

  /** Takes the arrays as they are: sorted names, normalized values, neither modified afterwards. */
  DeviceContext(@Nullable String targetingKey, String[] names, @Nullable Object[] values) {
    this.targetingKey = targetingKey;
    this.names = names;
    this.values = values;
  }

  /**
   * A context with the same attributes (the same arrays, not a copy) for another targeting key:
   * devices that share attributes can share their memory.
   */
  public DeviceContext withTargetingKey(String key) {
    return new DeviceContext(key, names, values);
  }

  public static DeviceContext of(String targetingKey) {
    return new DeviceContext(targetingKey, NO_NAMES, NO_VALUES);
  }

  public static DeviceContext empty() {
    return EMPTY;
  }

  public @Nullable String targetingKey() {
    return targetingKey;
  }

  /** The attributes, by name in sorted order: an unmodifiable view, made on each call. */
  public Map<String, Object> attributes() {
    return new Attributes();
  }

  /** The attribute {@code name}, or {@link Data#MISSING} where the device has none. */
  @Nullable Object attributeOrMissing(String name) {
    int i = indexOf(name);
    return i >= 0 ? values[i] : Data.MISSING;
  }

  private int indexOf(String name) {
    String[] n = names;
    if (n.length > SCANNED) {
      return Arrays.binarySearch(n, name);
    }
    int hash = name.hashCode();
    for (int i = 0; i < n.length; i++) {
      String candidate = n[i];
      if (candidate == name || (candidate.hashCode() == hash && candidate.equals(name))) {
        return i;
      }
    }
    return -1;
  }

  /** The context as JSON Logic data: attributes, {@code targetingKey} and {@code $flagd}. */
  Map<String, Object> asData(String flagKey, long timestamp) {
    Map<String, Object> data = new LinkedHashMap<>(attributes());
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
        && Arrays.equals(names, other.names)
        && Arrays.equals(values, other.values);
  }

  @Override
  public int hashCode() {
    return (Objects.hashCode(targetingKey) * 31 + Arrays.hashCode(names)) * 31 + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "DeviceContext{targetingKey=" + targetingKey + ", attributes=" + attributes() + '}';
  }

  /** The attributes as a map, read through the two arrays. */
  private final class Attributes extends AbstractMap<String, Object> {

    @Override
    public int size() {
      return names.length;
    }

    @Override
    public boolean containsKey(Object key) {
      return key instanceof String name && indexOf(name) >= 0;
    }

    @Override
    public @Nullable Object get(Object key) {
      int i = key instanceof String name ? indexOf(name) : -1;
      return i >= 0 ? values[i] : null;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
      return new AbstractSet<>() {
        @Override
        public int size() {
          return names.length;
        }

        @Override
        public Iterator<Entry<String, Object>> iterator() {
          return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
              return next < names.length;
            }

            @Override
            public Entry<String, Object> next() {
              if (next >= names.length) {
                throw new NoSuchElementException();
              }
              int i = next++;
              return new SimpleImmutableEntry<>(names[i], values[i]);
            }
          };
        }
      };
    }
  }
}
