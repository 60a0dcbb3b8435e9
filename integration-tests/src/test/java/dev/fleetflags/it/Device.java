package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fleetflags.proto.v1.FlagUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * A device as the README asks a device maker to build one, on an {@link Mqtt5Device} or an {@link
 * Mqtt3Device}: it applies every update it receives on its flag topic to what it holds and keeps
 * the state hash the update carried. Everything it received stays in order, so a test can count
 * messages per device. Whatever has arrived is taken from the client's inbox whenever the device
 * is asked anything, so counts are as of that moment. One thread at a time.
 */
final class Device implements AutoCloseable {

  enum Protocol {
    MQTT5,
    MQTT3
  }

  /**
   * How a device connects: its client id, protocol, CONNECT user properties and Maximum Packet Size
   * (MQTT 5 only; 0 states none).
   */
  record Spec(
      String clientId, Protocol protocol, Map<String, String> userProperties, int maximumPacketSize) {

    Spec {
      userProperties = Map.copyOf(userProperties);
      if (protocol == Protocol.MQTT3 && (!userProperties.isEmpty() || maximumPacketSize > 0)) {
        throw new IllegalArgumentException("MQTT 3.1.1 has no user properties or packet size");
      }
    }

    Spec(String clientId, Protocol protocol, Map<String, String> userProperties) {
      this(clientId, protocol, userProperties, 0);
    }
  }

  private final Spec spec;
  private final MqttDevice<?> client;

  /** What arrived on the flag topic, what the device holds, and the hash the last update carried. */
  private final List<FlagUpdate> received = new ArrayList<>();

  private final HeldFlags held;
  private int receivedHash;

  private Device(Spec spec, MqttDevice<?> client, HeldFlags held) {
    this.spec = spec;
    this.client = client;
    this.held = held;
    this.receivedHash = held.stateHash();
  }

  /**
   * Connects; the device holds {@code held} (what it kept from an earlier connection).
   *
   * @param presentedHash the MQTT 5 CONNECT user property {@code fleetflags-state}, or null
   */
  static Device connect(FleetFlagsBroker broker, Spec spec, HeldFlags held, String presentedHash) {
    MqttDevice<?> client;
    if (spec.protocol() == Protocol.MQTT5) {
      Mqtt5Device.Connect connect = Mqtt5Device.with(broker, spec.clientId());
      spec.userProperties().forEach(connect::userProperty);
      if (presentedHash != null) {
        connect.userProperty("fleetflags-state", presentedHash);
      }
      if (spec.maximumPacketSize() > 0) {
        connect.maximumPacketSize(spec.maximumPacketSize());
      }
      client = connect.connect();
    } else if (presentedHash != null) {
      throw new IllegalArgumentException("an MQTT 3.1.1 device presents its hash by resync");
    } else {
      client = Mqtt3Device.connect(broker, spec.clientId());
    }
    return new Device(spec, client, new HeldFlags(held));
  }

  /** Connects, subscribes and waits for the first update: what every fleet device does. */
  static Device online(FleetFlagsBroker broker, Spec spec) {
    Device device = connect(broker, spec, new HeldFlags(), null);
    device.subscribe();
    device.awaitReceived(1);
    return device;
  }

  String clientId() {
    return spec.clientId();
  }

  Spec spec() {
    return spec;
  }

  /** Subscribes to its flag topic with QoS 1; fails unless granted. */
  void subscribe() {
    if (!client.subscribeGranted(client.flagTopic())) {
      throw new AssertionError(client.flagTopic() + " refused");
    }
  }

  /** Publishes to {@code flags/{clientId}/resync}: an empty payload or a state hash in hex. */
  void resync(String payload) {
    client.publish(client.flagTopic() + "/resync", payload);
  }

  /** Updates received so far, in order. */
  List<FlagUpdate> received() {
    takeArrived();
    return List.copyOf(received);
  }

  int receivedCount() {
    takeArrived();
    return received.size();
  }

  /** A copy of what the device holds now. */
  HeldFlags held() {
    takeArrived();
    return new HeldFlags(held);
  }

  /** The state hash the last update carried. */
  int receivedHash() {
    takeArrived();
    return receivedHash;
  }

  /** Waits until the device has received at least {@code count} updates in all. */
  void awaitReceived(int count) {
    await(() -> received.size() >= count, "its update number " + count);
  }

  /** Waits until what the device holds satisfies {@code condition}. */
  void awaitHeld(Predicate<HeldFlags> condition, String what) {
    await(() -> condition.test(held), what);
  }

  private void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + MqttDevice.WAIT.toNanos();
    takeArrived();
    while (!condition.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            clientId()
                + " did not get "
                + what
                + " within "
                + MqttDevice.WAIT
                + "; it received "
                + received);
      }
      take(Duration.ofNanos(left));
    }
  }

  private void takeArrived() {
    while (take(Duration.ZERO)) {
      // each update is applied as it is taken
    }
  }

  /** Takes the next update if one arrives within the time, as a device applies it; whether one did. */
  private boolean take(Duration within) {
    Optional<FlagUpdate> next = client.nextUpdate(within);
    next.ifPresent(
        update -> {
          received.add(update);
          held.apply(update);
          receivedHash = update.getStateHash();
        });
    return next.isPresent();
  }

  /**
   * The device holds exactly the set the extension evaluates for it, and the hash it computes of
   * what it holds is the one the extension states and the one the last update carried.
   */
  void assertHolds(Operator.Evaluated evaluated) {
    HeldFlags held = held();
    held.assertMatches(evaluated);
    assertEquals(
        held.stateHashText(),
        HeldFlags.hex(receivedHash),
        () -> this + " was sent another hash: " + received);
  }

  /** Whether the connection is still open (the broker ends one that another connection takes over). */
  boolean connected() {
    return client.connected();
  }

  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return clientId();
  }
}
