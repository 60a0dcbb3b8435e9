package dev.fleetflags.device;

import static dev.fleetflags.device.Updates.confirmation;
import static dev.fleetflags.device.Updates.delta;
import static dev.fleetflags.device.Updates.flag;
import static dev.fleetflags.device.Updates.json;
import static dev.fleetflags.device.Updates.snapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.fleetflags.device.UpdateRefused.Why;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Applying updates as the README's device protocol says, and refusing what it must not apply. */
class FlagSetTest {

  private static final Flag OTA = flag("ota", true);
  private static final Flag LEVEL = flag("level", 42L);
  private static final Flag MODE = flag("mode", "eco");

  @Test
  void theReadmeSetIsAcceptedWithTheReadmeHash() throws Exception {
    FlagUpdate update = FlagUpdate.newBuilder().setRevision(7).setSnapshot(true)
        .addAllFlags(List.of(OTA, LEVEL, MODE)).setStateHash(0x83bc7269).build();
    FlagSet set = FlagSet.apply(null, update.toByteArray()).set();
    assertEquals(0x83bc7269, set.stateHash());
    assertEquals(7, set.revision());
    assertEquals(List.of("level", "mode", "ota"), List.copyOf(set.flags().keySet()));
  }

  @Test
  void aOneFlagBooleanDeltaIsAsSmallAsTheReadmeSays() {
    // README: 12 + len(key) + len(varint(revision)) bytes: 20 for ota-v2 at revision 1000
    Flag ota = flag("ota-v2", true);
    assertEquals(20, delta(1000, List.of(ota), List.of(), List.of(ota)).toByteArray().length);
  }

  @Test
  void aSnapshotReplacesEverything() throws Exception {
    FlagSet held = apply(null, snapshot(1, OTA, LEVEL)).set();
    FlagSet.Applied applied = apply(held, snapshot(2, MODE));
    assertEquals(Set.of("mode"), applied.set().flags().keySet());
    assertEquals(Set.of("ota", "level", "mode"), applied.changed());
    assertEquals(2, applied.set().revision());
  }

  @Test
  void aDeltaSetsChangesAndRemovesAndLeavesTheRest() throws Exception {
    FlagSet held = apply(null, snapshot(1, OTA, LEVEL, MODE)).set();
    Flag level = flag("level", 43L);
    Flag added = flag("new", 0.25);
    FlagSet.Applied applied =
        apply(held, delta(2, List.of(level, added), List.of("ota"), List.of(level, added, MODE)));
    assertEquals(Set.of("level", "new", "ota"), applied.changed());
    assertEquals(43L, applied.set().get("level").value());
    assertEquals("eco", applied.set().get("mode").value());
    assertNull(applied.set().get("ota"));
    // the set it was applied to is as it was
    assertEquals(true, held.get("ota").value());
  }

  @Test
  void anEmptyUpdateConfirmsTheSetAtItsRevision() throws Exception {
    FlagSet held = apply(null, snapshot(1, OTA, MODE)).set();
    FlagSet.Applied applied = apply(held, confirmation(9, List.of(OTA, MODE)));
    assertEquals(Set.of(), applied.changed());
    assertEquals(held.flags(), applied.set().flags());
    assertEquals(9, applied.set().revision());
  }

  @Test
  void aChangedVariantAloneIsAChange() throws Exception {
    FlagSet held = apply(null, snapshot(1, flag("ota", true, "on"))).set();
    Flag renamed = flag("ota", true, "enabled");
    FlagSet.Applied applied = apply(held, delta(2, List.of(renamed), List.of(), List.of(renamed)));
    assertEquals(Set.of("ota"), applied.changed());
    assertEquals("enabled", applied.set().get("ota").variant());
  }

  @Test
  void everyValueTypeAndUnicodeKeys() throws Exception {
    Flag[] flags = {
      flag("b", false), flag("i", Long.MIN_VALUE), flag("d", -0.0), flag("s", "ünïcødé ✓"),
      json("j", "{\"a\":[1,2.5,\"x\",null,true],\"b\":{}}"), flag("température-ü", 3L), flag("中文", "值"),
      flag("emoji-\ud83d\ude00", Double.NaN), flag("empty", "")
    };
    FlagSet set = apply(null, snapshot(3, flags)).set();
    assertEquals(flags.length, set.flags().size());
    assertEquals(Long.MIN_VALUE, set.get("i").value());
    assertEquals(-0.0, set.get("d").value());
    assertEquals(ValueType.JSON, set.get("j").type());
    assertEquals("值", set.get("中文").value());
    assertTrue(((Double) set.get("emoji-\ud83d\ude00").value()).isNaN());
  }

  @Test
  void flagsApplyBeforeRemovedKeys() throws Exception {
    FlagSet held = apply(null, snapshot(1, OTA, MODE)).set();
    // the broker never names a key in both; a device that gets one removes it
    FlagSet.Applied applied = apply(held, delta(2, List.of(flag("ota", false)), List.of("ota"), List.of(MODE)));
    assertEquals(Set.of("mode"), applied.set().flags().keySet());
  }

  @Test
  void aDeltaToNothingHeldAppliesToTheEmptySet() throws Exception {
    FlagSet set = apply(null, delta(4, List.of(OTA), List.of("gone"), List.of(OTA))).set();
    assertEquals(Set.of("ota"), set.flags().keySet());
  }

  @Test
  void aSetThatHashesOtherwiseIsRefused() throws Exception {
    FlagSet held = apply(null, snapshot(1, OTA)).set();
    FlagUpdate wrong = delta(2, List.of(LEVEL), List.of(), List.of(LEVEL)); // hash lacks ota
    UpdateRefused refused = assertThrows(UpdateRefused.class, () -> apply(held, wrong));
    assertEquals(Why.HASH_MISMATCH, refused.why());
    assertTrue(refused.getMessage().contains(StateHash.text(wrong.getStateHash())), refused::getMessage);
  }

  @Test
  void anEmptySetCarriesItsHashAndAnUpdateWithoutOneIsRefused() throws Exception {
    FlagSet held = apply(null, snapshot(1, OTA)).set();
    FlagUpdate empty = snapshot(2);
    assertTrue(empty.hasStateHash());
    assertEquals(Set.of(), apply(held, empty).set().flags().keySet());
    // a snapshot cut short after its snapshot field would read as the empty set, hash 0
    UpdateRefused refused = assertThrows(UpdateRefused.class, () -> apply(held, empty.toBuilder().clearStateHash().build()));
    assertEquals(Why.MALFORMED, refused.why());
  }

  @Test
  void whatIsNotAFlagUpdateIsRefused() {
    for (byte[] bad : List.of(new byte[] {(byte) 0xff}, new byte[] {0x1a, 0x05, 0x0a}, "hello, world".getBytes(),
        new byte[] {0x08, (byte) 0x80})) {
      UpdateRefused refused = assertThrows(UpdateRefused.class, () -> FlagSet.apply(null, bad));
      assertEquals(Why.MALFORMED, refused.why());
    }
  }

  @Test
  void everyTruncationOfAnUpdateIsRefused() throws Exception {
    FlagSet held = apply(null, snapshot(1, OTA, LEVEL)).set();
    Flag mode = flag("mode", "boost");
    byte[][] updates = {
      snapshot(5, OTA, MODE, json("j", "{\"k\":[1,2,3]}")).toByteArray(),
      delta(5, List.of(mode), List.of("level"), List.of(OTA, mode)).toByteArray()
    };
    for (byte[] whole : updates) {
      apply(held, FlagUpdate.parseFrom(whole)); // whole, it applies
      for (int n = 0; n < whole.length; n++) {
        byte[] cut = Arrays.copyOf(whole, n);
        assertThrows(UpdateRefused.class, () -> FlagSet.apply(held, cut), "first " + n + " bytes");
      }
    }
  }

  @Test
  void inconsistentUpdatesAreRefusedAsMalformed() {
    Flag noValue = Flag.newBuilder().setKey("x").build();
    Flag badJson = json("j", "{\"a\":}");
    Flag notUtf8 = Flag.newBuilder().setKey("j").setJson(ByteString.copyFrom(new byte[] {'"', (byte) 0xc3, '"'})).build();
    List<FlagUpdate> bad = List.of(
        FlagUpdate.newBuilder().setSnapshot(true).addFlags(OTA).addFlags(noValue).build(),
        FlagUpdate.newBuilder().setSnapshot(true).addFlags(OTA).addFlags(flag("ota", false)).build(),
        FlagUpdate.newBuilder().setSnapshot(true).addFlags(badJson).build(),
        FlagUpdate.newBuilder().setSnapshot(true).addFlags(notUtf8).build());
    for (FlagUpdate update : bad) {
      UpdateRefused refused = assertThrows(UpdateRefused.class, () -> FlagSet.apply(null, update.toByteArray()),
          update::toString);
      assertEquals(Why.MALFORMED, refused.why(), refused::getMessage);
    }
  }

  @Test
  void aSetSurvivesItsSnapshot() throws Exception {
    FlagSet set = apply(null, snapshot(12, flag("ota", true, "on"), json("cfg", "{\"a\":1}"), flag("r", 0.1))).set();
    FlagUpdate saved = set.toSnapshot();
    FlagSet back = FlagSet.fromSnapshot(FlagUpdate.parseFrom(saved.toByteArray()));
    assertEquals(set.flags(), back.flags());
    assertEquals(12, back.revision());
    assertEquals(set.stateHash(), back.stateHash());
    assertArrayEquals(saved.toByteArray(), back.toSnapshot().toByteArray());
    assertThrows(UpdateRefused.class, () -> FlagSet.fromSnapshot(saved.toBuilder().setSnapshot(false).build()));
  }

  @Test
  void heldFlagsKeepTheirTypes() {
    assertThrows(IllegalArgumentException.class, () -> new HeldFlag("x", ValueType.INTEGER, 1, null));
  }

  private static FlagSet.Applied apply(FlagSet held, FlagUpdate update) throws UpdateRefused {
    return FlagSet.apply(held, update.toByteArray());
  }
}
