package dev.fleetflags.hivemq;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RememberedSignInsTest {

  private final RememberedSignIns remembered = new RememberedSignIns();

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void credentialsAreRememberedForTheAddressTheySignedInFrom() {
    remembered.add("10.0.0.1", "ops", bytes("secret"));
    assertTrue(remembered.contains("10.0.0.1", "ops", bytes("secret")));
    assertFalse(remembered.contains("10.0.0.1", "ops", bytes("secreT")));
    assertFalse(remembered.contains("10.0.0.2", "ops", bytes("secret")), "another address");
    assertFalse(remembered.contains("10.0.0.1", "ops2", bytes("secret")), "another username");
  }

  /** Parts are length-prefixed: moving bytes from one part to the next gives another entry. */
  @Test
  void partsCannotBeShiftedIntoEachOther() {
    remembered.add("10.0.0.1", "ops", bytes("xsecret"));
    assertFalse(remembered.contains("10.0.0.1", "opsx", bytes("secret")));
  }

  @Test
  void eachUsernameKeepsItsMostRecentAddresses() {
    for (int i = 0; i <= RememberedSignIns.PER_USERNAME; i++) {
      remembered.add("10.0.0." + i, "ops", bytes("secret"));
    }
    assertFalse(remembered.contains("10.0.0.0", "ops", bytes("secret")), "the oldest is forgotten");
    for (int i = 1; i <= RememberedSignIns.PER_USERNAME; i++) {
      assertTrue(remembered.contains("10.0.0." + i, "ops", bytes("secret")));
    }
  }

  @Test
  void anotherProcessRemembersNothing() {
    remembered.add("10.0.0.1", "ops", bytes("secret"));
    assertFalse(new RememberedSignIns().contains("10.0.0.1", "ops", bytes("secret")));
  }
}
