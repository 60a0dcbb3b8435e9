package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Continuing a prefix's hash with a string, as fractional does per device, hashes the UTF-8 bytes of both. */
class Murmur3ContinuationTest {

  private static final String ALPHABET = "ab-_0Z9\u00e9\u00df\u20ac\ud83d\ude00\ud800";

  @Test
  void continuesEveryPrefixAlignmentAsTheStringHashDoes() {
    Random r = new Random(7);
    for (int round = 0; round < 20_000; round++) {
      String prefix = random(r, r.nextInt(13));
      String rest = random(r, r.nextInt(13));
      Murmur3.State state = Murmur3.absorb(Murmur3.EMPTY, prefix);
      // Each part encoded on its own: a high surrogate ending the prefix does not pair with the rest.
      byte[] head = prefix.getBytes(StandardCharsets.UTF_8);
      byte[] tail = rest.getBytes(StandardCharsets.UTF_8);
      byte[] both = Arrays.copyOf(head, head.length + tail.length);
      System.arraycopy(tail, 0, both, head.length, tail.length);
      int expected = Murmur3.hash(both);
      assertEquals(expected, Murmur3.hashUtf8(state, rest), () -> prefix + " + " + rest);
      assertEquals(expected, Murmur3.hashUtf8NoAlloc(state, rest), () -> prefix + " + " + rest);
      assertEquals(expected, Murmur3.hash(state, tail), () -> prefix + " + " + rest);
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
