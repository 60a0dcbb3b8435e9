package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * What the extension keeps about one connected device: how to build its context, whether it is
 * subscribed to its flag topic, what it last received, and what work is pending for it. Fields
 * other than the context are guarded by the record's monitor.
 */
final class DeviceRecord {

  static final long NOTHING_SENT = -1;

  final String clientId;
  final ConnectionFacts facts;
  /** Built on first use; cleared when the device's registry attributes change. */
  volatile @Nullable DeviceContext context;
  /** Whether the device's worker task is queued or running; it is queued at most once. */
  final AtomicBoolean scheduled = new AtomicBoolean();

  boolean subscribed;
  /** The state hash the device said it holds, until the next snapshot decision uses it. */
  @Nullable Integer presentedHash;
  long sentRevision = NOTHING_SENT;
  int sentHash;
  boolean wantSnapshot;
  int attempts;

  DeviceRecord(String clientId, ConnectionFacts facts, @Nullable Integer presentedHash) {
    this.clientId = clientId;
    this.facts = facts;
    this.presentedHash = presentedHash;
  }
}
