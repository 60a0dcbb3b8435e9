package dev.fleetflags.it;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.exceptions.MqttClientStateException;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * An MQTT 5 client (a device or an operator) on a {@link FleetFlagsBroker}, blocking and simple:
 * what it receives waits in a queue until a test takes it.
 */
public final class Mqtt5Device implements AutoCloseable {

  /** Bound on every wait; reached only when something is wrong. */
  public static final Duration WAIT = Duration.ofSeconds(30);

  private final String clientId;
  private final Mqtt5BlockingClient client;
  private final Mqtt5BlockingClient.Mqtt5Publishes publishes;
  private final Mqtt5ConnAck connAck;

  /** Messages taken off the client while waiting for a response, kept for later. */
  private final Deque<Mqtt5Publish> setAside = new ArrayDeque<>();

  private final Set<String> responseTopics = new HashSet<>();

  /** How to connect: user properties and credentials are optional. */
  public static final class Connect {
    private final FleetFlagsBroker broker;
    private final String clientId;
    private final Map<String, String> userProperties = new LinkedHashMap<>();
    private String username;
    private byte[] password;

    private Connect(FleetFlagsBroker broker, String clientId) {
      this.broker = broker;
      this.clientId = clientId;
    }

    public Connect userProperty(String name, String value) {
      userProperties.put(name, value);
      return this;
    }

    public Connect credentials(String username, String password) {
      this.username = username;
      this.password = password.getBytes(StandardCharsets.UTF_8);
      return this;
    }

    /**
     * Connects with clean start.
     *
     * @throws com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException when refused
     */
    public Mqtt5Device connect() {
      Mqtt5ClientBuilder builder =
          Mqtt5Client.builder()
              .identifier(clientId)
              .serverHost(broker.host())
              .serverPort(broker.mqttPort());
      Mqtt5BlockingClient client = builder.buildBlocking();
      // Before CONNECT, so nothing sent right after the CONNACK is missed.
      Mqtt5BlockingClient.Mqtt5Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL);
      Mqtt5ConnectBuilder.Send<Mqtt5ConnAck> connect = client.connectWith().cleanStart(true);
      if (!userProperties.isEmpty()) {
        var properties = connect.userProperties();
        userProperties.forEach(properties::add);
        connect = properties.applyUserProperties();
      }
      if (username != null) {
        connect = connect.simpleAuth().username(username).password(password).applySimpleAuth();
      }
      try {
        Mqtt5ConnAck connAck = connect.send();
        return new Mqtt5Device(clientId, client, publishes, connAck);
      } catch (RuntimeException e) {
        publishes.close();
        throw e;
      }
    }
  }

  private Mqtt5Device(
      String clientId,
      Mqtt5BlockingClient client,
      Mqtt5BlockingClient.Mqtt5Publishes publishes,
      Mqtt5ConnAck connAck) {
    this.clientId = clientId;
    this.client = client;
    this.publishes = publishes;
    this.connAck = connAck;
  }

  public static Connect with(FleetFlagsBroker broker, String clientId) {
    return new Connect(broker, clientId);
  }

  public static Mqtt5Device connect(FleetFlagsBroker broker, String clientId) {
    return with(broker, clientId).connect();
  }

  public String clientId() {
    return clientId;
  }

  public Mqtt5ConnAck connAck() {
    return connAck;
  }

  /** Subscribes with QoS 1; returns the broker's reason code (granted or refused). */
  public Mqtt5SubAckReasonCode subscribe(String topicFilter) {
    try {
      return client
          .subscribeWith()
          .topicFilter(topicFilter)
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .getReasonCodes()
          .get(0);
    } catch (Mqtt5SubAckException refused) {
      // The blocking client reports a SUBACK of nothing but refusals as an exception.
      return refused.getMqttMessage().getReasonCodes().get(0);
    }
  }

  public void publish(String topic, byte[] payload) {
    client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
  }

  public void publish(String topic, String payload) {
    publish(topic, payload.getBytes(StandardCharsets.UTF_8));
  }

  /** The next message received, within {@link #WAIT}, or an assertion failure. */
  public Mqtt5Publish awaitMessage() {
    return nextMessage(WAIT)
        .orElseThrow(() -> new AssertionError(clientId + " received nothing within " + WAIT));
  }

  /** The next message received within the time, if any. */
  public Optional<Mqtt5Publish> nextMessage(Duration within) {
    if (!setAside.isEmpty()) {
      return Optional.of(setAside.removeFirst());
    }
    try {
      return publishes.receive(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * MQTT 5 request/response: publishes with a response topic and fresh correlation data, then waits
   * for the answer carrying that correlation data. Other messages are kept for {@link
   * #awaitMessage()}.
   *
   * @return the answer's payload as UTF-8
   */
  public String request(String topic, String payload, String responseTopic) {
    if (responseTopics.add(responseTopic)) {
      Mqtt5SubAckReasonCode code = subscribe(responseTopic);
      if (code.isError()) {
        throw new AssertionError("subscription to " + responseTopic + " refused: " + code);
      }
    }
    byte[] correlation = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
    client
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(payload.getBytes(StandardCharsets.UTF_8))
        .responseTopic(responseTopic)
        .correlationData(correlation)
        .send();
    Deque<Mqtt5Publish> others = new ArrayDeque<>();
    try {
      while (true) {
        Mqtt5Publish message;
        try {
          message =
              publishes
                  .receive(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                  .orElseThrow(
                      () ->
                          new AssertionError("no answer on " + responseTopic + " within " + WAIT));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted", e);
        }
        Optional<ByteBuffer> data = message.getCorrelationData();
        if (message.getTopic().toString().equals(responseTopic)
            && data.isPresent()
            && data.get().equals(ByteBuffer.wrap(correlation))) {
          return StandardCharsets.UTF_8
              .decode(message.getPayload().orElse(ByteBuffer.allocate(0)))
              .toString();
        }
        others.addLast(message);
      }
    } finally {
      setAside.addAll(others);
    }
  }

  /** Answers a request on its response topic with its correlation data, as MQTT 5 defines. */
  public void respond(Mqtt5Publish request, String payload) {
    String responseTopic =
        request
            .getResponseTopic()
            .orElseThrow(() -> new AssertionError("the request has no response topic"))
            .toString();
    var publish =
        client
            .publishWith()
            .topic(responseTopic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(payload.getBytes(StandardCharsets.UTF_8));
    request.getCorrelationData().ifPresent(publish::correlationData);
    publish.send();
  }

  /** Waits until the broker has ended this connection (a session takeover, a refused publish). */
  public void awaitDisconnected() {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (client.getState().isConnected()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(clientId + " still connected after " + WAIT);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    publishes.close();
    if (client.getState().isConnected()) {
      try {
        client.disconnect();
      } catch (MqttClientStateException closed) {
        // The broker closed the connection since the check (as it does after refusing a publish).
      }
    }
  }
}
