package dev.fleetflags.delivery;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.fleetflags.proto.v1.FlagAck;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Decodes {@code fleetflags.v1.FlagAck} payloads and checks their bounds (see {@code
 * proto/fleetflags/v1/flag_ack.proto}): what a device publishes to its ack topic is whatever it
 * sends, so anything that is not a well-formed ack within the bounds is named and dropped.
 */
final class FlagAcks {

  /** The most an ack payload may take. */
  static final int MAX_BYTES = 2048;
  static final int MAX_REJECTED_KEYS = 32;
  /** A flag key: at most 256 characters of up to 4 bytes. */
  static final int MAX_KEY_BYTES = 1024;
  static final int MAX_REASON_BYTES = 256;

  private FlagAcks() {}

  /** An ack payload as decoded: the ack, or why there is none. */
  record Decoded(@Nullable Ack ack, String problem) {

    static Decoded of(Ack ack) {
      return new Decoded(ack, "");
    }

    static Decoded problem(String problem) {
      return new Decoded(null, problem);
    }
  }

  static Decoded decode(byte[] payload) {
    if (payload.length > MAX_BYTES) {
      return Decoded.problem(tooLarge(payload.length));
    }
    FlagAck ack;
    try {
      ack = FlagAck.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      return Decoded.problem("it is not a FlagAck (" + e.getMessage() + ")");
    }
    AckStatus status = switch (ack.getStatus()) {
      case APPLIED -> AckStatus.APPLIED;
      case REJECTED -> AckStatus.REJECTED;
      case FAILED -> AckStatus.FAILED;
      case STATUS_UNSPECIFIED, UNRECOGNIZED -> null;
    };
    if (status == null) {
      return Decoded.problem("it has no status (APPLIED, REJECTED or FAILED)"
          + (ack.getStatusValue() == 0 ? "" : ", only the unknown value " + ack.getStatusValue()));
    }
    if (ack.getRevision() == 0) {
      return Decoded.problem("it has no revision (the revision of the update it answers)");
    }
    if (!ack.hasStateHash()) {
      return Decoded.problem("it has no state_hash (the hash of what the device holds)");
    }
    List<String> keys = ack.getRejectedKeysList();
    if (keys.size() > MAX_REJECTED_KEYS) {
      return Decoded.problem("it names " + keys.size() + " rejected keys, more than " + MAX_REJECTED_KEYS);
    }
    for (int i = 0; i < keys.size(); i++) {
      int bytes = utf8Length(keys.get(i));
      if (bytes == 0 || bytes > MAX_KEY_BYTES) {
        return Decoded.problem("rejected_keys[" + i + "] is " + bytes + " bytes; a flag key is 1 to " + MAX_KEY_BYTES);
      }
    }
    int reasonBytes = utf8Length(ack.getReason());
    if (reasonBytes > MAX_REASON_BYTES) {
      return Decoded.problem("its reason is " + reasonBytes + " bytes, more than " + MAX_REASON_BYTES);
    }
    return Decoded.of(new Ack(ack.getRevision(), ack.getStateHash(), status, keys, ack.getReason()));
  }

  /** Why a payload of this size is dropped unread. */
  static String tooLarge(int bytes) {
    return "it is " + bytes + " bytes, more than an ack may be (" + MAX_BYTES + ")";
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
