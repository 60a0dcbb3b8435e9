package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Shares one attribute map among connected devices whose attributes are equal (most of a fleet
 * shares a few models, firmwares and regions), so a device's context costs a few bytes, not a map.
 * Counted: every {@link #intern} is matched by a {@link #release} when the device's context is
 * dropped, and a combination no device uses any more is forgotten.
 */
final class AttributeInterner {

  private static final class Shared {
    final DeviceContext template;
    int users;

    Shared(DeviceContext template) {
      this.template = template;
    }
  }

  private final ConcurrentHashMap<Map<String, Object>, Shared> shared = new ConcurrentHashMap<>();

  /** A context for {@code clientId} with the attributes of {@code context}, sharing the map. */
  DeviceContext intern(String clientId, DeviceContext context) {
    Shared s = shared.compute(context.attributes(), (attributes, existing) -> {
      Shared entry = existing != null ? existing : new Shared(context.withTargetingKey(""));
      entry.users++;
      return entry;
    });
    return s.template.withTargetingKey(clientId);
  }

  /** The device holding {@code context} no longer uses it. */
  void release(DeviceContext context) {
    shared.computeIfPresent(context.attributes(), (attributes, entry) -> --entry.users == 0 ? null : entry);
  }

  /** Distinct attribute combinations in use. */
  int size() {
    return shared.size();
  }
}
