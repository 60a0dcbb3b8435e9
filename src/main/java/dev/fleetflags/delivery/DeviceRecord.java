package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import org.jspecify.annotations.Nullable;

/**
 * What the extension keeps about one connected device: its attributes (their names and values
 * shared with other devices), whether it is subscribed to its flag topic, what it was last sent,
 * and the work pending for it. Kept small on purpose: a fleet of millions has one of these per
 * connected device (48 bytes, with compressed references; what few devices have at a time, a
 * presented state hash and retries, is kept beside the records). Fields are guarded by the
 * record's monitor, except {@link #attributes}, which is volatile.
 *
 * <p>One per connection, made by whoever follows the broker's connections and handed to {@link
 * FlagDelivery#connected}: the record itself tells this connection from another one with the same
 * client id (a session takeover; the broker reports the events of overlapping connections in no
 * particular order, see {@link DeviceIndex}). The broker
 * side's per-connection listener is a subclass, so a connection costs no object of its own
 * besides. Its state is delivery's: nothing of it is visible outside this package.
 */
public class DeviceRecord {

  static final long NOTHING_SENT = -1;

  /** Set once, by {@link FlagDelivery#connected}, before the record is shared. */
  String clientId = "";
  /** What the connection says about the device (interned; no targeting key). Set with the id. */
  DeviceContext facts = DeviceContext.empty();
  /**
   * The device's attributes (no targeting key): {@link #facts} itself if the registry has none for
   * it, else interned of their own. Built by the first delivery; replaced when its registry
   * attributes change.
   */
  volatile @Nullable DeviceContext attributes;

  /** The revision, state hash and attributes of what the device was last sent. */
  long sentRevision = NOTHING_SENT;
  int sentHash;
  @Nullable DeviceContext sentAttributes;

  boolean subscribed;
  /**
   * This connection's own subscription to its flag topic was acknowledged (its SUBACK, not one
   * carried over from a connection it took over; or, when a SUBACK of its client id came before its
   * start was reported, the broker's word that it holds the subscription); cleared once the broker
   * is found to hold none even after {@link #subscriptionRestored}.
   */
  boolean subscriptionAcknowledged;
  /** Since its SUBACK, the broker was found to hold no subscription for it, and it was added again. */
  boolean subscriptionRestored;
  /** The device asked for its set (subscribe or resync): a snapshot, a delta from what it holds, or a confirmation. */
  boolean wantSnapshot;
  /** A change may affect the device: send the difference between what it was sent and what is current. */
  boolean wantSync;
  /**
   * In the delivery queue or being worked on: a device is there at most once, so its updates are
   * worked out one at a time and published in order; work that arrives meanwhile merges, and is
   * taken up when the current piece is done.
   */
  boolean queued;

  public DeviceRecord() {}

  boolean hasWork() {
    return wantSnapshot || wantSync;
  }
}
