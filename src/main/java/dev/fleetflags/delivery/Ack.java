package dev.fleetflags.delivery;

import java.util.List;

/**
 * A device's acknowledgement of an update, decoded and within its bounds ({@link FlagAcks}).
 *
 * @param revision the revision of the update it answers
 * @param stateHash the state hash of what the device holds now
 * @param status what it did with the update
 * @param rejectedKeys the keys it refused (REJECTED)
 * @param reason why (REJECTED, FAILED), or empty
 */
public record Ack(long revision, int stateHash, AckStatus status, List<String> rejectedKeys, String reason) {

  public Ack {
    rejectedKeys = List.copyOf(rejectedKeys);
  }
}
