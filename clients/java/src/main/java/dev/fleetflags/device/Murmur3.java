package dev.fleetflags.device;

/**
 * MurmurHash3 x86 32-bit with seed 0, the hash the README names for a flag's entry. Written from
 * the published algorithm; {@code hello} hashes to {@code 0x248bfa47}.
 */
final class Murmur3 {

  private static final int C1 = 0xcc9e2d51;
  private static final int C2 = 0x1b873593;

  private Murmur3() {}

  static int hash(byte[] data) {
    int h1 = 0;
    int blocks = data.length & ~3;
    for (int i = 0; i < blocks; i += 4) {
      int k1 = (data[i] & 0xff) | (data[i + 1] & 0xff) << 8 | (data[i + 2] & 0xff) << 16 | data[i + 3] << 24;
      h1 ^= mixK1(k1);
      h1 = Integer.rotateLeft(h1, 13);
      h1 = h1 * 5 + 0xe6546b64;
    }
    int tail = data.length & 3;
    if (tail > 0) {
      int k1 = data[blocks] & 0xff;
      if (tail > 1) {
        k1 ^= (data[blocks + 1] & 0xff) << 8;
      }
      if (tail > 2) {
        k1 ^= (data[blocks + 2] & 0xff) << 16;
      }
      h1 ^= mixK1(k1);
    }
    h1 ^= data.length;
    h1 ^= h1 >>> 16;
    h1 *= 0x85ebca6b;
    h1 ^= h1 >>> 13;
    h1 *= 0xc2b2ae35;
    h1 ^= h1 >>> 16;
    return h1;
  }

  private static int mixK1(int k1) {
    k1 *= C1;
    k1 = Integer.rotateLeft(k1, 15);
    return k1 * C2;
  }
}
