package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;

/**
 * Which connections belong to FleetFlags operators: the authenticator marks them in the
 * connection's attribute store, where the authorizers read it for every publish and subscribe.
 */
final class Operators {

  static final String ROLE_ATTRIBUTE = "fleetflags.role";
  private static final String OPERATOR = "operator";

  private Operators() {}

  static void mark(ConnectionInformation connection) {
    connection.getConnectionAttributeStore().putAsString(ROLE_ATTRIBUTE, OPERATOR);
  }

  static boolean isOperator(ConnectionInformation connection) {
    return connection.getConnectionAttributeStore().getAsString(ROLE_ATTRIBUTE).map(OPERATOR::equals).orElse(false);
  }
}
