package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import com.hivemq.extension.sdk.api.packets.general.UserProperty;
import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FlagDelivery;
import java.nio.ByteBuffer;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Records each connecting client's facts for delivery (username, allowed CONNECT user properties,
 * presented state hash) and forgets them when that connection ends. Runs on broker threads: it only
 * reads the CONNECT packet and updates a map.
 */
final class ConnectionListener implements ClientLifecycleEventListener {

  /** Connection attribute holding our id of the connection, to tell it from a later takeover. */
  static final String CONNECTION_ATTRIBUTE = "fleetflags.connection";

  private static final AtomicLong CONNECTIONS = new AtomicLong();

  private final FlagDelivery delivery;
  private final DeviceContexts contexts;
  private final DeviceInterceptors interceptors;
  private final String stateProperty;

  ConnectionListener(FlagDelivery delivery, DeviceContexts contexts, DeviceInterceptors interceptors, String stateProperty) {
    this.delivery = delivery;
    this.contexts = contexts;
    this.interceptors = interceptors;
    this.stateProperty = stateProperty;
  }

  @Override
  public void onMqttConnectionStart(ConnectionStartInput input) {
    ConnectPacket connect = input.getConnectPacket();
    long connection = CONNECTIONS.incrementAndGet();
    input.getConnectionInformation().getConnectionAttributeStore()
        .put(CONNECTION_ATTRIBUTE, ByteBuffer.allocate(8).putLong(0, connection));
    List<Map.Entry<String, String>> properties = new ArrayList<>();
    String presented = null;
    for (UserProperty p : connect.getUserProperties().asList()) {
      if (p.getName().equals(stateProperty)) {
        presented = p.getValue();
      } else {
        properties.add(new AbstractMap.SimpleImmutableEntry<>(p.getName(), p.getValue()));
      }
    }
    ConnectionFacts facts = new ConnectionFacts(connect.getUserName().orElse(null), contexts.allowed(properties));
    delivery.connected(connect.getClientId(), connection, facts, StateHashText.parse(presented));
  }

  @Override
  public void onAuthenticationSuccessful(AuthenticationSuccessfulInput input) {}

  @Override
  public void onDisconnect(DisconnectEventInput input) {
    Long connection = connectionOf(input.getConnectionInformation());
    if (connection != null) {
      delivery.disconnected(input.getClientInformation().getClientId(), connection);
      interceptors.connectionEnded(connection);
    }
  }

  /** Our id of the connection, or null if it was not recorded. */
  static @Nullable Long connectionOf(ConnectionInformation connection) {
    Optional<ByteBuffer> value = connection.getConnectionAttributeStore().get(CONNECTION_ATTRIBUTE);
    return value.filter(b -> b.remaining() >= 8).map(b -> b.getLong(b.position())).orElse(null);
  }
}
