package dev.fleetflags.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import org.junit.jupiter.api.Test;

/** The scenarios' own state hash against the README's test vectors, before it judges a broker. */
class HeldFlagsTest {

  private static final Flag OTA = Flag.newBuilder().setKey("ota").setBool(true).build();
  private static final Flag LEVEL = Flag.newBuilder().setKey("level").setInt(42).build();
  private static final Flag MODE = Flag.newBuilder().setKey("mode").setString("eco").build();
  private static final Flag RATIO = Flag.newBuilder().setKey("ratio").setDouble(0.5).build();

  @Test
  void murmur3OfHelloIsTheReadmes() {
    assertEquals("248bfa47", HeldFlags.hex(HeldFlags.murmur3("hello".getBytes(UTF_8))));
  }

  @Test
  void entryHashesAreTheReadmes() {
    assertEquals("2d6d5009", HeldFlags.hex(HeldFlags.entryHash(OTA)));
    assertEquals("09eec3b2", HeldFlags.hex(HeldFlags.entryHash(LEVEL)));
    assertEquals("4c605eae", HeldFlags.hex(HeldFlags.entryHash(MODE)));
    assertEquals("fc049b6a", HeldFlags.hex(HeldFlags.entryHash(RATIO)));
  }

  @Test
  void aSetHashesToTheSumOfItsEntriesAndDeltasUpdateIt() {
    HeldFlags held =
        new HeldFlags()
            .apply(
                FlagUpdate.newBuilder()
                    .setSnapshot(true)
                    .addFlags(OTA)
                    .addFlags(LEVEL)
                    .addFlags(MODE)
                    .build());
    assertEquals("83bc7269", held.stateHashText());
    held.apply(FlagUpdate.newBuilder().addRemoved("ota").addFlags(RATIO).build());
    assertEquals(
        HeldFlags.hex(
            HeldFlags.entryHash(LEVEL) + HeldFlags.entryHash(MODE) + HeldFlags.entryHash(RATIO)),
        held.stateHashText());
    held.apply(FlagUpdate.newBuilder().setSnapshot(true).build());
    assertEquals("00000000", held.stateHashText(), "an empty set hashes to 0");
  }
}
