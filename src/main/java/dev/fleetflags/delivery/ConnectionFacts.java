package dev.fleetflags.delivery;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a device's connection says about it: its username and the CONNECT user properties on the
 * configured allow-list (self-reported, so registry attributes override them), and how many bytes
 * of payload an update to it may take ({@link #NO_LIMIT} unless its MQTT 5 CONNECT states a
 * maximum packet size).
 */
public record ConnectionFacts(@Nullable String username, Map<String, String> userProperties, int maxPayloadBytes) {

  /** No maximum packet size stated (MQTT 3.1.1 devices, and most MQTT 5 ones). */
  public static final int NO_LIMIT = Integer.MAX_VALUE;

  public static final ConnectionFacts NONE = new ConnectionFacts(null, Map.of());

  public ConnectionFacts {
    userProperties = Map.copyOf(userProperties);
    maxPayloadBytes = Math.max(0, maxPayloadBytes);
  }

  public ConnectionFacts(@Nullable String username, Map<String, String> userProperties) {
    this(username, userProperties, NO_LIMIT);
  }
}
