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

  public DeviceContext build(String clientId, ConnectionFacts facts) {
    return build(clientId, facts, registry.attributes(clientId));
  }

  /** The context with {@code registryAttributes} in place of what the registry holds (what-if queries). */
  public DeviceContext build(String clientId, ConnectionFacts facts, Map<String, Object> registryAttributes) {
    Map<String, Object> attributes = new HashMap<>(facts.userProperties());
    if (facts.username() != null) {
      attributes.put("username", facts.username());
    }
    attributes.putAll(registryAttributes);
    return new DeviceContext(clientId, attributes);
  }
}
