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
    int hash = 0;
    for (int i = 0; i < 8; i++) {
      // ASCII hex digits only: Integer.parseUnsignedInt would take a leading + and other scripts' digits
      char c = t.charAt(i);
      int digit = c < 128 ? Character.digit(c, 16) : -1;
      if (digit < 0) {
        return null;
      }
      hash = hash << 4 | digit;
    }
    return hash;
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
