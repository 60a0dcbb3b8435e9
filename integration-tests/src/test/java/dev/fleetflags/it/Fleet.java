package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A broker with the packaged zip, the operator who changes flags, and many devices connected at
 * once, each subscribed and holding its first update; and a way to count what each device received
 * between two moments without depending on timing: a barrier.
 */
final class Fleet implements AutoCloseable {

  /**
   * A flag whose only purpose is to end a counting window: every device holds it, and a new value
   * reaches every device as a one-flag delta after everything published before it.
   */
  static final String BARRIER_FLAG = "barrier";

  /** The barrier flag's entry in a seed document; every seed of a fleet that uses barriers. */
  static final String BARRIER_SEED = barrierFlag(0);

  /** Clients connecting, subscribing or disconnecting at once. */
  private static final int PARALLEL = 32;

  private final EmbeddedBroker broker;
  private final Operator operator;
  private final List<Device> devices;
  private final ExtensionMetrics metrics;
  private long barrier;

  private Fleet(EmbeddedBroker broker, Operator operator, List<Device> devices) {
    this.broker = broker;
    this.operator = operator;
    this.devices = List.copyOf(devices);
    this.metrics = new ExtensionMetrics(broker);
  }

  /**
   * The packaged extension seeded with {@code seedFlags}, letting devices in, with attributes
   * {@code model} and {@code region} from CONNECT user properties, the operator of {@link
   * Operator#mqtt5}, no admin rate limit to speak of, and {@code more} settings.
   */
  static ExtensionSetup setup(String seedFlags, String more) {
    return Scenarios.open(
            List.of("model", "region"),
            """
            <seed-file>%s</seed-file>
            <limits>
                <admin-requests-per-second>100000</admin-requests-per-second>
                <admin-queries-per-second>100000</admin-queries-per-second>
            </limits>
            %s"""
                .formatted(ExtensionSetup.SEED_FILE, more))
        .withSeedFlags(seedFlags);
  }

  /**
   * Starts the embedded broker with the packaged zip and {@code setup}, signs the operator in, sets
   * the devices' registry attributes (before they connect, so they are in their snapshots), then
   * connects and subscribes every device in parallel and waits for each one's first update and
   * until delivery is idle. Whatever it started is closed again if a step fails.
   *
   * @param operatorId the client id of the operator who changes the fleet's flags (and ends
   *     counting windows)
   * @param registry registry attributes by device; empty for none
   */
  static Fleet start(
      ExtensionSetup setup,
      String operatorId,
      Map<String, Map<String, String>> registry,
      List<Device.Spec> specs) {
    EmbeddedBroker broker = EmbeddedBroker.start(setup);
    Operator operator = null;
    try {
      operator = Operator.mqtt5(broker, operatorId);
      if (!registry.isEmpty()) {
        Operator.accepted(operator.attributes(registry));
      }
      List<Device> devices =
          inParallel(
              specs,
              "connecting and subscribing",
              spec -> {
                Device device = Device.connect(broker, spec, new HeldFlags(), null);
                device.subscribe();
                return device;
              });
      for (Device device : devices) {
        device.awaitReceived(1);
      }
      Fleet fleet = new Fleet(broker, operator, devices);
      fleet.metrics.awaitIdle();
      return fleet;
    } catch (RuntimeException | Error e) {
      // Devices that did connect go with the broker.
      Scenarios.close(operator, broker);
      throw e;
    }
  }

  EmbeddedBroker broker() {
    return broker;
  }

  Operator operator() {
    return operator;
  }

  List<Device> devices() {
    return devices;
  }

  int size() {
    return devices.size();
  }

  /** The extension's metrics, on the fleet's broker. */
  ExtensionMetrics metrics() {
    return metrics;
  }

  /** What the extension evaluates for each device, by client id. */
  Map<String, Operator.Evaluated> evaluate() {
    Map<String, Operator.Evaluated> all = new LinkedHashMap<>();
    for (Device d : devices) {
      all.put(d.clientId(), operator.evaluated(d.clientId()));
    }
    return all;
  }

  /** How many updates each device has received so far: the start of a counting window. */
  Map<Device, Integer> mark() {
    Map<Device, Integer> mark = new LinkedHashMap<>();
    for (Device d : devices) {
      mark.put(d, d.receivedCount());
    }
    return mark;
  }

  /**
   * Ends a counting window: waits until the extension has handed every update to the broker, then
   * changes {@link #BARRIER_FLAG} for everyone and waits until every device has it. The broker
   * keeps a device's messages in order, so whatever was published to it before has then arrived.
   * Returns once the barrier's fan-out is complete too, so the next change starts a fan-out of its
   * own.
   *
   * @return per device, the updates it received after {@code mark} and before the barrier's
   */
  Map<Device, List<FlagUpdate>> barrier(Map<Device, Integer> mark) {
    metrics.awaitIdle();
    long fanOuts = metrics.timerCount("fleetflags.fanout.duration");
    long value = ++barrier + 1_000_000;
    Operator.accepted(operator.apply(Scenarios.document(barrierFlag(value))));
    Map<Device, List<FlagUpdate>> window = new LinkedHashMap<>();
    for (Device d : devices) {
      d.awaitHeld(
          held -> Operator.JSON.valueToTree(value).equals(held.jsonValues().get(BARRIER_FLAG)),
          BARRIER_FLAG + " = " + value);
      List<FlagUpdate> received = d.received();
      int end = received.size() - 1;
      while (!isBarrier(received.get(end), value)) {
        end--;
      }
      FlagUpdate barrierUpdate = received.get(end);
      assertFalse(barrierUpdate.getSnapshot(), () -> d + ": " + barrierUpdate);
      assertEquals(1, barrierUpdate.getFlagsCount(), () -> d + ": " + barrierUpdate);
      assertEquals(0, barrierUpdate.getRemovedCount(), () -> d + ": " + barrierUpdate);
      window.put(d, received.subList(mark.getOrDefault(d, 0), end));
    }
    metrics.awaitTimerCount("fleetflags.fanout.duration", fanOuts + 1);
    return window;
  }

  private static boolean isBarrier(FlagUpdate update, long value) {
    return update.getFlagsList().stream()
        .anyMatch(f -> f.getKey().equals(BARRIER_FLAG) && f.getInt() == value);
  }

  private static String barrierFlag(long value) {
    return """
           "%s": {"state": "ENABLED", "variants": {"v": %d}, "defaultVariant": "v"}"""
        .formatted(BARRIER_FLAG, value);
  }

  /** Disconnects the devices, then the operator, then stops the broker. */
  @Override
  public void close() {
    AutoCloseable disconnecting =
        () ->
            inParallel(
                devices,
                "disconnecting",
                device -> {
                  device.close();
                  return device;
                });
    Scenarios.close(disconnecting, operator, broker);
  }

  /**
   * Runs a blocking client step for every item, {@value #PARALLEL} at a time; each waited for
   * within {@link MqttDevice#WAIT}.
   *
   * @return the results, in the order of the items
   */
  private static <T, R> List<R> inParallel(List<T> items, String what, Function<T, R> step) {
    ExecutorService pool =
        Executors.newFixedThreadPool(
            PARALLEL,
            task -> {
              Thread thread = new Thread(task, "fleet " + what);
              thread.setDaemon(true);
              return thread;
            });
    try {
      List<Future<R>> running = new ArrayList<>();
      for (T item : items) {
        running.add(pool.submit(() -> step.apply(item)));
      }
      List<R> results = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        results.add(join(running.get(i), items.get(i) + " " + what));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  private static <T> T join(Future<T> future, String what) {
    try {
      return future.get(MqttDevice.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted: " + what, e);
    } catch (ExecutionException e) {
      throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(what + " did not complete within " + MqttDevice.WAIT, e);
    }
  }
}
