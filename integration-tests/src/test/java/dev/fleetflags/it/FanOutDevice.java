package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.InvalidProtocolBufferException;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A device on an asynchronous MQTT client (5 or 3.1.1), so that hundreds connect at once. It does
 * what the README asks of a device: applies every update it receives on its flag topic to what it
 * holds and keeps the state hash the update carried. Everything it received stays in order, so a
 * test can count messages per device.
 */
final class FanOutDevice implements AutoCloseable {

  enum Protocol {
    MQTT5,
    MQTT3
  }

  /** How a device connects: its client id, protocol and CONNECT user properties (MQTT 5 only). */
  record Spec(String clientId, Protocol protocol, Map<String, String> userProperties) {

    Spec {
      userProperties = Map.copyOf(userProperties);
      if (protocol == Protocol.MQTT3 && !userProperties.isEmpty()) {
        throw new IllegalArgumentException("MQTT 3.1.1 has no user properties");
      }
    }

    String flagTopic() {
      return "flags/" + clientId;
    }
  }

  private final Spec spec;
  private final Connection connection;

  /** Guarded by this: what arrived on the flag topic, what the device holds, and the last hash. */
  private final List<FlagUpdate> received = new ArrayList<>();

  private final FanOutHeldFlags held;
  private int receivedHash;
  private String problem;

  private FanOutDevice(Spec spec, FanOutHeldFlags held, Connection connection) {
    this.spec = spec;
    this.held = held;
    this.receivedHash = held.stateHash();
    this.connection = connection;
  }

  /**
   * Starts connecting; the device holds {@code held} (what it kept from an earlier connection).
   *
   * @param presentedHash the MQTT 5 CONNECT user property {@code fleetflags-state}, or null
   */
  static CompletableFuture<FanOutDevice> connect(
      FleetFlagsBroker broker, Spec spec, FanOutHeldFlags held, String presentedHash) {
    if (spec.protocol() == Protocol.MQTT3 && presentedHash != null) {
      throw new IllegalArgumentException("an MQTT 3.1.1 device presents its hash by resync");
    }
    Connection connection =
        spec.protocol() == Protocol.MQTT5
            ? new Mqtt5Connection(broker, spec, presentedHash)
            : new Mqtt3Connection(broker, spec);
    FanOutDevice device = new FanOutDevice(spec, new FanOutHeldFlags(held), connection);
    return connection.connect(device::received).thenApply(ignored -> device);
  }

  /** Connects, subscribes and waits for the first update: what every fleet device does. */
  static FanOutDevice online(FleetFlagsBroker broker, Spec spec) {
    FanOutDevice device = join(connect(broker, spec, new FanOutHeldFlags(), null), spec.clientId());
    join(device.subscribe(), spec.clientId());
    device.awaitReceived(1);
    return device;
  }

  /** Waits for a future within {@link Mqtt5Device#WAIT}; an assertion failure otherwise. */
  static <T> T join(CompletableFuture<T> future, String what) {
    try {
      return future.get(Mqtt5Device.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted: " + what, e);
    } catch (ExecutionException e) {
      throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(what + " did not complete within " + Mqtt5Device.WAIT, e);
    }
  }

  String clientId() {
    return spec.clientId();
  }

  Spec spec() {
    return spec;
  }

  /** Subscribes to its flag topic with QoS 1; fails unless granted. */
  CompletableFuture<Void> subscribe() {
    return connection.subscribe(spec.flagTopic());
  }

  /** Publishes to {@code flags/{clientId}/resync}: an empty payload or a state hash in hex. */
  CompletableFuture<Void> resync(String payload) {
    return connection.publish(
        spec.flagTopic() + "/resync", payload.getBytes(StandardCharsets.UTF_8));
  }

  CompletableFuture<Void> disconnect() {
    return connection.disconnect();
  }

  private void received(String topic, byte[] payload) {
    synchronized (this) {
      if (!topic.equals(spec.flagTopic())) {
        problem = "a message on " + topic;
      } else {
        try {
          FlagUpdate update = FlagUpdate.parseFrom(payload);
          received.add(update);
          held.apply(update);
          receivedHash = update.getStateHash();
        } catch (InvalidProtocolBufferException e) {
          problem = "an undecodable update: " + e.getMessage();
        }
      }
      notifyAll();
    }
  }

  /** Updates received so far, in order. */
  synchronized List<FlagUpdate> received() {
    checkProblem();
    return List.copyOf(received);
  }

  synchronized int receivedCount() {
    return received.size();
  }

  /** A copy of what the device holds now. */
  synchronized FanOutHeldFlags held() {
    return new FanOutHeldFlags(held);
  }

  /** The state hash the last update carried. */
  synchronized int receivedHash() {
    return receivedHash;
  }

  /** Waits until the device has received at least {@code count} updates in all. */
  void awaitReceived(int count) {
    await(d -> d.received.size() >= count, "its update number " + count);
  }

  /** Waits until what the device holds satisfies {@code condition}. */
  void awaitHeld(Predicate<FanOutHeldFlags> condition, String what) {
    await(d -> condition.test(d.held), what);
  }

  private synchronized void await(Predicate<FanOutDevice> condition, String what) {
    long deadline = System.nanoTime() + Mqtt5Device.WAIT.toNanos();
    while (!condition.test(this)) {
      checkProblem();
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            clientId()
                + " did not get "
                + what
                + " within "
                + Mqtt5Device.WAIT
                + "; it received "
                + received);
      }
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
    checkProblem();
  }

  private void checkProblem() {
    if (problem != null) {
      throw new AssertionError(clientId() + " received " + problem);
    }
  }

  /**
   * The device holds exactly the set the extension evaluates for it, and the hash it computes of
   * what it holds is the one the last update carried and the one the extension states.
   */
  void assertHolds(FanOutOperator.Evaluated evaluated) {
    FanOutHeldFlags held = held();
    int receivedHash = receivedHash();
    assertEquals(evaluated.values(), held.values(), () -> this + " holds a stale or wrong set");
    assertEquals(
        FanOutHeldFlags.hex(evaluated.stateHash()),
        FanOutHeldFlags.hex(held.stateHash()),
        () -> this + " computes another hash of " + held);
    assertEquals(
        FanOutHeldFlags.hex(held.stateHash()),
        FanOutHeldFlags.hex(receivedHash),
        () -> this + " was sent another hash: " + received());
  }

  @Override
  public void close() {
    join(disconnect(), clientId() + " disconnecting");
  }

  @Override
  public String toString() {
    return clientId();
  }

  /** The two client libraries' asynchronous APIs behind one face. */
  private interface Connection {

    CompletableFuture<Void> connect(Receiver receiver);

    CompletableFuture<Void> subscribe(String topic);

    CompletableFuture<Void> publish(String topic, byte[] payload);

    CompletableFuture<Void> disconnect();
  }

  @FunctionalInterface
  private interface Receiver {
    void received(String topic, byte[] payload);
  }

  private static final class Mqtt5Connection implements Connection {
    private final Spec spec;
    private final String presentedHash;
    private final Mqtt5AsyncClient client;

    Mqtt5Connection(FleetFlagsBroker broker, Spec spec, String presentedHash) {
      this.spec = spec;
      this.presentedHash = presentedHash;
      this.client =
          Mqtt5Client.builder()
              .identifier(spec.clientId())
              .serverHost(broker.host())
              .serverPort(broker.mqttPort())
              .buildAsync();
    }

    @Override
    public CompletableFuture<Void> connect(Receiver receiver) {
      // Before CONNECT, so nothing sent right after the CONNACK is missed.
      client.publishes(
          MqttGlobalPublishFilter.ALL,
          p -> receiver.received(p.getTopic().toString(), p.getPayloadAsBytes()));
      Mqtt5ConnectBuilder.Send<CompletableFuture<Mqtt5ConnAck>> connect =
          client.connectWith().cleanStart(true);
      if (!spec.userProperties().isEmpty() || presentedHash != null) {
        var properties = connect.userProperties();
        spec.userProperties().forEach(properties::add);
        if (presentedHash != null) {
          properties.add("fleetflags-state", presentedHash);
        }
        connect = properties.applyUserProperties();
      }
      return connect.send().thenApply(ack -> null);
    }

    @Override
    public CompletableFuture<Void> subscribe(String topic) {
      return client
          .subscribeWith()
          .topicFilter(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .thenAccept(
              ack -> {
                if (ack.getReasonCodes().get(0).isError()) {
                  throw new AssertionError(topic + " refused: " + ack.getReasonCodes());
                }
              });
    }

    @Override
    public CompletableFuture<Void> publish(String topic, byte[] payload) {
      return client
          .publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(payload)
          .send()
          .thenApply(result -> null);
    }

    @Override
    public CompletableFuture<Void> disconnect() {
      return client.getState().isConnected()
          ? client.disconnect()
          : CompletableFuture.completedFuture(null);
    }
  }

  private static final class Mqtt3Connection implements Connection {
    private final Mqtt3AsyncClient client;

    Mqtt3Connection(FleetFlagsBroker broker, Spec spec) {
      this.client =
          Mqtt3Client.builder()
              .identifier(spec.clientId())
              .serverHost(broker.host())
              .serverPort(broker.mqttPort())
              .buildAsync();
    }

    @Override
    public CompletableFuture<Void> connect(Receiver receiver) {
      client.publishes(
          MqttGlobalPublishFilter.ALL,
          p -> receiver.received(p.getTopic().toString(), p.getPayloadAsBytes()));
      return client.connectWith().cleanSession(true).send().thenApply(ack -> null);
    }

    @Override
    public CompletableFuture<Void> subscribe(String topic) {
      return client
          .subscribeWith()
          .topicFilter(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .thenAccept(
              ack -> {
                if (ack.getReturnCodes().get(0) == Mqtt3SubAckReturnCode.FAILURE) {
                  throw new AssertionError(topic + " refused");
                }
              });
    }

    @Override
    public CompletableFuture<Void> publish(String topic, byte[] payload) {
      return client
          .publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(payload)
          .send()
          .thenApply(result -> null);
    }

    @Override
    public CompletableFuture<Void> disconnect() {
      return client.getState().isConnected()
          ? client.disconnect()
          : CompletableFuture.completedFuture(null);
    }
  }
}
