package dev.fleetflags.it;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** An MQTT 5 client (a device or an operator) on a {@link FleetFlagsBroker}. */
public final class Mqtt5Device extends MqttDevice<Mqtt5Publish> {

  private final Mqtt5BlockingClient client;
  private final Set<String> responseTopics = new HashSet<>();
  private Mqtt5ConnAck connAck;

  /** How to connect: user properties and credentials are optional. */
  public static final class Connect {
    private final FleetFlagsBroker broker;
    private final String clientId;
    private final Map<String, String> userProperties = new LinkedHashMap<>();
    private String username;
    private byte[] password;
    private String localAddress;
    private long sessionExpiry;
    private int maximumPacketSize;
    private int receiveMaximum;
    private boolean stalled;

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

    /** Connects from this local address, e.g. {@code 127.0.0.2}. */
    public Connect from(String localAddress) {
      this.localAddress = localAddress;
      return this;
    }

    /** Asks to resume its session (no clean start) and to keep it this long after it ends. */
    public Connect persistentSession(long expirySeconds) {
      this.sessionExpiry = expirySeconds;
      return this;
    }

    /** States a Maximum Packet Size in the CONNECT: the broker sends nothing larger. */
    public Connect maximumPacketSize(int bytes) {
      this.maximumPacketSize = bytes;
      return this;
    }

    /**
     * A device that stops reading: it states a Receive Maximum of 1 and never acknowledges what it
     * receives, so the broker sends it one message and queues the rest.
     */
    public Connect stalled() {
      this.receiveMaximum = 1;
      this.stalled = true;
      return this;
    }

    /**
     * Connects, with clean start unless a {@link #persistentSession} was asked for.
     *
     * @throws com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException when refused
     */
    public Mqtt5Device connect() {
      Mqtt5Device device =
          new Mqtt5Device(
              clientId, builder(broker, clientId, localAddress).useMqttVersion5().buildBlocking(), stalled);
      Mqtt5ConnectBuilder.Send<Mqtt5ConnAck> connect =
          device
              .client
              .connectWith()
              .cleanStart(sessionExpiry == 0)
              .sessionExpiryInterval(sessionExpiry);
      if (maximumPacketSize > 0 || receiveMaximum > 0) {
        var restrictions = connect.restrictions();
        if (maximumPacketSize > 0) {
          restrictions.maximumPacketSize(maximumPacketSize);
        }
        if (receiveMaximum > 0) {
          restrictions.receiveMaximum(receiveMaximum);
        }
        connect = restrictions.applyRestrictions();
      }
      if (!userProperties.isEmpty()) {
        var properties = connect.userProperties();
        userProperties.forEach(properties::add);
        connect = properties.applyUserProperties();
      }
      if (username != null) {
        connect = connect.simpleAuth().username(username).password(password).applySimpleAuth();
      }
      device.connAck = connect.send();
      return device;
    }
  }

  private Mqtt5Device(String clientId, Mqtt5BlockingClient client, boolean neverAcknowledge) {
    super(clientId);
    this.client = client;
    // Before CONNECT, so nothing sent right after the CONNACK is missed. A stalled device takes
    // over acknowledging, and never does.
    client.toAsync().publishes(MqttGlobalPublishFilter.ALL, this::arrived, neverAcknowledge);
  }

  public static Connect with(FleetFlagsBroker broker, String clientId) {
    return new Connect(broker, clientId);
  }

  public static Mqtt5Device connect(FleetFlagsBroker broker, String clientId) {
    return with(broker, clientId).connect();
  }

  /** The broker's answer to the CONNECT. */
  public Mqtt5ConnAck connAck() {
    return connAck;
  }

  @Override
  public String topic(Mqtt5Publish message) {
    return message.getTopic().toString();
  }

  @Override
  public byte[] payload(Mqtt5Publish message) {
    return message.getPayloadAsBytes();
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

  @Override
  public boolean subscribeGranted(String topicFilter) {
    return !subscribe(topicFilter).isError();
  }

  /**
   * Publishes with QoS 1.
   *
   * @throws com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException when the broker refuses
   */
  @Override
  public void publish(String topic, byte[] payload) {
    client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
  }

  /**
   * Publishes a request with a response topic and this correlation data and does not wait: its
   * answer, if any, lands in the inbox. The response topic must be subscribed already.
   */
  public void sendRequest(String topic, String payload, String responseTopic, String correlation) {
    client
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(payload.getBytes(StandardCharsets.UTF_8))
        .responseTopic(responseTopic)
        .correlationData(correlation.getBytes(StandardCharsets.UTF_8))
        .send();
  }

  /**
   * MQTT 5 request/response: publishes with a response topic and fresh correlation data, then waits
   * for the answer carrying that correlation data. Other messages are kept for {@link
   * #awaitMessage()}.
   *
   * @return the answer's payload as UTF-8
   */
  public String request(String topic, String payload, String responseTopic) {
    return request(topic, payload.getBytes(StandardCharsets.UTF_8), responseTopic, responseTopic);
  }

  /** {@link #request(String, String, String)} with a payload of any bytes, UTF-8 or not. */
  public String request(String topic, byte[] payload, String responseTopic) {
    return request(topic, payload, responseTopic, responseTopic);
  }

  /**
   * As {@link #request(String, String, String)}, with the answer expected on {@code answerTopic}
   * (where the server answers when it cannot use the response topic).
   */
  public String request(String topic, String payload, String responseTopic, String answerTopic) {
    return request(topic, payload.getBytes(StandardCharsets.UTF_8), responseTopic, answerTopic);
  }

  private String request(String topic, byte[] payload, String responseTopic, String answerTopic) {
    if (responseTopics.add(answerTopic)) {
      Mqtt5SubAckReasonCode code = subscribe(answerTopic);
      if (code.isError()) {
        throw new AssertionError("subscription to " + answerTopic + " refused: " + code);
      }
    }
    byte[] correlation = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
    Mqtt5PublishResult sent =
        client
            .publishWith()
            .topic(topic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(payload)
            .responseTopic(responseTopic)
            .correlationData(correlation)
            .send();
    // For a failure's message: SUCCESS if an extension took the request, NO_MATCHING_SUBSCRIBERS
    // if it went to the broker's routing instead.
    String acknowledged = sent instanceof Mqtt5PublishResult.Mqtt5Qos1Result qos1
        ? qos1.getPubAck().getReasonCode().toString() : "?";
    List<Mqtt5Publish> others = new ArrayList<>();
    try {
      while (true) {
        Mqtt5Publish message =
            nextMessage(WAIT)
                .orElseThrow(
                    () -> new AssertionError("no answer on " + answerTopic + " within " + WAIT
                        + " (the broker acknowledged the request on " + topic + " with " + acknowledged + ")"));
        Optional<ByteBuffer> data = message.getCorrelationData();
        if (message.getTopic().toString().equals(answerTopic)
            && data.isPresent()
            && data.get().equals(ByteBuffer.wrap(correlation))) {
          return StandardCharsets.UTF_8
              .decode(message.getPayload().orElse(ByteBuffer.allocate(0)))
              .toString();
        }
        others.add(message);
      }
    } finally {
      putBack(others);
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

  @Override
  boolean connected() {
    return client.getState().isConnected();
  }

  @Override
  void disconnect() {
    client.disconnect();
  }
}
