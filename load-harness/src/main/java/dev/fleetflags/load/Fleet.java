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
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Devices in this process: {@code dev-<first> .. dev-<first+size-1>}, each a real MQTT 5 client
 * (hivemq-mqtt-client, async API, one shared event loop) connecting with its model, region and
 * firmware from the shared population as CONNECT user properties. Everything they receive lands in
 * one inbox with the time it arrived.
 *
 * <p>One connection, so one open file, per device. A run that cannot hold them all, or whose
 * devices fail to connect, ends with the reason and how far it got, never waits without end.
 * All of the harness's devices, or a client process's share of them ({@link FleetProcess}).
 */
final class Fleet implements Devices {

  private static final List<BenchDevices.Device> POPULATION = BenchDevices.generate();

  private final FleetFlagsBroker broker;
  private final int first;
  private final int size;
  private final int connectsInFlight;
  private final Duration wait;
  private final Supplier<OpenFiles> openFiles;
  private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
  private final ConcurrentLinkedQueue<Arrival> inbox = new ConcurrentLinkedQueue<>();
  /** The inbox's size, kept apart: counting a ConcurrentLinkedQueue walks it. */
  private final AtomicInteger inboxSize = new AtomicInteger();

  Fleet(FleetFlagsBroker broker, LoadSettings settings) {
    this(broker, settings, OpenFiles::ofThisProcess);
  }

  /** @param openFiles this process's open files and their limit (tests give their own) */
  Fleet(FleetFlagsBroker broker, LoadSettings settings, Supplier<OpenFiles> openFiles) {
    this(broker, 0, settings.devices(), settings.connectsInFlight(), settings.timeout(), openFiles);
  }

  /** The devices {@code first .. first + size - 1}, with {@code connectsInFlight} of them connecting at once. */
  Fleet(FleetFlagsBroker broker, int first, int size, int connectsInFlight, Duration wait,
      Supplier<OpenFiles> openFiles) {
    this.broker = broker;
    this.first = first;
    this.size = size;
    this.connectsInFlight = connectsInFlight;
    this.wait = wait;
    this.openFiles = openFiles;
  }

  @Override
  public int size() {
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
   * and SUBACK at once. Refuses at once if this process's file limit cannot hold the devices; ends
   * with the reason at the first device that fails, or when none has finished for the bound.
   *
   * @return {@link System#nanoTime} of the last SUBACK
   */
  @Override
  public long connect(String topicTemplate) throws InterruptedException {
    if (!clients.isEmpty()) {
      throw new IllegalStateException("already connected");
    }
    OpenFiles files = openFiles.get();
    if (!files.room(size)) {
      throw new IllegalStateException("cannot connect " + size + " devices: " + files.tooFew("the harness's JVM", size));
    }
    Semaphore slots = new Semaphore(connectsInFlight);
    AtomicLong lastSubAck = new AtomicLong();
    AtomicInteger subscribed = new AtomicInteger();
    AtomicReference<@Nullable Failure> firstFailure = new AtomicReference<>();
    List<CompletableFuture<?>> done = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      if (!slots.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(String.format("no device finished connecting and subscribing for %s,"
            + " with %d between CONNECT and SUBACK: %s", wait, connectsInFlight, progress(i, subscribed.get())));
      }
      Failure failure = firstFailure.get();
      if (failure != null) {
        throw new IllegalStateException(failure.why() + "; " + progress(i, subscribed.get()), failure.cause());
      }
      int device = first + i;
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
          p -> {
            inbox.add(new Arrival(device, System.nanoTime(), p.getPayloadAsBytes()));
            inboxSize.incrementAndGet();
          });
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
                  (subAck, failed) -> {
                    if (failed == null) {
                      lastSubAck.accumulateAndGet(System.nanoTime(), Math::max);
                      subscribed.incrementAndGet();
                    } else {
                      firstFailure.compareAndSet(null, new Failure(id(device), failed));
                    }
                    slots.release();
                  }));
    }
    await(done, "connect and subscribe");
    return lastSubAck.get();
  }

  /** The first device that failed to connect or subscribe, and why, in words. */
  private record Failure(String device, Throwable cause) {

    String why() {
      Throwable root = cause;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String reason = device + " failed to connect and subscribe: " + root;
      return String.valueOf(root.getMessage()).contains("Too many open files")
          ? reason + " (the process's file-descriptor limit, ulimit -n, is reached)"
          : reason;
    }
  }

  /** How far connecting got, and this process's open files. */
  private String progress(int started, int subscribed) {
    return String.format("%d of %d devices started connecting, %d connected and subscribed; the harness's"
        + " JVM has %s", started, size, subscribed, openFiles.get());
  }

  /** Disconnects every device and forgets them. */
  @Override
  public void disconnect() throws InterruptedException {
    List<CompletableFuture<?>> done = new ArrayList<>(clients.size());
    for (Mqtt5AsyncClient c : clients) {
      done.add(c.disconnect());
    }
    clients.clear();
    await(done, "disconnect");
  }

  /**
   * Waits until the inbox holds at least {@code count} messages, or until none has arrived for the
   * settings' bound (a loaded machine is slow, a broken broker silent).
   *
   * @return false if the bound passed first
   */
  @Override
  public boolean awaitArrivals(int count) throws InterruptedException {
    return awaitProgress(inboxSize::get, count);
  }

  /** Until {@code done} reaches {@code count}; false once it has not grown for the bound. */
  private boolean awaitProgress(IntSupplier done, int count) throws InterruptedException {
    return awaitProgress(done, count, wait);
  }

  /** Until {@code done} reaches {@code count}; false once it has not grown for {@code wait}. */
  static boolean awaitProgress(IntSupplier done, int count, Duration wait) throws InterruptedException {
    int seen = done.getAsInt();
    long deadline = System.nanoTime() + wait.toNanos();
    while (seen < count) {
      Thread.sleep(2);
      int now = done.getAsInt();
      if (now > seen) {
        seen = now;
        deadline = System.nanoTime() + wait.toNanos();
      } else if (System.nanoTime() > deadline) {
        return false;
      }
    }
    return true;
  }

  /** How many messages wait in the inbox. */
  @Override
  public int arrived() {
    return inboxSize.get();
  }

  /** Takes everything received so far out of the inbox. */
  @Override
  public List<Arrival> takeArrivals() {
    List<Arrival> taken = new ArrayList<>();
    for (Arrival a = inbox.poll(); a != null; a = inbox.poll()) {
      taken.add(a);
      inboxSize.decrementAndGet();
    }
    return taken;
  }

  /** Until every device's step is done; fails on the first error or when none completes for the bound. */
  private void await(List<CompletableFuture<?>> all, String what) throws InterruptedException {
    CompletableFuture<?>[] futures = all.toArray(CompletableFuture[]::new);
    AtomicInteger done = new AtomicInteger();
    for (CompletableFuture<?> f : futures) {
      f.whenComplete((result, failure) -> done.incrementAndGet());
    }
    if (!awaitProgress(done::get, futures.length)) {
      long open = all.stream().filter(f -> !f.isDone()).count();
      throw new IllegalStateException(open + " of " + all.size() + " devices did not " + what
          + ", none for " + wait + "; the harness's JVM has " + openFiles.get());
    }
    try {
      CompletableFuture.allOf(futures).join();
    } catch (CompletionException e) {
      long failed = all.stream().filter(CompletableFuture::isCompletedExceptionally).count();
      throw new IllegalStateException(failed + " of " + all.size() + " devices failed to " + what
          + ", the first: " + e.getCause() + "; the harness's JVM has " + openFiles.get(), e.getCause());
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
