package dev.fleetflags.cli;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttClientSslConfigBuilder;
import com.hivemq.client.mqtt.MqttClientTransportConfig;
import com.hivemq.client.mqtt.MqttClientTransportConfigBuilder;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.exceptions.ConnectionFailedException;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.fleetflags.protocol.Answer;
import dev.fleetflags.protocol.ProgressEvent;
import dev.fleetflags.protocol.Request;
import dev.fleetflags.protocol.Topics;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.io.Console;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One operator connection over MQTT 5: requests published with a response topic and correlation
 * data, answers matched by it, and the fan-out progress events. Every failure becomes an {@link
 * Exit.Failure} with its exit code and words a person understands.
 */
final class AdminClient implements AutoCloseable {

  private final BrokerOptions options;
  private final Mqtt5AsyncClient client;
  private final String where;
  private final String clientId;
  private final String responseTopic;
  private final Map<String, CompletableFuture<Answer>> waiting = new java.util.concurrent.ConcurrentHashMap<>();
  private final BlockingQueue<ProgressEvent> progress = new LinkedBlockingQueue<>();
  private boolean progressSubscribed;

  private AdminClient(BrokerOptions options, Mqtt5AsyncClient client, String where, String clientId) {
    this.options = options;
    this.client = client;
    this.where = where;
    this.clientId = clientId;
    this.responseTopic = Topics.responses(options.prefix, clientId);
  }

  /** Connects and signs in; subscribes to the answers. */
  static AdminClient connect(BrokerOptions options) {
    Endpoint endpoint = Endpoint.parse(options.broker);
    boolean tls = endpoint.tls || options.tls || options.caFile != null || options.certFile != null;
    String clientId = options.clientId != null ? options.clientId
        : "fleetflags-cli-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    String where = (tls ? "mqtts://" : "mqtt://") + endpoint.host + ":" + endpoint.port;
    // TLS goes into the transport config with the address: the client builder's own sslConfig,
    // set after a transport config, was dropped, and the CLI spoke plain MQTT (its password in
    // clear) to a TLS port.
    MqttClientTransportConfigBuilder transport = MqttClientTransportConfig.builder()
        .serverHost(endpoint.host)
        .serverPort(endpoint.port)
        .socketConnectTimeout(options.timeoutSeconds, TimeUnit.SECONDS)
        .mqttConnectTimeout(options.timeoutSeconds, TimeUnit.SECONDS);
    if (tls) {
      transport = transport.sslConfig(sslConfig(options));
    }
    Mqtt5AsyncClient client = MqttClient.builder()
        .useMqttVersion5()
        .identifier(clientId)
        .transportConfig(transport.build())
        .buildAsync();
    AdminClient admin = new AdminClient(options, client, where, clientId);
    admin.signIn();
    return admin;
  }

  private void signIn() {
    var connect = client.connectWith().cleanStart(true).sessionExpiryInterval(0);
    char[] password = null;
    if (options.user != null) {
      password = password(options.user);
      byte[] utf8 = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(password)).array();
      connect = connect.simpleAuth().username(options.user).password(ByteBuffer.wrap(utf8, 0, utf8.length)).applySimpleAuth();
      Arrays.fill(password, '\0');
    }
    try {
      await(connect.send(), "the broker's answer to the connection (CONNACK)");
    } catch (Exit.Failure failure) {
      throw failure;
    } catch (RuntimeException e) {
      throw connectFailure(e);
    }
    subscribe(responseTopic, this::answerArrived);
  }

  private Exit.Failure connectFailure(Throwable e) {
    Throwable cause = e;
    while (cause instanceof ExecutionException || cause instanceof java.util.concurrent.CompletionException) {
      cause = cause.getCause() == null ? cause : cause.getCause();
      if (cause == e) {
        break;
      }
    }
    if (cause instanceof Mqtt5ConnAckException refused) {
      Mqtt5ConnAckReasonCode code = refused.getMqttMessage().getReasonCode();
      String reason = refused.getMqttMessage().getReasonString().map(Object::toString).orElse(code.toString());
      return switch (code) {
        case BAD_USER_NAME_OR_PASSWORD, NOT_AUTHORIZED, BAD_AUTHENTICATION_METHOD, BANNED ->
            new Exit.Failure(Exit.SIGN_IN_REFUSED, where + " refused the sign-in" + (options.user == null ? "" : " of user '"
                + options.user + "'") + ": " + reason + "; check --user and the password (" + BrokerOptions.PASSWORD_VARIABLE
                + "), or the client certificate");
        case SERVER_BUSY, SERVER_UNAVAILABLE, SERVER_MOVED, USE_ANOTHER_SERVER, CONNECTION_RATE_EXCEEDED, QUOTA_EXCEEDED ->
            new Exit.Failure(Exit.UNREACHABLE, where + " is not taking connections now: " + reason + "; retry shortly");
        default -> new Exit.Failure(Exit.SIGN_IN_REFUSED, where + " refused the connection: " + reason);
      };
    }
    if (cause instanceof ConnectionFailedException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    if (cause instanceof javax.net.ssl.SSLException || why.contains("SSL") || why.contains("certificate")) {
      return new Exit.Failure(Exit.UNREACHABLE, "cannot connect to " + where + " over TLS: " + why);
    }
    return new Exit.Failure(Exit.UNREACHABLE, "cannot reach the broker at " + where + ": " + why
        + " (is it running, and is --broker right?)");
  }

  /** The password: the environment variable, or asked on the terminal without echo. */
  private static char[] password(String user) {
    String fromEnvironment = System.getenv(BrokerOptions.PASSWORD_VARIABLE);
    if (fromEnvironment != null) {
      return fromEnvironment.toCharArray();
    }
    Console console = System.console();
    if (console == null) {
      throw new Exit.Failure(Exit.USAGE, "no password for user '" + user + "': set " + BrokerOptions.PASSWORD_VARIABLE
          + ", or run in a terminal to be asked for it");
    }
    char[] password = console.readPassword("Password for %s: ", user);
    if (password == null) {
      throw new Exit.Failure(Exit.USAGE, "no password given");
    }
    return password;
  }

  /** Subscribes to the fan-out progress events (before a write, so that none is missed). */
  void followProgress() {
    if (!progressSubscribed) {
      subscribe(options.prefix + "/" + Topics.PROGRESS, publish -> {
        try {
          if (Json.parse(payload(publish), Limits.DEFAULT) instanceof Map<?, ?> event) {
            progress.add(ProgressEvent.fromJson(event));
          }
        } catch (InvalidDocumentException e) {
          // not an event of ours: ignored
        }
      });
      progressSubscribed = true;
    }
  }

  /** The next progress event, or null if none came within the timeout. */
  @Nullable ProgressEvent nextProgress() throws InterruptedException {
    return progress.poll(options.timeoutSeconds, TimeUnit.SECONDS);
  }

  int timeoutSeconds() {
    return options.timeoutSeconds;
  }

  private void subscribe(String filter, java.util.function.Consumer<Mqtt5Publish> callback) {
    try {
      await(client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).callback(callback).send(),
          "the broker's answer to the subscription to " + filter + " (SUBACK)");
    } catch (Exit.Failure failure) {
      throw failure;
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof Mqtt5SubAckException refused) {
        throw notAnOperator("refused the subscription to " + filter + " (" + refused.getMqttMessage().getReasonCodes() + ")");
      }
      throw new Exit.Failure(Exit.UNREACHABLE, "lost the connection to " + where + " while subscribing to " + filter + ": " + cause);
    }
  }

  private Exit.Failure notAnOperator(String what) {
    return new Exit.Failure(Exit.NOT_AN_OPERATOR, "connected to " + where + (options.user == null ? " without a user name"
        : " as '" + options.user + "'") + ", but not as a FleetFlags operator: the broker " + what + ". A user name or"
        + " password that is not an operator's connects as a plain client: check --user and the password ("
        + BrokerOptions.PASSWORD_VARIABLE + "), or the client certificate");
  }

  /** Publishes a request and waits for its answer. */
  Answer ask(Request request) {
    String topic = options.prefix + "/" + request.topic();
    String correlation = HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    waiting.put(correlation, answer);
    try {
      var sent = client.publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(request.payload())
          .contentType("application/json")
          .responseTopic(responseTopic)
          .correlationData(correlation.getBytes(StandardCharsets.UTF_8))
          .send();
      try {
        var result = await(sent, "the broker's acknowledgement of the request (PUBACK)");
        if (result.getError().isPresent()) {
          throw refusedPublish(result.getError().get(), topic);
        }
      } catch (Exit.Failure failure) {
        throw failure;
      } catch (RuntimeException e) {
        throw refusedPublish(e.getCause() != null ? e.getCause() : e, topic);
      }
      return await(answer, "an answer to " + topic + " (is FleetFlags running on that broker?)");
    } finally {
      waiting.remove(correlation);
    }
  }

  private Exit.Failure refusedPublish(Throwable e, String topic) {
    if (e instanceof Mqtt5PubAckException refused) {
      return notAnOperator("refused the request on " + topic + " (PUBACK " + refused.getMqttMessage().getReasonCode()
          + refused.getMqttMessage().getReasonString().map(r -> ": " + r).orElse("") + ")");
    }
    return notAnOperator("closed the connection when the request was published on " + topic + " (" + e.getMessage() + ")");
  }

  private void answerArrived(Mqtt5Publish publish) {
    String correlation = publish.getCorrelationData().map(b -> StandardCharsets.UTF_8.decode(b).toString()).orElse("");
    CompletableFuture<Answer> answer = waiting.get(correlation);
    if (answer == null) {
      return;
    }
    try {
      answer.complete(Answer.read(payload(publish)));
    } catch (InvalidDocumentException e) {
      answer.completeExceptionally(new Exit.Failure(Exit.BROKER_ERROR, "the broker answered something that is not an answer: "
          + e.getMessage()));
    }
  }

  private static byte[] payload(Mqtt5Publish publish) {
    return publish.getPayloadAsBytes();
  }

  private <T> T await(CompletableFuture<T> future, String what) {
    try {
      return future.get(options.timeoutSeconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new Exit.Failure(Exit.TIMED_OUT, "no " + what + " from " + where + " within " + options.timeoutSeconds
          + " s (--timeout)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Exit.Failure(Exit.TIMED_OUT, "interrupted while waiting for " + what);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exit.Failure failure) {
        throw failure;
      }
      throw new java.util.concurrent.CompletionException(e.getCause());
    }
  }

  @Override
  public void close() {
    try {
      client.disconnect().get(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // gone already: nothing to close
    }
  }

  private static MqttClientSslConfig sslConfig(BrokerOptions options) {
    MqttClientSslConfigBuilder ssl = MqttClientSslConfig.builder();
    try {
      if (options.caFile != null) {
        ssl = ssl.trustManagerFactory(Pem.trust(options.caFile));
      }
      if (options.certFile != null || options.keyFile != null) {
        if (options.certFile == null || options.keyFile == null) {
          throw new Exit.Failure(Exit.USAGE, "--cert and --key go together: the client certificate and its private key");
        }
        ssl = ssl.keyManagerFactory(Pem.keys(options.certFile, options.keyFile));
      }
    } catch (java.io.IOException | java.security.GeneralSecurityException e) {
      throw new Exit.Failure(Exit.USAGE, "cannot read the TLS files: " + e.getMessage());
    }
    return ssl.build();
  }

  /** Host and port from host:port or a URL. */
  record Endpoint(String host, int port, boolean tls) {

    static Endpoint parse(String text) {
      try {
        if (text.contains("://")) {
          URI uri = new URI(text);
          String scheme = uri.getScheme().toLowerCase(java.util.Locale.ROOT);
          boolean tls = scheme.equals("mqtts") || scheme.equals("ssl") || scheme.equals("tls");
          if (!tls && !scheme.equals("mqtt") && !scheme.equals("tcp")) {
            throw new IllegalArgumentException("unknown scheme " + scheme + " (mqtt, mqtts, tcp or ssl)");
          }
          return new Endpoint(uri.getHost(), uri.getPort() < 0 ? (tls ? 8883 : 1883) : uri.getPort(), tls);
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
          return new Endpoint(text, 1883, false);
        }
        return new Endpoint(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)), false);
      } catch (java.net.URISyntaxException | RuntimeException e) {
        throw new Exit.Failure(Exit.USAGE, "--broker '" + text + "' is not host:port or an mqtt:// or mqtts:// URL ("
            + e.getMessage() + ")");
      }
    }
  }
}
