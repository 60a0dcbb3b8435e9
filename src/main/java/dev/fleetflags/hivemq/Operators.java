package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import org.jspecify.annotations.Nullable;

/**
 * Which connections belong to FleetFlags operators: the authenticator marks them in the
 * connection's attribute store, where the authorizers read it for every publish and subscribe,
 * with the username they signed in with, which the audit history records. Only operators'
 * connections carry anything there: a device's would cost it HiveMQ's map of attributes.
 */
final class Operators {

  static final String ROLE_ATTRIBUTE = "fleetflags.role";
  static final String USERNAME_ATTRIBUTE = "fleetflags.username";
  private static final String OPERATOR = "operator";

  private Operators() {}

  /** Marks an operator's connection, with the username of its CONNECT if it gave one. */
  static void mark(ConnectionInformation connection, @Nullable String username) {
    connection.getConnectionAttributeStore().putAsString(ROLE_ATTRIBUTE, OPERATOR);
    if (username != null) {
      connection.getConnectionAttributeStore().putAsString(USERNAME_ATTRIBUTE, username);
    }
  }

  /** The username an operator signed in with; null for anyone else, or an operator without one. */
  static @Nullable String username(ConnectionInformation connection) {
    return isOperator(connection)
        ? connection.getConnectionAttributeStore().getAsString(USERNAME_ATTRIBUTE).orElse(null)
        : null;
  }

  static boolean isOperator(ConnectionInformation connection) {
    return connection.getConnectionAttributeStore().getAsString(ROLE_ATTRIBUTE).map(OPERATOR::equals).orElse(false);
  }
}
