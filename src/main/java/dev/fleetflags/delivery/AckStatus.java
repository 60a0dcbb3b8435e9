package dev.fleetflags.delivery;

/** What a device says of an update it handled ({@code fleetflags.v1.FlagAck.Status}). */
public enum AckStatus {
  /** It applied the update and uses the values. */
  APPLIED,
  /** It refused one or more values of the update. */
  REJECTED,
  /** It applied the update and something broke because of it. */
  FAILED
}
