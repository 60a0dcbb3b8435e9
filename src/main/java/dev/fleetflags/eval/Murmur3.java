package dev.fleetflags.eval;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * MurmurHash3 x86 32-bit, seed 0, over the UTF-8 bytes of strings, as flagd's {@code fractional}
 * uses it. Strings are encoded on the fly, so hashing a flag key and a targeting key allocates
 * nothing; a constant prefix (the flag key) can be hashed once and continued per device.
 */
public final class Murmur3 {

  private static final int C1 = 0xcc9e2d51;
  private static final int C2 = 0x1b873593;
  /** Reads a little-endian block of 4 bytes at any offset in one load. */
  private static final VarHandle BLOCK = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** Hash state after some bytes: the running hash, the pending partial block and the length. */
  record State(int h1, int k1, int length) {}

  static final State EMPTY = new State(0, 0, 0);

  private Murmur3() {}

  /** The hash of a byte array. */
  public static int hash(byte[] data) {
    int h1 = 0;
    int k1 = 0;
    for (int i = 0; i < data.length; i++) {
      k1 |= (data[i] & 0xff) << ((i & 3) << 3);
      if ((i & 3) == 3) {
        h1 = mixH1(h1, k1);
        k1 = 0;
      }
    }
    return finish(h1, k1, data.length);
  }

  /** The hash of the UTF-8 bytes of {@code s}. */
  public static int hashUtf8(String s) {
    return finish(absorb(EMPTY, s));
  }

  /** The hash of the UTF-8 bytes of {@code prefix} followed by those of {@code s}. */
  static int hashUtf8(State prefix, String s) {
    return finish(absorb(prefix, s));
  }

  /** The state after absorbing the UTF-8 bytes of {@code s}. */
  static State absorb(State state, String s) {
    int h1 = state.h1();
    int k1 = state.k1();
    int n = state.length();
    int len = s.length();
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        k1 |= c << ((n & 3) << 3);
        if ((++n & 3) == 0) {
          h1 = mixH1(h1, k1);
          k1 = 0;
        }
      } else {
        // Rare path: encode this code point (or replacement for a lone surrogate) as Java does.
        int cpLen = Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1)) ? 2 : 1;
        byte[] bytes = s.substring(i, i + cpLen).getBytes(StandardCharsets.UTF_8);
        i += cpLen - 1;
        for (byte b : bytes) {
          k1 |= (b & 0xff) << ((n & 3) << 3);
          if ((++n & 3) == 0) {
            h1 = mixH1(h1, k1);
            k1 = 0;
          }
        }
      }
    }
    return new State(h1, k1, n);
  }

  private static int finish(State state) {
    return finish(state.h1(), state.k1(), state.length());
  }

  /** Continues {@code prefix} with the ASCII-or-not string {@code s} without allocating for ASCII. */
  static int hashUtf8NoAlloc(State prefix, String s) {
    int h1 = prefix.h1();
    int k1 = prefix.k1();
    int n = prefix.length();
    int len = s.length();
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        return hashUtf8(prefix, s);
      }
      k1 |= c << ((n & 3) << 3);
      if ((++n & 3) == 0) {
        h1 = mixH1(h1, k1);
        k1 = 0;
      }
    }
    return finish(h1, k1, n);
  }

  /**
   * Continues {@code prefix} with {@code data}: the same as {@link #hashUtf8(State, String)} over
   * the string whose UTF-8 bytes these are, but a whole little-endian block per step: each block
   * takes the bytes the prefix left pending plus the first bytes of the next four read, so hashing
   * a device's pre-encoded targeting key costs a few dozen instructions.
   */
  static int hash(State prefix, byte[] data) {
    int h1 = prefix.h1();
    int k1 = prefix.k1();
    int pending = prefix.length() & 3;
    int len = data.length;
    int i = 0;
    int lastBlock = len - 4;
    if (pending == 0) {
      for (; i <= lastBlock; i += 4) {
        h1 = mixH1(h1, (int) BLOCK.get(data, i));
      }
    } else {
      int shift = pending << 3;
      for (; i <= lastBlock; i += 4) {
        int word = (int) BLOCK.get(data, i);
        h1 = mixH1(h1, k1 | (word << shift));
        k1 = word >>> (32 - shift);
      }
    }
    for (; i < len; i++) {
      k1 |= (data[i] & 0xff) << (pending << 3);
      if (++pending == 4) {
        h1 = mixH1(h1, k1);
        k1 = 0;
        pending = 0;
      }
    }
    return finish(h1, k1, prefix.length() + len);
  }

  private static int mixH1(int h1, int k1) {
    k1 *= C1;
    k1 = Integer.rotateLeft(k1, 15);
    k1 *= C2;
    h1 ^= k1;
    h1 = Integer.rotateLeft(h1, 13);
    return h1 * 5 + 0xe6546b64;
  }

  private static int finish(int h1, int k1, int length) {
    if ((length & 3) != 0) {
      k1 *= C1;
      k1 = Integer.rotateLeft(k1, 15);
      k1 *= C2;
      h1 ^= k1;
    }
    h1 ^= length;
    h1 ^= h1 >>> 16;
    h1 *= 0x85ebca6b;
    h1 ^= h1 >>> 13;
    h1 *= 0xc2b2ae35;
    h1 ^= h1 >>> 16;
    return h1;
  }
}
