package dev.fleetflags.device;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;

/**
 * The state hash of a flag set, as the README's "State hash" specifies it: the sum, modulo 2^32,
 * of MurmurHash3 x86 32 (seed 0) of each flag's entry {@code UTF-8(key) 0x00 tag value}; an empty
 * set hashes to 0. The variant's name is not part of it.
 */
public final class StateHash {

  private StateHash() {}

  /** The hash of a set of flags. */
  public static int of(Collection<HeldFlag> flags) {
    int sum = 0;
    for (HeldFlag flag : flags) {
      sum += entryHash(flag);
    }
    return sum;
  }

  public static int entryHash(HeldFlag flag) {
    return Murmur3.hash(entry(flag));
  }

  /** A state hash as the protocol writes it as text: 8 lowercase hex digits. */
  public static String text(int hash) {
    return String.format("%08x", hash);
  }

  static byte[] entry(HeldFlag flag) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(flag.key().length() + 16);
    out.writeBytes(flag.key().getBytes(StandardCharsets.UTF_8));
    out.write(0);
    switch (flag.type()) {
      case BOOLEAN -> {
        out.write('b');
        out.write((Boolean) flag.value() ? 1 : 0);
      }
      case INTEGER -> {
        out.write('i');
        out.writeBytes(ByteBuffer.allocate(Long.BYTES).putLong((Long) flag.value()).array());
      }
      case DOUBLE -> {
        out.write('d');
        out.writeBytes(ByteBuffer.allocate(Double.BYTES).putDouble((Double) flag.value()).array());
      }
      case STRING -> {
        out.write('s');
        out.writeBytes(((String) flag.value()).getBytes(StandardCharsets.UTF_8));
      }
      case JSON -> {
        out.write('j');
        out.writeBytes(((String) flag.value()).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toByteArray();
  }
}
