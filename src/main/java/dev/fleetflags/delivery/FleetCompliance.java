package dev.fleetflags.delivery;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * What this broker knows of how its devices took the recent changes: per revision, how many
 * devices it targeted and where each of them stands (pending, delivered, applied, rejected, failed),
 * from delivery and from the devices' acks; per flag, which values its connected devices hold.
 * Every figure is this broker's own devices'; with several brokers each counts its own.
 *
 * <p>Safe from any thread; every figure is read when asked. Timestamps come from {@link #clock()}.
 */
public interface FleetCompliance {

  /** The revisions tracked, oldest first: the newest writes, at most {@code compliance-revisions}. */
  List<RevisionCompliance> revisions();

  /** The figures of one revision, or null if it is not (or no longer) tracked. */
  @Nullable RevisionCompliance revision(long revision);

  /** The newest tracked revision's figures, or null before the first change. */
  @Nullable RevisionCompliance latest();

  /** The tracked revisions that changed or removed the flag, newest first. */
  List<RevisionCompliance> forFlag(String key);

  /**
   * The devices that applied the revision and then disconnected, and have not connected again
   * since (with when they left), as far as this broker remembers departures.
   */
  List<Departure> departedAfterApplying(long revision);

  /**
   * How many devices disconnected from this broker at or after {@code since} and have not
   * connected again: the fleet's own rate of departures, to compare a wave's with.
   */
  int departedSince(Instant since);

  /** Devices connected to this broker now. */
  int connectedDevices();

  /**
   * Which values the connected devices subscribed to their flag topic hold of the flag, from what
   * delivery sent each of them, counted by walking them (off the caller's thread, bounded in time).
   */
  CompletableFuture<FlagHoldings> holdings(String key);

  /** The clock of every timestamp here. */
  Clock clock();

  /**
   * One tracked revision. The states are exclusive: every device the revision {@code targeted} is
   * in exactly one of pending, delivered, applied, rejected, failed and superseded.
   *
   * @param revision the store revision
   * @param planned when delivery planned it (and the devices it targets were counted)
   * @param changed the flags it changed (and those reading a changed evaluator)
   * @param removed the flags it removed
   * @param targeted connected devices whose flags it altered: its write's {@code devicesAffected} here
   * @param delivered the broker took the device's update, and the device has not acked it (yet); a
   *     device that never acks stays here
   * @param applied the device acked APPLIED (an update of this revision or a later one)
   * @param rejected the device acked REJECTED
   * @param failed the device acked FAILED (also after APPLIED)
   * @param superseded a later change made the update unnecessary before it was sent (it reverted
   *     this one for the device), so nothing was sent and nothing will be acked
   * @param departed of the applied, the devices that then disconnected and have not returned
   * @param rejectedByFlag REJECTED acks naming each flag this revision changed or removed
   */
  record RevisionCompliance(long revision, Instant planned, Set<String> changed, Set<String> removed, long targeted,
      long delivered, long applied, long rejected, long failed, long superseded, long departed,
      Map<String, Long> rejectedByFlag) {

    public RevisionCompliance {
      changed = Set.copyOf(changed);
      removed = Set.copyOf(removed);
      rejectedByFlag = Map.copyOf(rejectedByFlag);
    }

    /** Targeted devices whose update the broker has not taken yet (or will not: gone meanwhile). */
    public long pending() {
      return targeted - delivered - applied - rejected - failed - superseded;
    }
  }

  /** A device that disconnected from this broker, at that time (of {@link #clock()}). */
  record Departure(String clientId, Instant at) {}

  /**
   * The values the connected devices hold of one flag.
   *
   * @param flag the flag's key
   * @param revision the revision devices are being served
   * @param devices the subscribed devices counted
   * @param values each value devices hold, with how many hold it, most held first
   * @param noValue devices without a value for it (it is disabled, missing or gives none for them,
   *     or cannot fit their maximum packet size): they use their built-in default
   * @param notSent devices that have not been sent their set yet
   * @param unknown devices last sent a revision older than delivery keeps (history-revisions)
   * @param current of all these, the devices that hold what they would be sent now
   * @param complete false if the walk stopped at its time bound before it had seen every device
   */
  record FlagHoldings(String flag, long revision, long devices, List<ValueHolding> values, long noValue, long notSent,
      long unknown, long current, boolean complete) {

    public FlagHoldings {
      values = List.copyOf(values);
    }
  }

  /** How many devices hold one value (Boolean, Long, Double, String, or a JSON object as a Map). */
  record ValueHolding(Object value, long devices) {}
}
