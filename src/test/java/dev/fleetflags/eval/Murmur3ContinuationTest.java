package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The byte-block continuation used for pre-encoded targeting keys hashes exactly as the string one. */
class Murmur3ContinuationTest {

  private static final String ALPHABET = "ab-_0Z9\u00e9\u00df\u20ac\ud83d\ude00\ud800";

  @Test
  void knownVectors() {
    assertEquals(0, Murmur3.hash(Murmur3.EMPTY, new byte[0]));
    assertEquals(0x248bfa47, Murmur3.hash(Murmur3.EMPTY, "hello".getBytes(StandardCharsets.UTF_8)));
    assertEquals(0x2e4ff723, Murmur3.hash(Murmur3.EMPTY,
        "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void continuesEveryPrefixAlignmentAsTheStringHashDoes() {
    Random r = new Random(7);
    for (int round = 0; round < 20_000; round++) {
      String prefix = random(r, r.nextInt(13));
      String rest = random(r, r.nextInt(13));
      Murmur3.State state = Murmur3.absorb(Murmur3.EMPTY, prefix);
      assertEquals(Murmur3.hashUtf8(state, rest), Murmur3.hash(state, rest.getBytes(StandardCharsets.UTF_8)),
          () -> prefix + " + " + rest);
    }
  }

  @Test
  void fractionalBucketsAsBefore() {
    Murmur3.State flagKey = Murmur3.absorb(Murmur3.EMPTY, "rollout-00");
    for (int n = 0; n < 10_000; n++) {
      String key = "dev-" + n;
      DeviceContext device = DeviceContext.of(key);
      assertEquals(Murmur3.hashUtf8(flagKey, key), Murmur3.hash(flagKey, device.targetingKeyUtf8()));
    }
  }

  private static String random(Random r, int length) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) {
      // Mostly ASCII, sometimes 2-, 3- and 4-byte characters and a lone surrogate.
      sb.append(r.nextInt(4) == 0 ? ALPHABET.charAt(r.nextInt(ALPHABET.length())) : (char) (' ' + r.nextInt(95)));
    }
    return sb.toString();
  }
}
