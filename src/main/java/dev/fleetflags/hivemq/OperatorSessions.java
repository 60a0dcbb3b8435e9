package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.interceptor.connect.ConnectInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.connect.parameter.ConnectInboundInput;
import com.hivemq.extension.sdk.api.interceptor.connect.parameter.ConnectInboundOutput;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import com.hivemq.extension.sdk.api.packets.publish.ModifiableConnectPacket;
import java.util.Set;

/**
 * No session outlives an operator's connection, and no later connection inherits one: a CONNECT
 * that presents an operator's username or certificate, or the client id of an operator connection
 * that is live or ended lately ({@link OperatorConnections}), gets a clean start and a session
 * that ends with the connection (MQTT 3.1.1: clean session). Otherwise an answer queued for an
 * operator that left, or sent and not yet acknowledged, would go to whoever resumes the session
 * with the same client id, credentials or not.
 *
 * <p>Runs for every CONNECT, before authentication (so also for a wrong password, which does no
 * harm: that connection is refused or admitted as a plain client with a fresh session).
 */
final class OperatorSessions implements ConnectInboundInterceptor {

  private final Set<String> usernames;
  private final Set<String> commonNames;
  private final OperatorConnections connections;

  OperatorSessions(Set<String> usernames, Set<String> commonNames, OperatorConnections connections) {
    this.usernames = Set.copyOf(usernames);
    this.commonNames = Set.copyOf(commonNames);
    this.connections = connections;
  }

  @Override
  public void onConnect(ConnectInboundInput input, ConnectInboundOutput output) {
    ConnectPacket connect = input.getConnectPacket();
    if (connect.getCleanStart() && connect.getSessionExpiryInterval() == 0) {
      return; // already a session that ends with the connection
    }
    boolean operator = connect.getUserName().map(usernames::contains).orElse(false)
        || connections.isOperatorClientId(connect.getClientId())
        || OperatorAuthenticator.isCertifiedOperator(input.getConnectionInformation(), commonNames);
    if (operator) {
      ModifiableConnectPacket modifiable = output.getConnectPacket();
      modifiable.setCleanStart(true);
      modifiable.setSessionExpiryInterval(0);
    }
  }
}
