package dev.fleetflags.eval;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Shares the parts of device contexts that repeat across a fleet: the sorted attribute names (a
 * fleet's devices state the same few) and the string values (a few models, regions and firmware
 * versions). A context interned here costs its device the context and one array of references;
 * combinations of values are not shared, as in a real fleet most are a device's own.
 *
 * <p>Counted: every {@link #intern} is matched by a {@link #release} when the device's context is
 * dropped, and a part no interned context uses any more is forgotten. A value only one device
 * states would cost it an entry here (~60 bytes) besides the value, so attributes whose values are
 * usually a device's own (its username) are left as they are.
 */
public final class AttributeInterner {

  private static final class Shared {
    final Object part;
    int users;

    Shared(Object part) {
      this.part = part;
    }
  }

  /** By the names' content ({@link Arrays#asList} of the shared array). */
  private final ConcurrentHashMap<List<String>, Shared> names = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Shared> values = new ConcurrentHashMap<>();
  private final Set<String> ownValues;

  /** @param ownValues attributes whose values are not shared: usually each device's own */
  public AttributeInterner(Set<String> ownValues) {
    this.ownValues = Set.copyOf(ownValues);
  }

  /**
   * A context without targeting key with the attributes of {@code context}, its names and string
   * values the instances other interned contexts use.
   */
  public DeviceContext intern(DeviceContext context) {
    String[] n = context.names;
    if (n.length == 0) {
      return DeviceContext.empty();
    }
    String[] sharedNames = (String[]) acquire(names, Arrays.asList(n), () -> canonicalNames(n));
    Object[] v = context.values.clone();
    for (int i = 0; i < v.length; i++) {
      if (v[i] instanceof String s && !ownValues.contains(n[i])) {
        v[i] = acquire(values, s, s);
      }
    }
    return new DeviceContext(null, sharedNames, v);
  }

  /** A context from {@link #intern} is no longer used by its device. */
  public void release(DeviceContext interned) {
    String[] n = interned.names;
    if (n.length == 0) {
      return;
    }
    release(names, Arrays.asList(n));
    Object[] v = interned.values;
    for (int i = 0; i < v.length; i++) {
      if (v[i] instanceof String s && !ownValues.contains(n[i])) {
        release(values, s);
      }
    }
  }

  /** Distinct attribute values held for the interned contexts. */
  public int values() {
    return values.size();
  }

  /**
   * The names as the JVM's interned strings, as targeting's names are (literals, Jackson's member
   * names): a lookup then finds them by identity. Once per distinct set of names.
   */
  private static String[] canonicalNames(String[] names) {
    String[] canonical = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      canonical[i] = names[i].intern();
    }
    return canonical;
  }

  private static <K> Object acquire(ConcurrentHashMap<K, Shared> shared, K key, Object part) {
    return acquire(shared, key, () -> part);
  }

  private static <K> Object acquire(ConcurrentHashMap<K, Shared> shared, K key, Supplier<Object> part) {
    return shared.compute(key, (k, existing) -> {
      Shared entry = existing != null ? existing : new Shared(part.get());
      entry.users++;
      return entry;
    }).part;
  }

  private static <K> void release(ConcurrentHashMap<K, Shared> shared, K key) {
    shared.computeIfPresent(key, (k, entry) -> --entry.users == 0 ? null : entry);
  }
}
