package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fleetflags.rules.FlagType;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins the state hash as the README specifies it for device makers. The vectors were computed by
 * an independent implementation (a few lines of Python: MurmurHash3 x86 32-bit, seed 0, whose
 * value for "hello" is the published 0x248bfa47).
 */
class StateHashTest {

  @Test
  void murmur3MatchesTheReference() {
    assertEquals(0x248bfa47, Murmur3.hash("hello".getBytes(StandardCharsets.UTF_8)));
    assertEquals(0, Murmur3.hash(new byte[0]));
    assertEquals(0x248bfa47, Murmur3.hashUtf8("hello"));
  }

  @Test
  void entriesAreEncodedAndHashedAsSpecified() {
    check("ota", FlagType.BOOLEAN, true, "6f7461006201", 0x2d6d5009);
    check("ota", FlagType.BOOLEAN, false, "6f7461006200", 0x15d165ba);
    check("level", FlagType.INTEGER, 42L, "6c6576656c0069000000000000002a", 0x09eec3b2);
    check("level", FlagType.INTEGER, -1L, "6c6576656c0069ffffffffffffffff", 0xcdcf9e0f);
    check("ratio", FlagType.FLOAT, 0.5, "726174696f00643fe0000000000000", 0xfc049b6a);
    check("mode", FlagType.STRING, "eco", "6d6f6465007365636f", 0x4c605eae);
    check("mode", FlagType.STRING, "é", "6d6f64650073c3a9", 0x7c96933d);
    check("cfg", FlagType.OBJECT, Map.of("b", 1L, "a", List.of(true)),
        "636667006a7b2261223a5b747275655d2c2262223a317d", 0x41d9b132);
  }

  private static void check(String key, FlagType type, Object value, String entryHex, int hash) {
    assertEquals(entryHex, HexFormat.of().formatHex(StateHash.entry(key, type, value)));
    assertEquals(hash, StateHash.entryHash(key, type, value));
  }

  @Test
  void aSetHashesToTheSumOfItsEntriesAndIgnoresFlagsWithoutAValue() throws Exception {
    String doc = """
        {"flags": {
          "ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
          "level": {"state": "ENABLED", "variants": {"l": 42}, "defaultVariant": "l"},
          "mode": {"state": "ENABLED", "variants": {"e": "eco", "b": "boost"}, "defaultVariant": "e"},
          "off": {"state": "DISABLED", "variants": {"x": 1}, "defaultVariant": "x"},
          "none": {"state": "ENABLED", "variants": {"x": 1}}
        }}""";
    FlagSet set = new FlagSetCompiler(Limits.DEFAULT).compile(doc.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    assertEquals(0x83bc7269, set.evaluate(DeviceContext.of("d"), 0).stateHash());
    assertEquals(0, FlagSet.EMPTY.evaluate(DeviceContext.of("d"), 0).stateHash());
  }
}
