package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthInput;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthOutput;
import com.hivemq.extension.sdk.api.client.parameter.ClientTlsInformation;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import com.hivemq.extension.sdk.api.packets.auth.DefaultAuthorizationBehaviour;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates FleetFlags operators (configured username with a PBKDF2 password hash, or TLS
 * client certificate common name) and marks their connections; every other client is left to the
 * broker's other security extensions, or let in when configured so. Password checks go through
 * {@link OperatorSignIns}: decided at once where no hash is needed, otherwise answered
 * asynchronously from the verifier thread, exactly once.
 *
 * <p>With {@code allow}, a CONNECT with an operator's username that does not sign in as operator
 * (wrong password, throttled, busy) is admitted as a plain client, exactly as one with a name that
 * is no operator's: the answer does not tell operator names from others. With {@code delegate}
 * FleetFlags answers it itself ("bad user name or password", or "server busy" to retry later).
 */
final class OperatorAuthenticator implements SimpleAuthenticator {

  private static final Logger log = LoggerFactory.getLogger(OperatorAuthenticator.class);

  private final OperatorSignIns signIns;
  private final Set<String> commonNames;
  private final FleetFlagsConfig.DeviceAuthentication others;

  OperatorAuthenticator(OperatorSignIns signIns, Set<String> commonNames, FleetFlagsConfig.DeviceAuthentication others) {
    this.signIns = signIns;
    this.commonNames = Set.copyOf(commonNames);
    this.others = others;
  }

  @Override
  public void onConnect(SimpleAuthInput input, SimpleAuthOutput output) {
    ConnectPacket connect = input.getConnectPacket();
    ConnectionInformation connection = input.getConnectionInformation();
    if (isCertifiedOperator(connection, commonNames)) {
      Operators.mark(connection, connect.getUserName().orElse(null));
      admit(output);
      return;
    }
    String username = connect.getUserName().orElse(null);
    if (username == null || !signIns.isOperator(username)) {
      notOperator(output);
      return;
    }
    byte[] password = connect.getPassword().map(OperatorAuthenticator::bytes).orElse(new byte[0]);
    OperatorSignIns.Attempt attempt = new OperatorSignIns.Attempt(username, connect.getClientId(), source(connection), password);
    SignInOutcome atOnce = signIns.decideAtOnce(attempt);
    if (atOnce != null) {
      answer(output, connection, username, atOnce);
      return;
    }
    Async<SimpleAuthOutput> async = output.async(OperatorSignIns.ASYNC_TIMEOUT, TimeoutFallback.FAILURE,
        ConnackReasonCode.SERVER_BUSY, "operator sign-in could not be checked in time; retry shortly");
    signIns.verify(attempt, outcome -> {
      try {
        // HiveMQ's timeout answers only if our own deadline did not (a starved timer thread).
        if (async.getStatus() != Async.Status.CANCELED) {
          answer(output, connection, username, outcome);
        }
      } catch (UnsupportedOperationException answeredByTimeout) {
        log.debug("Operator sign-in of '{}' answered by HiveMQ's timeout first", username);
      } finally {
        async.resume();
      }
    });
  }

  private void answer(SimpleAuthOutput output, ConnectionInformation connection, String username, SignInOutcome outcome) {
    if (outcome.admits()) {
      Operators.mark(connection, username);
      admit(output);
    } else if (others == FleetFlagsConfig.DeviceAuthentication.ALLOW) {
      admit(output);
    } else if (outcome == SignInOutcome.WRONG_PASSWORD) {
      output.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "wrong user name or password");
    } else {
      output.failAuthentication(ConnackReasonCode.SERVER_BUSY,
          "operator sign-in refused for now after failed attempts or while busy; retry later");
    }
  }

  private void notOperator(SimpleAuthOutput output) {
    if (others == FleetFlagsConfig.DeviceAuthentication.ALLOW) {
      admit(output);
    } else {
      output.nextExtensionOrDefault();
    }
  }

  /**
   * Where a CONNECT comes from, as throttling counts it: the IPv4 address, or an IPv6 address's
   * /64 network (one host may hold a whole /64).
   */
  static String source(ConnectionInformation connection) {
    InetAddress address = connection.getInetAddress().orElse(null);
    if (address == null) {
      return "unknown";
    }
    if (address instanceof Inet6Address && !address.isLoopbackAddress()) {
      byte[] network = Arrays.copyOf(address.getAddress(), 16);
      Arrays.fill(network, 8, 16, (byte) 0);
      try {
        return InetAddress.getByAddress(network).getHostAddress() + "/64";
      } catch (UnknownHostException impossible) {
        throw new IllegalStateException(impossible);
      }
    }
    return address.getHostAddress();
  }

  /** Whether the connection's TLS client certificate names an operator. */
  static boolean isCertifiedOperator(ConnectionInformation connection, Set<String> commonNames) {
    if (commonNames.isEmpty()) {
      return false;
    }
    String commonName = certificateCommonName(connection);
    return commonName != null && commonNames.contains(commonName);
  }

  /**
   * Admits a client FleetFlags vouches for. Its topics stay guarded by {@link TopicAuthorizer};
   * every other topic is allowed, because HiveMQ denies what no authorizer decides when the
   * authenticator left the client's default permissions empty.
   */
  private static void admit(SimpleAuthOutput output) {
    output.getDefaultPermissions().setDefaultBehaviour(DefaultAuthorizationBehaviour.ALLOW);
    output.authenticateSuccessfully();
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] b = new byte[buffer.remaining()];
    buffer.duplicate().get(b);
    return b;
  }

  private static @Nullable String certificateCommonName(ConnectionInformation connection) {
    X509Certificate certificate = connection.getClientTlsInformation()
        .flatMap(ClientTlsInformation::getClientCertificate).orElse(null);
    if (certificate == null) {
      return null;
    }
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      log.warn("Client certificate subject '{}' cannot be read: {}", certificate.getSubjectX500Principal(), e.getMessage());
    }
    return null;
  }
}
