package dev.fleetflags.it;

import com.google.protobuf.InvalidProtocolBufferException;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagAck;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Many MQTT 5 devices that acknowledge what they receive (README, "Acknowledgements"), each as the
 * test's policy says: apply, fail, or apply and then leave for good. They ack from the client
 * library's thread as each update arrives, as a device's firmware would, and keep what they
 * received, hold and acknowledged, so that a test can hold the broker's compliance figures to what
 * the clients actually did. Asynchronous clients: hundreds connect in seconds.
 */
final class AckingFleet implements AutoCloseable {

  /** What a device does with an update it received. */
  enum Reply {
    APPLY,
    FAIL,
    /** Acks APPLIED, then disconnects and does not come back. */
    APPLY_AND_LEAVE
  }

  /** An update as a device received it, and when (System.nanoTime). */
  record Received(FlagUpdate update, long atNanos) {}

  /** An ack a device sent, and when (System.nanoTime, and the wall clock's milliseconds). */
  record Sent(long revision, FlagAck.Status status, long atNanos, long atMillis) {}

  /** One device: its client, and what it received, holds and acknowledged. Safe from any thread. */
  final class AckingDevice {
    final String clientId;
    private final Mqtt5AsyncClient client;
    private final HeldFlags held = new HeldFlags();
    private final List<Received> received = new ArrayList<>();
    private final List<Sent> sent = new ArrayList<>();
    private volatile boolean left;

    private AckingDevice(String clientId, Mqtt5AsyncClient client) {
      this.clientId = clientId;
      this.client = client;
    }

    /** The client library's thread: hold the update and ack it as the policy says. */
    private void arrived(Mqtt5Publish message) {
      FlagUpdate update;
      try {
        update = FlagUpdate.parseFrom(message.getPayloadAsBytes());
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError(clientId + " received no FlagUpdate on " + message.getTopic(), e);
      }
      Reply reply = policy.apply(new Arrival(clientId, update));
      FlagAck.Status status = reply == Reply.FAIL ? FlagAck.Status.FAILED : FlagAck.Status.APPLIED;
      long now = System.nanoTime();
      synchronized (this) {
        received.add(new Received(update, now));
        held.apply(update);
        sent.add(new Sent(update.getRevision(), status, now, System.currentTimeMillis()));
      }
      FlagAck ack = FlagAck.newBuilder().setRevision(update.getRevision()).setStateHash(update.getStateHash())
          .setStatus(status).setReason(status == FlagAck.Status.FAILED ? "the test says it fails" : "").build();
      CompletableFuture<?> published = client.publishWith().topic("flags/" + clientId + "/ack")
          .qos(MqttQos.AT_LEAST_ONCE).payload(ack.toByteArray()).send();
      if (reply == Reply.APPLY_AND_LEAVE) {
        left = true;
        published.whenComplete((done, failure) -> client.disconnect());
      }
    }

    synchronized List<Received> received() {
      return List.copyOf(received);
    }

    synchronized List<Sent> sent() {
      return List.copyOf(sent);
    }

    /** The value the device holds of a flag (Boolean, Long, ...), or null if it holds none. */
    synchronized Object value(String key) {
      return held.values().get(key);
    }

    /** Whether it acknowledged an update of {@code revision} with {@code status}. */
    synchronized boolean acked(long revision, FlagAck.Status status) {
      return sent.stream().anyMatch(s -> s.revision() == revision && s.status() == status);
    }

    boolean left() {
      return left;
    }

    @Override
    public String toString() {
      return clientId;
    }
  }

  /** An update arriving at a device: what the policy decides on. */
  record Arrival(String clientId, FlagUpdate update) {

    /** The value the update carries for a flag, or null if it does not carry it. */
    Object value(String key) {
      for (Flag flag : update.getFlagsList()) {
        if (flag.getKey().equals(key)) {
          return HeldFlags.value(flag);
        }
      }
      return null;
    }
  }

  /** Clients connecting at once. */
  private static final int BATCH = 50;

  private final Map<String, AckingDevice> devices = new LinkedHashMap<>();
  private volatile Function<Arrival, Reply> policy = arrival -> Reply.APPLY;

  private AckingFleet() {}

  /**
   * Connects a device per client id (no attributes), subscribes each to its flag topic, and waits
   * until each has its snapshot and acknowledged it; the policy is to apply everything.
   */
  static AckingFleet start(FleetFlagsBroker broker, List<String> clientIds) {
    AckingFleet fleet = new AckingFleet();
    try {
      for (int from = 0; from < clientIds.size(); from += BATCH) {
        List<CompletableFuture<?>> connecting = new ArrayList<>();
        for (String id : clientIds.subList(from, Math.min(from + BATCH, clientIds.size()))) {
          Mqtt5AsyncClient client = MqttClient.builder().identifier(id).serverHost(broker.host())
              .serverPort(broker.mqttPort()).useMqttVersion5().buildAsync();
          AckingDevice device = fleet.new AckingDevice(id, client);
          fleet.devices.put(id, device);
          // Before CONNECT, so nothing sent right after the CONNACK is missed.
          client.publishes(MqttGlobalPublishFilter.ALL, device::arrived);
          connecting.add(client.connect().thenCompose(connAck -> client.subscribeWith().topicFilter("flags/" + id)
              .qos(MqttQos.AT_LEAST_ONCE).send()));
        }
        for (CompletableFuture<?> c : connecting) {
          c.get(MqttDevice.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
      for (AckingDevice d : fleet.devices.values()) {
        await(() -> !d.sent().isEmpty(), () -> d + " acknowledged its snapshot");
      }
      return fleet;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fleet.close();
      throw new AssertionError(e);
    } catch (ExecutionException | TimeoutException | RuntimeException | Error e) {
      fleet.close();
      throw new AssertionError("connecting the fleet failed: " + e, e);
    }
  }

  /** From now on, devices reply to what arrives as {@code policy} says. */
  void policy(Function<Arrival, Reply> policy) {
    this.policy = policy;
  }

  List<AckingDevice> devices() {
    return List.copyOf(devices.values());
  }

  AckingDevice device(String clientId) {
    return devices.get(clientId);
  }

  /** Waits until the condition holds, within {@link MqttDevice#WAIT}. */
  static void await(BooleanSupplier condition, java.util.function.Supplier<String> what) {
    long deadline = System.nanoTime() + MqttDevice.WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + MqttDevice.WAIT + ": " + what.get());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    List<CompletableFuture<?>> closing = new ArrayList<>();
    for (AckingDevice d : devices.values()) {
      if (d.client.getState().isConnected()) {
        closing.add(d.client.disconnect().exceptionally(failure -> null));
      }
    }
    try {
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(MqttDevice.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // The broker goes next anyway.
    }
  }
}
