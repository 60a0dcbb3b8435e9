package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.rules.Limits;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the targeting context of a device: targeting key = client id; then, lowest precedence
 * first, the allowed CONNECT user properties, the username (attribute {@code username}), and the
 * registry attributes, which win because operators set them.
 *
 * <p>A device states its user properties itself, so they are bounded as registry attributes are:
 * a value longer than limits/max-attribute-length, and allowed properties beyond
 * limits/max-attributes, are not made attributes; each is counted ({@link
 * DeliveryMetrics#attributeIgnored}) and logged at most once a minute per property name.
 */
public final class DeviceContexts {

  private static final Logger log = LoggerFactory.getLogger(DeviceContexts.class);
  private static final long LOG_INTERVAL = TimeUnit.MINUTES.toNanos(1);

  /** The attribute that holds the connection's username. */
  public static final String USERNAME = "username";

  private final DeviceRegistry registry;
  private final Set<String> allowedUserProperties;
  private final int maxLength;
  private final int maxCount;
  private final DeliveryMetrics metrics;
  private final LongSupplier nanoTime;
  /** When each property name was last logged as ignored (names are on the allow-list: few). */
  private final Map<String, Long> logged = new ConcurrentHashMap<>();
  private final AtomicLong warnings = new AtomicLong();

  public DeviceContexts(DeviceRegistry registry, Set<String> allowedUserProperties) {
    this(registry, allowedUserProperties, Limits.DEFAULT, DeliveryMetrics.NONE, System::nanoTime);
  }

  /**
   * @param limits whose attribute limits bound the user properties taken
   * @param metrics counts the user properties ignored
   * @param nanoTime the clock that spaces the log lines about them
   */
  public DeviceContexts(DeviceRegistry registry, Set<String> allowedUserProperties, Limits limits,
      DeliveryMetrics metrics, LongSupplier nanoTime) {
    this.registry = registry;
    this.allowedUserProperties = Set.copyOf(allowedUserProperties);
    this.maxLength = limits.maxAttributeLength();
    this.maxCount = limits.maxAttributes();
    this.metrics = metrics;
    this.nanoTime = nanoTime;
  }

  /**
   * The user properties of {@code clientId}'s CONNECT that become attributes: the first value of
   * each allowed name, if it is within the length limit, up to the limit on their number.
   */
  public Map<String, String> allowed(String clientId, Iterable<Map.Entry<String, String>> userProperties) {
    if (allowedUserProperties.isEmpty()) {
      return Map.of();
    }
    Map<String, String> kept = new HashMap<>();
    Set<String> seen = null;
    for (Map.Entry<String, String> p : userProperties) {
      String name = p.getKey();
      if (!allowedUserProperties.contains(name) || kept.containsKey(name) || (seen != null && seen.contains(name))) {
        continue;
      }
      String value = p.getValue();
      String refused = value.length() > maxLength
          ? "is " + value.length() + " characters, more than limits/max-attribute-length (" + maxLength + ")"
          : kept.size() >= maxCount ? "is one more than limits/max-attributes (" + maxCount + ")" : null;
      if (refused == null) {
        kept.put(name, value);
        continue;
      }
      if (seen == null) {
        seen = new java.util.HashSet<>();
      }
      seen.add(name);
      ignored(clientId, name, refused);
    }
    return kept;
  }

  private void ignored(String clientId, String name, String why) {
    metrics.attributeIgnored();
    long now = nanoTime.getAsLong();
    boolean[] due = {false};
    logged.compute(name, (k, last) -> {
      due[0] = last == null || now - last >= LOG_INTERVAL;
      return due[0] ? now : last;
    });
    if (!due[0]) {
      return;
    }
    warnings.incrementAndGet();
    log.warn("CONNECT user property '{}' of client '{}' {}: not made an attribute (fleetflags.attributes.ignored"
        + " counts every one; this is logged at most once a minute per property)", name, clientId, why);
  }

  /** Log lines written about ignored user properties. */
  long warnings() {
    return warnings.get();
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
