package dev.fleetflags.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The state hash as the README specifies it, pinned by the README's own vectors (and the
 * extension's {@code StateHashTest}, computed there by an independent implementation).
 */
class StateHashTest {

  @Test
  void murmur3MatchesThePublishedValue() {
    assertEquals(0x248bfa47, Murmur3.hash("hello".getBytes(StandardCharsets.UTF_8)));
    assertEquals(0, Murmur3.hash(new byte[0]));
  }

  @Test
  void entriesAreEncodedAndHashedAsTheReadmeSays() {
    check(new HeldFlag("ota", ValueType.BOOLEAN, true, null), "6f7461006201", 0x2d6d5009);
    check(new HeldFlag("level", ValueType.INTEGER, 42L, null), "6c6576656c0069000000000000002a", 0x09eec3b2);
    check(new HeldFlag("mode", ValueType.STRING, "eco", null), "6d6f6465007365636f", 0x4c605eae);
    check(new HeldFlag("ratio", ValueType.DOUBLE, 0.5, null), "726174696f00643fe0000000000000", 0xfc049b6a);
  }

  @Test
  void moreEntriesFromTheExtensionsVectors() {
    check(new HeldFlag("ota", ValueType.BOOLEAN, false, null), "6f7461006200", 0x15d165ba);
    check(new HeldFlag("level", ValueType.INTEGER, -1L, null), "6c6576656c0069ffffffffffffffff", 0xcdcf9e0f);
    check(new HeldFlag("mode", ValueType.STRING, "é", null), "6d6f64650073c3a9", 0x7c96933d);
    check(new HeldFlag("cfg", ValueType.JSON, "{\"a\":[true],\"b\":1}", null),
        "636667006a7b2261223a5b747275655d2c2262223a317d", 0x41d9b132);
  }

  @Test
  void theVariantIsNotHashed() {
    assertEquals(0x2d6d5009, StateHash.entryHash(new HeldFlag("ota", ValueType.BOOLEAN, true, "on")));
  }

  @Test
  void aSetHashesToTheSumOfItsEntries() {
    List<HeldFlag> set = List.of(
        new HeldFlag("ota", ValueType.BOOLEAN, true, null),
        new HeldFlag("level", ValueType.INTEGER, 42L, null),
        new HeldFlag("mode", ValueType.STRING, "eco", null));
    assertEquals(0x83bc7269, StateHash.of(set));
    assertEquals("83bc7269", StateHash.text(StateHash.of(set)));
    assertEquals(0, StateHash.of(List.of()));
    assertEquals("00000000", StateHash.text(0));
  }

  private static void check(HeldFlag flag, String entryHex, int hash) {
    assertEquals(entryHex, HexFormat.of().formatHex(StateHash.entry(flag)));
    assertEquals(hash, StateHash.entryHash(flag));
  }
}
