package dev.fleetflags.eval;

import dev.fleetflags.rules.FlagType;
import dev.fleetflags.rules.Json;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The state hash of a device's flag set: the sum, modulo 2^32, of one 32-bit hash per flag in the
 * set, so that it does not depend on order and can be updated flag by flag. The README specifies
 * it for device makers; {@code StateHashTest} pins it with vectors.
 *
 * <p>A flag's entry is {@code UTF-8(key) 0x00 tag value} hashed with MurmurHash3 x86 32-bit, seed
 * 0, where tag and value are: {@code 'b'} and one byte 0 or 1; {@code 'i'} and the 8-byte
 * big-endian two's complement integer; {@code 'd'} and the 8-byte big-endian IEEE 754 double;
 * {@code 's'} and the UTF-8 string; {@code 'j'} and the JSON bytes exactly as delivered (compact,
 * object members sorted by key). An empty set hashes to 0.
 */
public final class StateHash {

  private StateHash() {}

  /** The hash of one flag's entry. {@code value} is of the flag's type (Long, Double, ...). */
  public static int entryHash(String key, FlagType type, Object value) {
    return Murmur3.hash(entry(key, type, value));
  }

  /** Adds one entry hash to a state hash (subtract to remove). */
  public static int add(int stateHash, int entryHash) {
    return stateHash + entryHash;
  }

  static byte[] entry(String key, FlagType type, Object value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(key.length() + 16);
    out.writeBytes(key.getBytes(StandardCharsets.UTF_8));
    out.write(0);
    switch (type) {
      case BOOLEAN -> {
        out.write('b');
        out.write((Boolean) value ? 1 : 0);
      }
      case INTEGER -> {
        out.write('i');
        out.writeBytes(ByteBuffer.allocate(8).putLong(((Number) value).longValue()).array());
      }
      case FLOAT -> {
        out.write('d');
        out.writeBytes(ByteBuffer.allocate(8).putDouble(((Number) value).doubleValue()).array());
      }
      case STRING -> {
        out.write('s');
        out.writeBytes(((String) value).getBytes(StandardCharsets.UTF_8));
      }
      case OBJECT -> {
        out.write('j');
        out.writeBytes(Json.canonicalBytes((Map<?, ?>) value));
      }
    }
    return out.toByteArray();
  }
}
