package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The state hash a device presents, as text or four bytes (README, Device protocol). */
class StateHashTextTest {

  @Test
  void eightHexDigitsAnyCaseWithOrWithout0x() {
    assertEquals(0x83bc7269, StateHashText.parse("83bc7269"));
    assertEquals(0x83bc7269, StateHashText.parse(" 0X83BC7269\n"));
    assertEquals(0x83bc7269, StateHashText.parse(ByteBuffer.wrap(new byte[] {(byte) 0x83, (byte) 0xbc, 0x72, 0x69})));
    assertEquals(0x83bc7269, StateHashText.parse(ByteBuffer.wrap("0x83bc7269".getBytes(StandardCharsets.US_ASCII))));
    assertEquals("0000002a", StateHashText.format(42));
  }

  @Test
  void nothingElseIsAHash() {
    assertNull(StateHashText.parse("83bc726"));
    assertNull(StateHashText.parse("83bc72690"));
    assertNull(StateHashText.parse("83bc726g"));
    // found by DeviceInputFuzzTest: Integer.parseUnsignedInt took these
    assertNull(StateHashText.parse("+3bc7268"));
    assertNull(StateHashText.parse("\uff18\uff13bc7269")); // fullwidth digits
    assertNull(StateHashText.parse("\u0668\u0663bc7269")); // Arabic-Indic digits
  }
}
