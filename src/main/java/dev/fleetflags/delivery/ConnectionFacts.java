package dev.fleetflags.delivery;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a device's connection says about it: its username and the CONNECT user properties on the
 * configured allow-list (self-reported, so registry attributes override them).
 */
public record ConnectionFacts(@Nullable String username, Map<String, String> userProperties) {

  public static final ConnectionFacts NONE = new ConnectionFacts(null, Map.of());

  public ConnectionFacts {
    userProperties = Map.copyOf(userProperties);
  }
}
