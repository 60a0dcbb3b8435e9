package dev.fleetflags.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTextTest {

  @Test
  void readsEveryKindOfValue() {
    Object v = JsonText.parse(
        " {\"a\":[true,false,null],\"b\":{\"c\":-12,\"d\":1.5e2,\"e\":\"x\\u00e9\\n\\\"\"},\"f\":9223372036854775808} ");
    Map<?, ?> m = (Map<?, ?>) v;
    assertEquals(Arrays.asList(true, false, null), m.get("a"));
    assertEquals(Map.of("c", -12L, "d", 150.0, "e", "xé\n\""), m.get("b"));
    assertEquals(9.223372036854775808e18, m.get("f"));
    assertEquals(List.of("a", "b", "f"), List.copyOf(m.keySet()));
    assertNull(JsonText.parse("null"));
    assertEquals("\ud83d\ude00", JsonText.parse("\"\\ud83d\\ude00\""));
    assertEquals(0L, JsonText.parse("0"));
  }

  @Test
  void refusesWhatIsNotJsonAndSaysWhere() {
    for (String bad : List.of("", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,\"a\":2}", "01", "1.", "-", "tru", "\"a",
        "\"\\x\"", "\"\u0001\"", "[1] 2", "{a:1}", "\"\\u12\"", "1e", "{\"a\":1,}")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonText.parse(bad), bad);
      assertTrue(e.getMessage().contains("at character"), e::getMessage);
    }
  }

  @Test
  void refusesNestingBeyondTheLimit() {
    String deep = "[".repeat(JsonText.MAX_DEPTH + 2) + "]".repeat(JsonText.MAX_DEPTH + 2);
    assertThrows(IllegalArgumentException.class, () -> JsonText.parse(deep));
    String fine = "[".repeat(JsonText.MAX_DEPTH) + "]".repeat(JsonText.MAX_DEPTH);
    JsonText.parse(fine);
  }
}
