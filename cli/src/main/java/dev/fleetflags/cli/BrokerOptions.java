package dev.fleetflags.cli;

import dev.fleetflags.protocol.Topics;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** How to reach the broker and sign in as an operator: the options of every command that talks to it. */
final class BrokerOptions {

  /** The environment variable the password is read from, before asking for it. */
  static final String PASSWORD_VARIABLE = "FLEETFLAGS_PASSWORD";

  @Option(names = {"-b", "--broker"}, paramLabel = "HOST:PORT|URL", defaultValue = "localhost:1883",
      description = "The broker: host:port, or a URL mqtt://host:port, mqtts://host:port (TLS). Default: ${DEFAULT-VALUE}.")
  String broker = "localhost:1883";

  @Option(names = {"-u", "--user"}, paramLabel = "NAME",
      description = "The operator's user name. The password comes from the environment variable " + PASSWORD_VARIABLE
          + ", or is asked for (without echo). Without --user: no credentials (a TLS client certificate signs in).")
  @Nullable String user;

  @Option(names = "--client-id", paramLabel = "ID", description = "The MQTT client id. Default: fleetflags-cli- and 8 random hex digits.")
  @Nullable String clientId;

  @Option(names = {"-t", "--timeout"}, paramLabel = "SECONDS", defaultValue = "10",
      description = "How long to wait for the connection, for an answer, and between progress events. Default: ${DEFAULT-VALUE}.")
  int timeoutSeconds = 10;

  @Option(names = "--tls", description = "Connect with TLS (implied by mqtts:// and by --cafile, --cert).")
  boolean tls;

  @Option(names = "--cafile", paramLabel = "PEM", description = "CA certificates to trust the broker's certificate with (PEM). Default: the JVM's.")
  @Nullable Path caFile;

  @Option(names = "--cert", paramLabel = "PEM", description = "Client certificate (PEM), for operators identified by certificate.")
  @Nullable Path certFile;

  @Option(names = "--key", paramLabel = "PEM", description = "The client certificate's private key (PEM, PKCS#8: BEGIN PRIVATE KEY).")
  @Nullable Path keyFile;

  @Option(names = "--prefix", paramLabel = "TOPIC", defaultValue = Topics.DEFAULT_PREFIX,
      description = "The admin topic prefix (the extension's admin-topic-prefix). Default: ${DEFAULT-VALUE}.")
  String prefix = Topics.DEFAULT_PREFIX;
}
