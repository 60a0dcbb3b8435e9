package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.proto.v1.FlagAck;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Test;

/**
 * Ack payloads: each status decodes, whatever is not an ack within its bounds is named; and, fuzzed
 * (saved inputs: {@code FlagAcksTestInputs/anyPayload/}), any bytes are an ack within the bounds
 * or a reason, never an exception.
 */
class FlagAcksTest {

  @FuzzTest(maxDuration = "5m")
  void anyPayload(byte[] payload) {
    FlagAcks.Decoded decoded = FlagAcks.decode(payload);
    Ack ack = decoded.ack();
    if (ack == null) {
      assertTrue(!decoded.problem().isEmpty(), "a dropped ack has a reason");
      return;
    }
    assertTrue(payload.length <= FlagAcks.MAX_BYTES);
    assertTrue(ack.revision() != 0);
    assertTrue(ack.rejectedKeys().size() <= FlagAcks.MAX_REJECTED_KEYS);
    for (String key : ack.rejectedKeys()) {
      int bytes = key.getBytes(StandardCharsets.UTF_8).length;
      assertTrue(bytes >= 1 && bytes <= FlagAcks.MAX_KEY_BYTES, key);
    }
    assertTrue(ack.reason().getBytes(StandardCharsets.UTF_8).length <= FlagAcks.MAX_REASON_BYTES);
    byte[] again = FlagAck.newBuilder().setRevision(ack.revision()).setStateHash(ack.stateHash())
        .setStatus(FlagAck.Status.valueOf(ack.status().name())).addAllRejectedKeys(ack.rejectedKeys())
        .setReason(ack.reason()).build().toByteArray();
    assertEquals(ack, FlagAcks.decode(again).ack(), "what was read is what a device would send");
  }

  private static FlagAck.Builder ack(long revision, FlagAck.Status status) {
    return FlagAck.newBuilder().setRevision(revision).setStateHash(0x2d6d5009).setStatus(status);
  }

  private static String problem(byte[] payload) {
    FlagAcks.Decoded decoded = FlagAcks.decode(payload);
    assertNull(decoded.ack(), "dropped: " + decoded);
    return decoded.problem();
  }

  @Test
  void eachStatusDecodesWithItsRevisionHashKeysAndReason() {
    assertEquals(new Ack(12, 0x2d6d5009, AckStatus.APPLIED, List.of(), ""),
        FlagAcks.decode(ack(12, FlagAck.Status.APPLIED).build().toByteArray()).ack());
    assertEquals(new Ack(12, 0x2d6d5009, AckStatus.REJECTED, List.of("ota", "level"), "level 900 is above 100"),
        FlagAcks.decode(ack(12, FlagAck.Status.REJECTED).addRejectedKeys("ota").addRejectedKeys("level")
            .setReason("level 900 is above 100").build().toByteArray()).ack());
    assertEquals(new Ack(3, 0x2d6d5009, AckStatus.FAILED, List.of(), "watchdog reset after applying"),
        FlagAcks.decode(ack(3, FlagAck.Status.FAILED).setReason("watchdog reset after applying").build().toByteArray()).ack());
  }

  @Test
  void theHashOfAnEmptySetIsAHash() {
    byte[] payload = FlagAck.newBuilder().setRevision(5).setStateHash(0).setStatus(FlagAck.Status.APPLIED).build().toByteArray();
    assertEquals(0, FlagAcks.decode(payload).ack().stateHash());
  }

  @Test
  void aFlagAckIsSmall() {
    // What a device sends most: revision 1000, a hash, APPLIED.
    assertEquals(10, ack(1000, FlagAck.Status.APPLIED).build().getSerializedSize());
  }

  @Test
  void whatIsNoFlagAckIsNamed() {
    assertTrue(problem("not protobuf at all".getBytes(StandardCharsets.UTF_8)).startsWith("it is not a FlagAck"));
    assertTrue(problem(new byte[] {(byte) 0x82, 0x01}).startsWith("it is not a FlagAck"), "a field cut short");
    // a string that is not UTF-8 (proto3 requires it)
    byte[] applied = ack(5, FlagAck.Status.FAILED).build().toByteArray();
    byte[] badUtf8 = java.util.Arrays.copyOf(applied, applied.length + 4);
    System.arraycopy(new byte[] {0x2a, 2, (byte) 0xC0, (byte) 0x80}, 0, badUtf8, applied.length, 4); // reason: overlong NUL
    assertTrue(problem(badUtf8).startsWith("it is not a FlagAck"), problem(badUtf8));
    assertEquals("it has no status (APPLIED, REJECTED or FAILED)", problem(new byte[0]));
    assertEquals("it has no status (APPLIED, REJECTED or FAILED)",
        problem(FlagAck.newBuilder().setRevision(5).setStateHash(1).build().toByteArray()));
    assertEquals("it has no status (APPLIED, REJECTED or FAILED), only the unknown value 9",
        problem(FlagAck.newBuilder().setRevision(5).setStateHash(1).setStatusValue(9).build().toByteArray()));
    assertEquals("it has no revision (the revision of the update it answers)",
        problem(ack(0, FlagAck.Status.APPLIED).build().toByteArray()));
    assertEquals("it has no state_hash (the hash of what the device holds)",
        problem(ack(5, FlagAck.Status.APPLIED).clearStateHash().build().toByteArray()));
  }

  @Test
  void everyBoundIsCheckedAtItsLimit() {
    String key = "k".repeat(FlagAcks.MAX_KEY_BYTES);
    assertEquals(AckStatus.REJECTED, FlagAcks.decode(ack(5, FlagAck.Status.REJECTED).addRejectedKeys(key)
        .setReason("r".repeat(FlagAcks.MAX_REASON_BYTES)).build().toByteArray()).ack().status());
    assertEquals("rejected_keys[1] is 1025 bytes; a flag key is 1 to 1024", problem(ack(5, FlagAck.Status.REJECTED)
        .addRejectedKeys("ota").addRejectedKeys(key + "k").build().toByteArray()));
    assertEquals("rejected_keys[0] is 0 bytes; a flag key is 1 to 1024",
        problem(ack(5, FlagAck.Status.REJECTED).addRejectedKeys("").build().toByteArray()));
    // 256 bytes of UTF-8 are 128 two-byte characters
    assertEquals(AckStatus.FAILED, FlagAcks.decode(ack(5, FlagAck.Status.FAILED).setReason("ü".repeat(128)).build()
        .toByteArray()).ack().status());
    assertEquals("its reason is 258 bytes, more than 256",
        problem(ack(5, FlagAck.Status.FAILED).setReason("ü".repeat(129)).build().toByteArray()));
    List<String> keys = Collections.nCopies(FlagAcks.MAX_REJECTED_KEYS, "k");
    assertEquals(32, FlagAcks.decode(ack(5, FlagAck.Status.REJECTED).addAllRejectedKeys(keys).build().toByteArray())
        .ack().rejectedKeys().size());
    assertEquals("it names 33 rejected keys, more than 32",
        problem(ack(5, FlagAck.Status.REJECTED).addAllRejectedKeys(keys).addRejectedKeys("k").build().toByteArray()));
    byte[] large = ack(5, FlagAck.Status.REJECTED).addAllRejectedKeys(Collections.nCopies(3, key)).build().toByteArray();
    assertEquals("it is " + large.length + " bytes, more than an ack may be (2048)", problem(large));
  }

  @Test
  void fieldsOfLaterVersionsAreSkipped() {
    byte[] known = ack(7, FlagAck.Status.APPLIED).build().toByteArray();
    byte[] withUnknown = java.util.Arrays.copyOf(known, known.length + 2);
    withUnknown[known.length] = (byte) (9 << 3); // field 9, a varint
    withUnknown[known.length + 1] = 1;
    assertEquals(7, FlagAcks.decode(withUnknown).ack().revision());
  }
}
