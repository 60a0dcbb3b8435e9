package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.Flag;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Every update carries its state hash, last, even the hash 0 of an empty set: a device tells a
 * payload cut short by its missing hash (README, device protocol).
 */
class FlagUpdatesTest {

  private final FlagUpdates updates = new FlagUpdates(false);

  @Test
  void theHashOfAnEmptySetIsSentToo() throws Exception {
    byte[][] payloads = {
      updates.snapshot(3, FlagSet.EMPTY.evaluate(DeviceContext.of("d"), 0)),
      updates.delta(3, List.of(), List.of("gone"), 0),
      updates.current(3, 0)
    };
    for (byte[] payload : payloads) {
      FlagUpdate update = FlagUpdate.parseFrom(payload);
      assertTrue(update.hasStateHash(), update::toString);
      assertEquals(0, update.getStateHash());
      // the last five bytes: tag of field 5 (fixed32), then the hash
      assertArrayEquals(new byte[] {0x2d, 0, 0, 0, 0}, Arrays.copyOfRange(payload, payload.length - 5, payload.length));
    }
  }

  /**
   * The updates written field by field are byte for byte what the generated message code writes,
   * for random sets (every value type, empty strings, unicode), revisions (0 too) and hashes, with
   * and without variant names.
   */
  @Test
  void updatesAreWhatTheGeneratedCodeWrites() throws Exception {
    Random random = new Random(5);
    for (boolean variants : new boolean[] {false, true}) {
      FlagUpdates encoder = new FlagUpdates(variants);
      for (int round = 0; round < 200; round++) {
        Map<String, String> flags = new TreeMap<>();
        for (int i = random.nextInt(8); i > 0; i--) {
          flags.put(random.nextInt(10) == 0 ? "ключ-" + i : "f-" + random.nextInt(20), FanOutPlanTest.flag(random));
        }
        FlagSet set = FanOutPlanTest.compile(flags);
        Evaluation e = set.evaluate(new DeviceContext("dev-" + round, Map.of("model", "th-100")), 0);
        long revision = random.nextInt(4) == 0 ? 0 : random.nextLong() & Long.MAX_VALUE;
        int hash = random.nextInt();
        List<FlagUpdates.FlagValue> values = new ArrayList<>();
        for (int i = 0; i < e.size(); i++) {
          if (e.variantIndex(i) >= 0) {
            values.add(new FlagUpdates.FlagValue(e.flag(i), e.variantIndex(i)));
          }
        }
        List<String> removed = random.nextBoolean() ? List.of() : List.of("gone", "", "日本");
        assertArrayEquals(reference(variants, revision, true, values, List.of(), e.stateHash()), encoder.snapshot(revision, e));
        assertArrayEquals(reference(variants, revision, false, values, removed, hash), encoder.delta(revision, values, removed, hash));
        assertArrayEquals(reference(variants, revision, false, List.of(), List.of(), hash), encoder.current(revision, hash));
        for (FlagUpdates.FlagValue v : values) {
          assertEquals(reference(variants, revision, false, List.of(v), List.of(), hash).length
              - reference(variants, revision, false, List.of(), List.of(), hash).length, encoder.size(v.flag(), v.variant()));
        }
      }
    }
  }

  /** An update as the generated message code writes it. */
  private static byte[] reference(boolean variants, long revision, boolean snapshot, List<FlagUpdates.FlagValue> flags,
      List<String> removed, int stateHash) {
    FlagUpdate.Builder update = FlagUpdate.newBuilder().setRevision(revision).setSnapshot(snapshot);
    for (FlagUpdates.FlagValue v : flags) {
      Flag flag = v.flag();
      dev.fleetflags.proto.v1.Flag.Builder b = dev.fleetflags.proto.v1.Flag.newBuilder().setKey(flag.key());
      Object value = flag.variantValue(v.variant());
      switch (flag.type()) {
        case BOOLEAN -> b.setBool((Boolean) value);
        case INTEGER -> b.setInt((Long) value);
        case FLOAT -> b.setDouble((Double) value);
        case STRING -> b.setString((String) value);
        case OBJECT -> b.setJson(ByteString.copyFrom(flag.variantJson(v.variant())));
      }
      if (variants) {
        b.setVariant(flag.variantName(v.variant()));
      }
      update.addFlags(b);
    }
    return update.addAllRemoved(removed).setStateHash(stateHash).build().toByteArray();
  }
}
