package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListenerProvider;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ClientLifecycleEventListenerProviderInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import com.hivemq.extension.sdk.api.packets.general.UserProperty;
import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.DeviceRecord;
import dev.fleetflags.delivery.FlagDelivery;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Records each connecting client's facts for delivery (username, allowed CONNECT user properties,
 * presented state hash) and forgets them when that connection ends. Runs on broker threads: it only
 * reads the CONNECT packet and updates a map.
 *
 * <p>HiveMQ asks this provider for a listener when a connection starts and keeps the one it gets
 * for all of that connection's events, so each connection gets a {@link Connection} of its own,
 * which is also delivery's record of the device ({@link DeviceRecord}): the object tells the
 * connection from another one with the same client id (a session takeover, whose events HiveMQ
 * reports in no particular order across connections: delivery keeps every live connection's record
 * and serves the one left when the others have ended) and costs the connection nothing besides
 * the record. An id in
 * the broker's connection attribute store would cost it ~216 bytes (the store's map, entry and
 * buffers, made for the first attribute of a connection), a listener of its own 16.
 */
final class ConnectionListener implements ClientLifecycleEventListenerProvider {

  private final FlagDelivery delivery;
  private final DeviceContexts contexts;
  private final DeviceInterceptors interceptors;
  private final DeviceTopics topics;
  private final String stateProperty;
  private final OperatorConnections operators;

  ConnectionListener(FlagDelivery delivery, DeviceContexts contexts, DeviceInterceptors interceptors, DeviceTopics topics,
      String stateProperty, OperatorConnections operators) {
    this.delivery = delivery;
    this.contexts = contexts;
    this.interceptors = interceptors;
    this.topics = topics;
    this.stateProperty = stateProperty;
    this.operators = operators;
  }

  @Override
  public ClientLifecycleEventListener getClientLifecycleEventListener(ClientLifecycleEventListenerProviderInput input) {
    return new Connection();
  }

  private void started(ConnectionStartInput input, Connection connection) {
    ConnectPacket connect = input.getConnectPacket();
    List<Map.Entry<String, String>> properties = new ArrayList<>();
    String presented = null;
    for (UserProperty p : connect.getUserProperties().asList()) {
      if (p.getName().equals(stateProperty)) {
        presented = p.getValue();
      } else {
        properties.add(new AbstractMap.SimpleImmutableEntry<>(p.getName(), p.getValue()));
      }
    }
    long maximumPacketSize = connect.getMaximumPacketSize();
    int payloadLimit = maximumPacketSize >= BrokerPublisher.NO_PACKET_LIMIT ? ConnectionFacts.NO_LIMIT
        : BrokerPublisher.payloadLimit(maximumPacketSize, topics.flagTopic(connect.getClientId()));
    ConnectionFacts facts = new ConnectionFacts(connect.getUserName().orElse(null), contexts.allowed(connect.getClientId(), properties), payloadLimit);
    delivery.connected(connect.getClientId(), connection, facts, StateHashText.parse(presented));
  }

  private void ended(DisconnectEventInput input, Connection connection) {
    String clientId = input.getClientInformation().getClientId();
    if (delivery.disconnected(clientId, connection)) {
      interceptors.deviceGone(clientId);
    } else {
      operators.ended(clientId, connection);
    }
  }

  /** One connection's listener and delivery's record of it; its identity is the connection's. */
  private final class Connection extends DeviceRecord implements ClientLifecycleEventListener {

    @Override
    public void onMqttConnectionStart(ConnectionStartInput input) {
      started(input, this);
    }

    @Override
    public void onAuthenticationSuccessful(AuthenticationSuccessfulInput input) {
      // An operator is known only now, after its connection started as any client's: it is not a
      // device, so delivery forgets it (it gets no flag set and is not counted as indexed). Answers
      // to admin requests go to this connection only; any other one takes its client id over.
      String clientId = input.getClientInformation().getClientId();
      if (Operators.isOperator(input.getConnectionInformation())) {
        delivery.disconnected(clientId, this);
        operators.signedIn(clientId, this);
      } else {
        operators.admitted(clientId);
      }
    }

    @Override
    public void onDisconnect(DisconnectEventInput input) {
      ended(input, this);
    }
  }
}
