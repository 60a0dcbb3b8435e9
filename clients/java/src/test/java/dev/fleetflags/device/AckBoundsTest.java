package dev.fleetflags.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ack protocol's bounds: refused before anything is sent (the broker would drop the ack). */
class AckBoundsTest {

  @Test
  void keysReasonAndSizeAreBounded() {
    List<String> most = new ArrayList<>(Collections.nCopies(Acks.MAX_REJECTED_KEYS, "k"));
    Acks.rejected(1, 0, most, "r".repeat(Acks.MAX_REASON_BYTES));
    most.add("k");
    assertThrows(IllegalArgumentException.class, () -> Acks.rejected(1, 0, most, ""), "33 keys");
    assertThrows(IllegalArgumentException.class, () -> Acks.rejected(1, 0, List.of(), "why"), "no key");
    assertThrows(IllegalArgumentException.class, () -> Acks.rejected(1, 0, List.of(""), "why"), "an empty key");
    Acks.rejected(1, 0, List.of("k".repeat(Acks.MAX_KEY_BYTES)), "");
    assertThrows(IllegalArgumentException.class, () -> Acks.rejected(1, 0, List.of("k".repeat(Acks.MAX_KEY_BYTES + 1)), ""));
    assertThrows(IllegalArgumentException.class, () -> Acks.failed(1, 0, "ü".repeat(129)), "258 bytes");
    assertThrows(IllegalArgumentException.class,
        () -> Acks.rejected(1, 0, List.of("a".repeat(1024), "b".repeat(1024)), ""), "over 2048 bytes");
    assertThrows(IllegalArgumentException.class, () -> Acks.applied(0, 0), "revision 0");
  }

  @Test
  void aReasonIsCutBetweenCharacters() {
    assertEquals("short", Acks.cut("short"));
    String cut = Acks.cut("a" + "🚀".repeat(100));
    assertEquals(1 + 63 * 4, cut.getBytes(StandardCharsets.UTF_8).length);
    assertEquals("a" + "🚀".repeat(63), cut);
  }
}
