package dev.fleetflags.delivery;

import java.util.Map;

/** The operator-set attributes of devices (the store's registry, read through its cache). */
@FunctionalInterface
public interface DeviceRegistry {

  /** A device's registry attributes; empty if it has none. */
  Map<String, Object> attributes(String deviceId);
}
