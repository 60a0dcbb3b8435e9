package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Builds the targeting context of a device: targeting key = client id; then, lowest precedence
 * first, the allowed CONNECT user properties, the username (attribute {@code username}), and the
 * registry attributes, which win because operators set them.
 */
public final class DeviceContexts {

  /** The attribute that holds the connection's username. */
  public static final String USERNAME = "username";

  private final DeviceRegistry registry;
  private final Set<String> allowedUserProperties;

  public DeviceContexts(DeviceRegistry registry, Set<String> allowedUserProperties) {
    this.registry = registry;
    this.allowedUserProperties = Set.copyOf(allowedUserProperties);
  }

  /** The user properties of a CONNECT that may become attributes (the first value of each name). */
  public Map<String, String> allowed(Iterable<Map.Entry<String, String>> userProperties) {
    if (allowedUserProperties.isEmpty()) {
      return Map.of();
    }
    Map<String, String> kept = new HashMap<>();
    for (Map.Entry<String, String> p : userProperties) {
      if (allowedUserProperties.contains(p.getKey())) {
        kept.putIfAbsent(p.getKey(), p.getValue());
      }
    }
    return kept;
  }

  /** What a connection says about its device, as attributes without a targeting key. */
  public DeviceContext connection(ConnectionFacts facts) {
    if (facts.username() == null) {
      return new DeviceContext(null, facts.userProperties());
    }
    Map<String, Object> attributes = new HashMap<>(facts.userProperties());
    attributes.put(USERNAME, facts.username());
    return new DeviceContext(null, attributes);
  }

  /**
   * The device's attributes (no targeting key): {@code connection} itself, the same instance, if
   * the registry has nothing for it, else with its registry attributes over those of the connection.
   */
  public DeviceContext attributes(String clientId, DeviceContext connection) {
    return withRegistry(connection, registry.attributes(clientId));
  }

  /** The context with {@code registryAttributes} in place of what the registry holds (what-if queries). */
  public DeviceContext build(String clientId, DeviceContext connection, Map<String, Object> registryAttributes) {
    return withRegistry(connection, registryAttributes).withTargetingKey(clientId);
  }

  private static DeviceContext withRegistry(DeviceContext connection, Map<String, Object> registryAttributes) {
    if (registryAttributes.isEmpty()) {
      return connection;
    }
    Map<String, Object> attributes = new HashMap<>(connection.attributes());
    attributes.putAll(registryAttributes);
    return new DeviceContext(null, attributes);
  }
}
