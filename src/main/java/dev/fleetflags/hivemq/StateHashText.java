package dev.fleetflags.hivemq;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reads the state hash a device presents: as eight hex digits (optionally {@code 0x}-prefixed) in
 * the CONNECT user property or a resync payload, or as four big-endian bytes in a resync payload.
 * Anything else means the device presents no usable hash and gets a snapshot.
 */
final class StateHashText {

  private StateHashText() {}

  static @Nullable Integer parse(@Nullable String text) {
    if (text == null) {
      return null;
    }
    String t = text.strip();
    if (t.startsWith("0x") || t.startsWith("0X")) {
      t = t.substring(2);
    }
    if (t.length() != 8) {
      return null;
    }
    try {
      return Integer.parseUnsignedInt(t, 16);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static @Nullable Integer parse(ByteBuffer payload) {
    ByteBuffer b = payload.asReadOnlyBuffer();
    if (b.remaining() == 4) {
      return b.getInt();
    }
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    return parse(new String(bytes, StandardCharsets.US_ASCII));
  }

  static String format(int hash) {
    return String.format("%08x", hash);
  }
}
