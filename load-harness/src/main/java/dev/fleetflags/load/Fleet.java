package dev.fleetflags.load;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import dev.fleetflags.bench.BenchDevices;
import dev.fleetflags.it.FleetFlagsBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The devices: {@code dev-0 .. dev-<n-1>}, each a real MQTT 5 client (hivemq-mqtt-client, async
 * API, one shared event loop) connecting with its model, region and firmware from the shared
 * population as CONNECT user properties. Everything they receive lands in one inbox with the time
 * it arrived.
 */
final class Fleet implements AutoCloseable {

  /** A message a device received: which device, when ({@link System#nanoTime}), the payload. */
  record Arrival(int device, long nanos, byte[] payload) {}

  private static final List<BenchDevices.Device> POPULATION = BenchDevices.generate();

  private final FleetFlagsBroker broker;
  private final int size;
  private final int connectsInFlight;
  private final Duration wait;
  private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
  private final ConcurrentLinkedQueue<Arrival> inbox = new ConcurrentLinkedQueue<>();

  Fleet(FleetFlagsBroker broker, LoadSettings settings) {
    this.broker = broker;
    this.size = settings.devices();
    this.connectsInFlight = settings.connectsInFlight();
    this.wait = settings.timeout();
  }

  int size() {
    return size;
  }

  static String id(int device) {
    return "dev-" + device;
  }

  /** The attributes the device reports; the population of 10,000 repeats beyond that. */
  static Map<String, String> attributes(int device) {
    Map<String, Object> a = POPULATION.get(device % POPULATION.size()).attributes();
    return Map.of(
        "model", (String) a.get("model"),
        "region", (String) a.get("region"),
        "firmware", (String) a.get("firmware"));
  }

  /**
   * Connects every device (clean start) and subscribes each, QoS 1, to its topic from the template
   * ({@code {clientId}} replaced), with at most {@code connectsInFlight} devices between CONNECT
   * and SUBACK at once.
   *
   * @return {@link System#nanoTime} of the last SUBACK
   */
  long connect(String topicTemplate) throws InterruptedException {
    if (!clients.isEmpty()) {
      throw new IllegalStateException("already connected");
    }
    Semaphore slots = new Semaphore(connectsInFlight);
    AtomicLong lastSubAck = new AtomicLong();
    List<CompletableFuture<?>> done = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      slots.acquire();
      int device = i;
      Mqtt5AsyncClient client =
          Mqtt5Client.builder()
              .identifier(id(device))
              .serverHost(broker.host())
              .serverPort(broker.mqttPort())
              .buildAsync();
      clients.add(client);
      // before CONNECT, so nothing sent right after the SUBACK is missed
      client.publishes(
          MqttGlobalPublishFilter.ALL,
          p -> inbox.add(new Arrival(device, System.nanoTime(), p.getPayloadAsBytes())));
      var properties = client.connectWith().cleanStart(true).userProperties();
      attributes(device).forEach(properties::add);
      done.add(
          properties
              .applyUserProperties()
              .send()
              .thenCompose(
                  ack ->
                      client
                          .subscribeWith()
                          .topicFilter(topicTemplate.replace("{clientId}", id(device)))
                          .qos(MqttQos.AT_LEAST_ONCE)
                          .send())
              .whenComplete(
                  (subAck, failure) -> {
                    lastSubAck.accumulateAndGet(System.nanoTime(), Math::max);
                    slots.release();
                  }));
    }
    await(done, "connect and subscribe");
    return lastSubAck.get();
  }

  /** Disconnects every device and forgets them. */
  void disconnect() throws InterruptedException {
    List<CompletableFuture<?>> done = new ArrayList<>(clients.size());
    for (Mqtt5AsyncClient c : clients) {
      done.add(c.disconnect());
    }
    clients.clear();
    await(done, "disconnect");
  }

  /**
   * Waits until the inbox holds at least {@code count} messages, within the settings' bound.
   *
   * @return false if the bound passed first
   */
  boolean awaitArrivals(int count) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (inbox.size() < count) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(2);
    }
    return true;
  }

  /** How many messages wait in the inbox. */
  int arrived() {
    return inbox.size();
  }

  /** Takes everything received so far out of the inbox. */
  List<Arrival> takeArrivals() {
    List<Arrival> taken = new ArrayList<>();
    for (Arrival a = inbox.poll(); a != null; a = inbox.poll()) {
      taken.add(a);
    }
    return taken;
  }

  private void await(List<CompletableFuture<?>> all, String what) throws InterruptedException {
    try {
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      long open = all.stream().filter(f -> !f.isDone()).count();
      throw new IllegalStateException(open + " of " + all.size() + " devices did not " + what
          + " within " + wait, e);
    } catch (java.util.concurrent.ExecutionException e) {
      long failed = all.stream().filter(CompletableFuture::isCompletedExceptionally).count();
      throw new IllegalStateException(failed + " of " + all.size() + " devices failed to " + what,
          e.getCause());
    }
  }

  @Override
  public void close() {
    for (Mqtt5AsyncClient c : clients) {
      c.disconnect();
    }
    clients.clear();
  }
}
