package dev.fleetflags.load;

import java.util.List;

/**
 * What a run measured. Times are nanoseconds per round, FleetFlags' beside the bare baseline's of
 * the same round on the same broker; {@code fanOutAnswered}: when the operator had the admin
 * answer (validated, durably written, planned). {@code connect} is against connect + subscribe
 * alone, {@code connectFirstMessage} against that followed by one message of the snapshot's size
 * the broker publishes itself. {@code problems} lists every correctness check that failed (empty:
 * the run is valid). {@code fanOutFirst}: until the first device had its delta, and the first its
 * baseline message.
 */
public record LoadResults(
    int devices,
    int rounds,
    Timing fanOut,
    Timing fanOutFirst,
    List<Long> fanOutAnswered,
    Timing connect,
    Timing connectFirstMessage,
    Rollout rollout,
    WireBytes bytes,
    Heap heap,
    List<String> problems) {

  public LoadResults {
    fanOutAnswered = List.copyOf(fanOutAnswered);
    problems = List.copyOf(problems);
  }

  /** Rounds timed with FleetFlags and with the bare baseline, in nanoseconds. */
  public record Timing(List<Long> fleetFlags, List<Long> bare) {

    public Timing {
      fleetFlags = List.copyOf(fleetFlags);
      bare = List.copyOf(bare);
    }

    static long median(List<Long> values) {
      List<Long> sorted = values.stream().sorted().toList();
      return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
    }

    /** FleetFlags' median time over the baseline's: above 1 is slower. */
    public double ratio() {
      return (double) median(fleetFlags) / median(bare);
    }
  }

  /**
   * The 10% to 20% step: devices whose value the prediction says changed, devices the admin answer
   * said are affected, messages devices received, deltas FleetFlags counted as sent, and whether
   * the devices that received one are exactly the predicted ones with the predicted value.
   */
  public record Rollout(int predicted, int affected, int received, long sent, boolean exact) {}

  /**
   * Bytes of MQTT payload FleetFlags sent beside what flag services' streams send for the same
   * change: the one-flag boolean delta, the rollout step's delta, the 50-flag snapshot (dev-0's,
   * and the smallest, median and largest over the fleet).
   */
  public record WireBytes(
      String deltaFlag,
      int delta,
      int rolloutDelta,
      int snapshotDev0,
      int snapshotMin,
      int snapshotMedian,
      int snapshotMax,
      int launchDarklyPatch,
      int launchDarklyRolloutPatch,
      int launchDarklyPut,
      int flagdSyncDelta,
      int flagdSyncRollout,
      int flagdSyncSnapshot) {}

  /**
   * Broker heap after full GCs before and after the devices connected, with FleetFlags (devices on
   * their flag topic, holding their snapshot) and in a broker without it (the same devices on the
   * same topics, each sent one message of the snapshot's size).
   */
  public record Heap(long flagsBefore, long flagsAfter, long bareBefore, long bareAfter, int devices) {

    /** The extension's heap per indexed device. */
    public double perDevice() {
      return ((flagsAfter - flagsBefore) - (double) (bareAfter - bareBefore)) / devices;
    }

    /** What a connected, subscribed device costs the broker without FleetFlags. */
    public double brokerPerDevice() {
      return (bareAfter - bareBefore) / (double) devices;
    }
  }
}
