package dev.fleetflags.device;

import dev.fleetflags.proto.v1.FlagAck;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A device's acknowledgements (README "Acknowledgements", {@code proto/fleetflags/v1/flag_ack.proto}):
 * what it publishes to its ack topic after handling an update, encoded within the protocol's
 * bounds. The broker drops an ack beyond them; here they are refused before anything is sent.
 */
public final class Acks {

  /** The protocol's bounds, in bytes of UTF-8. */
  public static final int MAX_BYTES = 2048;
  public static final int MAX_REJECTED_KEYS = 32;
  public static final int MAX_KEY_BYTES = 1024;
  public static final int MAX_REASON_BYTES = 256;

  private Acks() {}

  /** APPLIED: the device applied the update that brought it {@code set}, and its hash matched. */
  public static byte[] applied(FlagSet set) {
    return applied(set.revision(), set.stateHash());
  }

  /** APPLIED: the device applied the update of {@code revision} and holds a set of hash {@code stateHash}. */
  public static byte[] applied(long revision, int stateHash) {
    return encode(revision, stateHash, FlagAck.Status.APPLIED, List.of(), "");
  }

  /**
   * REJECTED: the device refused the values of {@code keys} in the update of {@code revision};
   * {@code stateHash} is the hash of what it holds instead.
   *
   * @throws IllegalArgumentException beyond the bounds: no key, more than 32, a key empty or
   *     over 1024 bytes, a reason over 256 bytes, or an ack over 2048 bytes
   */
  public static byte[] rejected(long revision, int stateHash, List<String> keys, String reason) {
    if (keys.isEmpty() || keys.size() > MAX_REJECTED_KEYS) {
      throw new IllegalArgumentException("a REJECTED ack names 1 to " + MAX_REJECTED_KEYS + " keys, not " + keys.size());
    }
    for (int i = 0; i < keys.size(); i++) {
      int bytes = utf8Length(keys.get(i));
      if (bytes == 0 || bytes > MAX_KEY_BYTES) {
        throw new IllegalArgumentException("rejected key " + i + " is " + bytes + " bytes; a flag key is 1 to " + MAX_KEY_BYTES);
      }
    }
    return encode(revision, stateHash, FlagAck.Status.REJECTED, keys, reason);
  }

  /**
   * FAILED: the device applied the update of {@code revision} (it holds a set of hash {@code
   * stateHash}) and something broke because of it.
   *
   * @throws IllegalArgumentException if the reason is over 256 bytes (see {@link #cut})
   */
  public static byte[] failed(long revision, int stateHash, String reason) {
    return encode(revision, stateHash, FlagAck.Status.FAILED, List.of(), reason);
  }

  /** The reason as far as it fits an ack: at most 256 bytes of UTF-8, cut between characters. */
  public static String cut(String reason) {
    if (utf8Length(reason) <= MAX_REASON_BYTES) {
      return reason;
    }
    int end = 0;
    int bytes = 0;
    while (end < reason.length()) {
      int next = reason.offsetByCodePoints(end, 1);
      bytes += utf8Length(reason.substring(end, next));
      if (bytes > MAX_REASON_BYTES) {
        break;
      }
      end = next;
    }
    return reason.substring(0, end);
  }

  private static byte[] encode(long revision, int stateHash, FlagAck.Status status, List<String> keys, String reason) {
    if (revision == 0) {
      throw new IllegalArgumentException("an ack answers an update: revision 0 is none");
    }
    int reasonBytes = utf8Length(reason);
    if (reasonBytes > MAX_REASON_BYTES) {
      throw new IllegalArgumentException("the reason is " + reasonBytes + " bytes, more than " + MAX_REASON_BYTES);
    }
    byte[] ack = FlagAck.newBuilder().setRevision(revision).setStateHash(stateHash).setStatus(status)
        .addAllRejectedKeys(keys).setReason(reason).build().toByteArray();
    if (ack.length > MAX_BYTES) {
      throw new IllegalArgumentException("the ack is " + ack.length + " bytes, more than " + MAX_BYTES);
    }
    return ack;
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
