package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Many devices connected at once, each subscribed and holding its first update, and a way to count
 * what each received between two moments without depending on timing: a barrier.
 */
final class FanOutFleet implements AutoCloseable {

  /**
   * A flag whose only purpose is to end a counting window: every device holds it, and a new value
   * reaches every device as a one-flag delta after everything published before it.
   */
  static final String BARRIER_FLAG = "barrier";

  private final List<FanOutDevice> devices;
  private long barrier;

  private FanOutFleet(List<FanOutDevice> devices) {
    this.devices = List.copyOf(devices);
  }

  /**
   * The packaged extension seeded with {@code seedFlags}, letting devices in, with attributes
   * {@code model} and {@code region} from CONNECT user properties, the operator of {@link
   * FanOutOperator#connect}, no admin rate limit to speak of, and {@code more} settings.
   */
  static ExtensionSetup setup(String seedFlags, String more) {
    return ExtensionSetup.asPackaged()
        .withConfig(
            """
            <fleetflags>
                <seed-file>%s</seed-file>
                <device-authentication>allow</device-authentication>
                <attributes>
                    <user-property>model</user-property>
                    <user-property>region</user-property>
                </attributes>
                <operators>
                    <operator><username>ops</username><password-hash>%s</password-hash></operator>
                </operators>
                <limits><admin-requests-per-second>100000</admin-requests-per-second></limits>
                %s
            </fleetflags>
            """
                .formatted(ExtensionSetup.SEED_FILE, ExtensionStartScenarios.OPERATOR_HASH, more))
        .withSeedFlags(seedFlags);
  }

  /** Connects and subscribes every device in parallel, and waits for each one's first update. */
  static FanOutFleet online(FleetFlagsBroker broker, List<FanOutDevice.Spec> specs) {
    List<CompletableFuture<FanOutDevice>> connecting = new ArrayList<>();
    for (FanOutDevice.Spec spec : specs) {
      connecting.add(
          FanOutDevice.connect(broker, spec, new FanOutHeldFlags(), null)
              .thenCompose(d -> d.subscribe().thenApply(ignored -> d)));
    }
    FanOutDevice.join(
        CompletableFuture.allOf(connecting.toArray(CompletableFuture[]::new)),
        specs.size() + " devices connecting and subscribing");
    List<FanOutDevice> devices = new ArrayList<>();
    for (CompletableFuture<FanOutDevice> c : connecting) {
      FanOutDevice device = c.join();
      device.awaitReceived(1);
      devices.add(device);
    }
    return new FanOutFleet(devices);
  }

  List<FanOutDevice> devices() {
    return devices;
  }

  int size() {
    return devices.size();
  }

  /** What the extension evaluates for each device, by client id. */
  Map<String, FanOutOperator.Evaluated> evaluate(FanOutOperator operator) {
    Map<String, FanOutOperator.Evaluated> all = new LinkedHashMap<>();
    for (FanOutDevice d : devices) {
      all.put(d.clientId(), operator.evaluate(d.clientId()));
    }
    return all;
  }

  /** How many updates each device has received so far: the start of a counting window. */
  Map<FanOutDevice, Integer> mark() {
    Map<FanOutDevice, Integer> mark = new LinkedHashMap<>();
    for (FanOutDevice d : devices) {
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
  Map<FanOutDevice, List<FlagUpdate>> barrier(
      Map<FanOutDevice, Integer> mark, FanOutOperator operator, FanOutMetrics metrics) {
    metrics.awaitIdle();
    long fanOuts = metrics.timerCount("fleetflags.fanout.duration");
    long value = ++barrier + 1_000_000;
    operator.apply(document(barrierFlag(value)));
    Map<FanOutDevice, List<FlagUpdate>> window = new LinkedHashMap<>();
    for (FanOutDevice d : devices) {
      d.awaitHeld(
          held -> FanOutOperator.JSON.valueToTree(value).equals(held.values().get(BARRIER_FLAG)),
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

  /** The barrier flag's entry in a seed document; every seed of a fleet that uses barriers. */
  static final String BARRIER_SEED = barrierFlag(0);

  private static String barrierFlag(long value) {
    return """
           "%s": {"state": "ENABLED", "variants": {"v": %d}, "defaultVariant": "v"}"""
        .formatted(BARRIER_FLAG, value);
  }

  /** A flagd document of flag entries ({@code "key": {...}}). */
  static String document(String... flags) {
    return "{\"flags\": {" + String.join(",\n", flags) + "}}";
  }

  @Override
  public void close() {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (FanOutDevice d : devices) {
      closing.add(d.disconnect());
    }
    FanOutDevice.join(
        CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)),
        "the fleet disconnecting");
  }
}
