package dev.fleetflags.it;

import com.google.protobuf.InvalidProtocolBufferException;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.exceptions.ConnectionClosedException;
import com.hivemq.client.mqtt.exceptions.MqttClientStateException;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * An MQTT client (a device or an operator) on a {@link FleetFlagsBroker}, blocking and simple, of
 * either protocol: what it receives waits in order in its inbox until a test takes it.
 *
 * @param <M> the client library's message type for the protocol
 */
public abstract sealed class MqttDevice<M> implements AutoCloseable
    permits Mqtt5Device, Mqtt3Device {

  /** Bound on every wait; reached only when something is wrong. */
  public static final Duration WAIT = Duration.ofSeconds(30);
  /** How long a client waits for its CONNACK before it gives up on the connection. */
  static final Duration CONNACK_WAIT = Duration.ofSeconds(20);

  private final String clientId;

  /**
   * Filled by the client library as messages arrive (each is acknowledged at once, whether or not
   * a test takes it), emptied by tests.
   */
  private final BlockingDeque<M> inbox = new LinkedBlockingDeque<>();

  MqttDevice(String clientId) {
    this.clientId = clientId;
  }

  /** A client of the broker under this id; the subclass picks the protocol. */
  static MqttClientBuilder builder(FleetFlagsBroker broker, String clientId) {
    return builder(broker, clientId, null);
  }

  /**
   * A client connecting from a local address of its own, e.g. {@code 127.0.0.2} (Linux routes all
   * of 127.0.0.0/8 to loopback), or from the system's choice if null.
   */
  static MqttClientBuilder builder(FleetFlagsBroker broker, String clientId, String localAddress) {
    var transport = MqttClient.builder()
        .identifier(clientId)
        .serverHost(broker.host())
        .serverPort(broker.mqttPort())
        .transportConfig()
        // Sooner than WAIT: in a takeover storm HiveMQ may leave a superseded CONNECT unanswered,
        // which the client otherwise waits a minute for (ReconnectStormTest counts it as taken over).
        .mqttConnectTimeout(CONNACK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    return (localAddress == null ? transport : transport.localAddress(localAddress)).applyTransportConfig();
  }

  public String clientId() {
    return clientId;
  }

  /** The client library hands over each message here, in the order they arrive. */
  final void arrived(M message) {
    inbox.addLast(message);
  }

  /** Messages taken while looking for another go back to the head of the inbox, in order. */
  final void putBack(List<M> taken) {
    for (int i = taken.size() - 1; i >= 0; i--) {
      inbox.addFirst(taken.get(i));
    }
  }

  public abstract String topic(M message);

  public abstract byte[] payload(M message);

  /** The next message received, within {@link #WAIT}, or an assertion failure. */
  public M awaitMessage() {
    return nextMessage(WAIT)
        .orElseThrow(() -> new AssertionError(clientId + " received nothing within " + WAIT));
  }

  /** The next message received within the time, if any. */
  public Optional<M> nextMessage(Duration within) {
    try {
      return Optional.ofNullable(inbox.pollFirst(within.toNanos(), TimeUnit.NANOSECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The device's flag topic, {@code flags/{clientId}}. */
  public String flagTopic() {
    return "flags/" + clientId;
  }

  /** The next update, on the device's flag topic, within {@link #WAIT}. */
  public FlagUpdate awaitUpdate() {
    return nextUpdate(WAIT)
        .orElseThrow(() -> new AssertionError(clientId + " received nothing within " + WAIT));
  }

  /**
   * The next update received within the time, if any; a message on another topic than the
   * device's flag topic, or one that is not a {@code FlagUpdate}, fails.
   */
  public Optional<FlagUpdate> nextUpdate(Duration within) {
    return nextMessage(within)
        .map(
            message -> {
              // A plain AssertionError: the load harness compiles this class without JUnit.
              if (!flagTopic().equals(topic(message))) {
                throw new AssertionError(
                    clientId + " received a message on " + topic(message) + ", not " + flagTopic());
              }
              try {
                return FlagUpdate.parseFrom(payload(message));
              } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(clientId + " received no FlagUpdate", e);
              }
            });
  }

  /** Subscribes with QoS 1; whether the broker granted it. */
  public abstract boolean subscribeGranted(String topicFilter);

  public abstract void publish(String topic, byte[] payload);

  public void publish(String topic, String payload) {
    publish(topic, payload.getBytes(StandardCharsets.UTF_8));
  }

  abstract boolean connected();

  /** Waits until the broker has ended this connection (a session takeover, a refused publish). */
  public void awaitDisconnected() {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (connected()) {
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

  abstract void disconnect();

  @Override
  public void close() {
    if (connected()) {
      try {
        disconnect();
      } catch (MqttClientStateException | ConnectionClosedException closed) {
        // The broker closed the connection since the check (as it does after refusing a publish,
        // or when it is killed): closed either way.
      }
    }
  }
}
