package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import dev.fleetflags.it.CliProcess.Run;
import dev.fleetflags.openfeature.FleetFlagsProvider;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.ProviderEvaluation;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Map;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operators over TLS, as the CLI connects: the broker has a TLS listener (a server certificate from
 * a CA of the test's own, client certificates optional and checked against that CA) beside its TCP
 * one, and FleetFlags two operators, one signing in by password and one by its client
 * certificate's common name. The CLI's {@code --tls}, {@code --cafile}, {@code --cert} and {@code
 * --key} reach both; a client certificate that names no operator connects as a plain client and
 * is told so (exit 5); a broker certificate the CLI cannot trust is "unreachable" with the reason
 * (exit 3); a certificate without its key is a usage error (exit 2). The OpenFeature provider gets
 * its flags over the same listener.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorTlsTest {

  private static final String CERTIFIED_OPERATOR = "ops-by-certificate";

  @TempDir static Path files;
  private TestAuthority ca;
  private EmbeddedBroker broker;
  private int tlsPort;

  @BeforeAll
  void start() {
    assertTrue(Files.isRegularFile(CliProcess.JAR), CliProcess.JAR + " is built by the root's mvn package");
    ca = TestAuthority.create(files);
    ca.issue("server", "localhost", true);
    ca.issue("operator", CERTIFIED_OPERATOR, false);
    ca.issue("stranger", "some-device", false);
    tlsPort = EmbeddedBroker.freePort();
    String listener = """
        <tls-tcp-listener>
            <port>%d</port>
            <bind-address>127.0.0.1</bind-address>
            <tls>
                <keystore>
                    <path>%s</path>
                    <password>%s</password>
                    <private-key-password>%s</private-key-password>
                </keystore>
                <truststore>
                    <path>%s</path>
                    <password>%s</password>
                </truststore>
                <client-authentication-mode>OPTIONAL</client-authentication-mode>
            </tls>
        </tls-tcp-listener>"""
        .formatted(tlsPort, ca.file("server.jks"), TestAuthority.PASSWORD, TestAuthority.PASSWORD, ca.trustStore(),
            TestAuthority.PASSWORD);
    ExtensionSetup setup = ExtensionSetup.asPackaged().withConfig("""
        <fleetflags>
            <device-authentication>allow</device-authentication>
            <operators>
                <operator><username>%s</username><password-hash>%s</password-hash></operator>
                <operator><certificate-common-name>%s</certificate-common-name></operator>
            </operators>
        </fleetflags>
        """.formatted(Operator.USERNAME, Operator.PASSWORD_HASH, CERTIFIED_OPERATOR));
    broker = EmbeddedBroker.start(setup, EmbeddedBroker.Options.forTest().withListeners(listener));
  }

  @AfterAll
  void stop() {
    Scenarios.close(broker);
  }

  private String tls() {
    return "mqtts://127.0.0.1:" + tlsPort;
  }

  private Run cli(Map<String, String> environment, String... args) {
    return CliProcess.run(files, environment, "", args);
  }

  @Test
  void anOperatorSignsInByItsClientCertificateAndWrites() {
    Path flags = write("tls-flags.json", Scenarios.document(
        "\"tls-flag\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"on\"}"));
    Run apply = cli(Map.of(), "apply", flags.toString(), "--broker", tls(), "--cafile", ca.certificatePem().toString(),
        "--cert", ca.file("operator.pem").toString(), "--key", ca.file("operator-key.pem").toString());
    assertEquals(0, apply.exit(), apply.toString());
    Run history = cli(Map.of(), "history", "--broker", tls(), "--cafile", ca.certificatePem().toString(), "--cert",
        ca.file("operator.pem").toString(), "--key", ca.file("operator-key.pem").toString(), "--json");
    assertEquals(0, history.exit(), history.toString());
    assertTrue(history.out().contains("tls-flag"), history.toString());
  }

  /** A device maker's gateway: the OpenFeature provider over TLS, as its builder's transport says. */
  @Test
  void theOpenFeatureProviderGetsItsFlagsOverTls() throws Exception {
    Path flags = write("tls-device-flags.json", Scenarios.document(
        "\"tls-device-flag\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"on\"}"));
    Run apply = cli(Map.of("FLEETFLAGS_PASSWORD", Operator.PASSWORD), "apply", flags.toString(), "--broker", tls(),
        "--cafile", ca.certificatePem().toString(), "--user", Operator.USERNAME);
    assertEquals(0, apply.exit(), apply.toString());
    KeyStore trusted = KeyStore.getInstance("JKS");
    try (InputStream in = Files.newInputStream(ca.trustStore())) {
      trusted.load(in, TestAuthority.PASSWORD.toCharArray());
    }
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    FleetFlagsProvider provider = FleetFlagsProvider.builder().clientId("tls-gateway-1").server("127.0.0.1", tlsPort)
        .transport(client -> client.sslConfig(MqttClientSslConfig.builder().trustManagerFactory(trust).build()))
        .initTimeout(MqttDevice.WAIT)
        .build();
    try {
      provider.initialize(new ImmutableContext());
      ProviderEvaluation<Boolean> value = provider.getBooleanEvaluation("tls-device-flag", false, new ImmutableContext());
      assertEquals(true, value.getValue(), value.toString());
    } finally {
      provider.shutdown();
    }
  }

  @Test
  void anOperatorSignsInByPasswordOverTls() {
    Run run = cli(Map.of("FLEETFLAGS_PASSWORD", Operator.PASSWORD), "history", "--broker", "127.0.0.1:" + tlsPort, "--tls",
        "--cafile", ca.certificatePem().toString(), "--user", Operator.USERNAME);
    assertEquals(0, run.exit(), run.toString());
  }

  @Test
  void aCertificateThatNamesNoOperatorConnectsAsAPlainClient() {
    Run run = cli(Map.of(), "history", "--broker", tls(), "--cafile", ca.certificatePem().toString(), "--cert",
        ca.file("stranger.pem").toString(), "--key", ca.file("stranger-key.pem").toString());
    assertEquals(5, run.exit(), run.toString());
  }

  @Test
  void aBrokerCertificateTheCliCannotTrustIsUnreachableWithTheReason() {
    // The JVM's own trust store does not know the test's CA.
    Run run = cli(Map.of("FLEETFLAGS_PASSWORD", Operator.PASSWORD), "history", "--broker", tls(), "--user",
        Operator.USERNAME);
    assertEquals(3, run.exit(), run.toString());
    assertTrue(run.err().contains("TLS"), run.toString());
  }

  @Test
  void aCertificateWithoutItsKeyIsAUsageError() {
    Run run = cli(Map.of(), "history", "--broker", tls(), "--cafile", ca.certificatePem().toString(), "--cert",
        ca.file("operator.pem").toString());
    assertEquals(2, run.exit(), run.toString());
    assertTrue(run.err().contains("--cert and --key go together"), run.toString());
  }

  private Path write(String name, String content) {
    try {
      return Files.writeString(files.resolve(name), content);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
