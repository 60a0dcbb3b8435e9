package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Shares one attribute map among connected devices whose attributes are equal (most of a fleet
 * shares a few models, firmwares and regions), so a device's attributes cost a reference, not a
 * map. The shared instance has no targeting key: evaluation takes {@code
 * shared.withTargetingKey(clientId)}, a short-lived object, so an indexed device keeps no context of
 * its own.
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

  /** The shared context (no targeting key) with the attributes of {@code context}. */
  DeviceContext intern(DeviceContext context) {
    Shared s = shared.compute(context.attributes(), (attributes, existing) -> {
      Shared entry = existing != null ? existing : new Shared(context.withTargetingKey(""));
      entry.users++;
      return entry;
    });
    return s.template;
  }

  /** A device holding {@code context} from {@link #intern} no longer uses it. */
  void release(DeviceContext context) {
    shared.computeIfPresent(context.attributes(), (attributes, entry) -> --entry.users == 0 ? null : entry);
  }

  /** Distinct attribute combinations in use. */
  int size() {
    return shared.size();
  }
}
