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
import dev.fleetflags.admin.PasswordHash;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates FleetFlags operators (configured username with a PBKDF2 password hash, or TLS
 * client certificate common name) and marks their connections; every other client is left to the
 * broker's other security extensions, or let in when configured so. Hashing a password is slow on
 * purpose, so it runs on a thread of our own while the CONNECT waits asynchronously.
 */
final class OperatorAuthenticator implements SimpleAuthenticator {

  private static final Logger log = LoggerFactory.getLogger(OperatorAuthenticator.class);
  private static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(10);

  private final Map<String, PasswordHash> passwords = new HashMap<>();
  private final Set<String> commonNames = new HashSet<>();
  private final FleetFlagsConfig.DeviceAuthentication others;
  private final ExecutorService verifier;

  OperatorAuthenticator(List<Operator> operators, FleetFlagsConfig.DeviceAuthentication others, ExecutorService verifier) {
    for (Operator operator : operators) {
      if (operator instanceof Operator.WithPassword p) {
        passwords.put(p.username(), p.passwordHash());
      } else if (operator instanceof Operator.WithCertificate c) {
        commonNames.add(c.commonName());
      }
    }
    this.others = others;
    this.verifier = verifier;
  }

  @Override
  public void onConnect(SimpleAuthInput input, SimpleAuthOutput output) {
    ConnectPacket connect = input.getConnectPacket();
    ConnectionInformation connection = input.getConnectionInformation();
    String commonName = certificateCommonName(connection);
    if (commonName != null && commonNames.contains(commonName)) {
      Operators.mark(connection, connect.getUserName().orElse(null));
      admit(output);
      return;
    }
    PasswordHash hash = connect.getUserName().map(passwords::get).orElse(null);
    if (hash == null) {
      if (others == FleetFlagsConfig.DeviceAuthentication.ALLOW) {
        admit(output);
      } else {
        output.nextExtensionOrDefault();
      }
      return;
    }
    byte[] password = connect.getPassword().map(OperatorAuthenticator::bytes).orElse(new byte[0]);
    String clientId = connect.getClientId();
    String username = connect.getUserName().orElseThrow();
    Async<SimpleAuthOutput> async = output.async(VERIFY_TIMEOUT, TimeoutFallback.FAILURE,
        ConnackReasonCode.NOT_AUTHORIZED, "operator credentials could not be checked in time");
    try {
      verifier.execute(() -> {
        try {
          if (hash.matches(password)) {
            Operators.mark(connection, username);
            admit(output);
            log.info("Operator '{}' signed in as client '{}'", username, clientId);
          } else {
            output.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "wrong password for operator " + username);
            log.warn("Client '{}' gave a wrong password for operator '{}'", clientId, username);
          }
        } finally {
          async.resume();
        }
      });
    } catch (RejectedExecutionException e) {
      output.failAuthentication(ConnackReasonCode.SERVER_BUSY, "too many operator sign-ins at once; retry shortly");
      async.resume();
    }
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
