package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.Arrays;
import java.util.List;
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
}
