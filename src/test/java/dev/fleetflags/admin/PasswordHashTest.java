package dev.fleetflags.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PasswordHashTest {

  private static final int FAST = PasswordHash.MIN_ITERATIONS;

  @Test
  void matchesOnlyThePasswordItWasMadeFrom() {
    PasswordHash hash = PasswordHash.of("correct horse".toCharArray(), FAST);
    assertTrue(hash.matches("correct horse".toCharArray()));
    assertFalse(hash.matches("correct horse ".toCharArray()));
    assertFalse(hash.matches(new char[0]));
  }

  @Test
  void matchesMqttPasswordBytesAsUtf8() {
    PasswordHash hash = PasswordHash.of("pässwörd".toCharArray(), FAST);
    assertTrue(hash.matches("pässwörd".getBytes(StandardCharsets.UTF_8)));
    assertFalse(hash.matches("pässwörd".getBytes(StandardCharsets.ISO_8859_1)));
  }

  @Test
  void theConfiguredFormReadsBackToTheSameHash() {
    PasswordHash hash = PasswordHash.of("secret".toCharArray(), FAST);
    String encoded = hash.encoded();
    assertTrue(encoded.startsWith("pbkdf2-sha256:" + FAST + ":"), encoded);
    PasswordHash read = PasswordHash.parse(encoded);
    assertEquals(hash, read);
    assertTrue(read.matches("secret".toCharArray()));
  }

  @Test
  void readsAHashMadeElsewhere() {
    // PBKDF2-HMAC-SHA256("password", "saltsaltsaltsalt", 10000 iterations, 32 bytes), computed with
    // Python's hashlib.pbkdf2_hmac.
    PasswordHash hash =
        PasswordHash.parse(
            "pbkdf2-sha256:10000:c2FsdHNhbHRzYWx0c2FsdA==:"
                + "/HBtt7Z/7p0CzRvSN1B+KXrKNskvRts1UWw61zKTFUo=");
    assertTrue(hash.matches("password".toCharArray()));
  }

  @Test
  void theSameSaltIsNeverUsedTwice() {
    assertNotEquals(
        PasswordHash.of("same".toCharArray(), FAST).encoded(),
        PasswordHash.of("same".toCharArray(), FAST).encoded());
  }

  @Test
  void rejectsMalformedTextWithoutRepeatingIt() {
    for (String text :
        new String[] {
          "hunter2",
          "pbkdf2-sha1:10000:c2FsdHNhbHQ=:c2FsdHNhbHRzYWx0c2FsdA==",
          "pbkdf2-sha256:many:c2FsdHNhbHQ=:c2FsdHNhbHRzYWx0c2FsdA==",
          "pbkdf2-sha256:1000:c2FsdHNhbHQ=:c2FsdHNhbHRzYWx0c2FsdA==",
          "pbkdf2-sha256:10000:not base64!:c2FsdHNhbHRzYWx0c2FsdA==",
          "pbkdf2-sha256:10000:c2FsdA==:c2FsdHNhbHRzYWx0c2FsdA==",
          "pbkdf2-sha256:10000:c2FsdHNhbHQ=:c2FsdA==",
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse(text), text);
      assertFalse(e.getMessage().contains(text), e.getMessage());
    }
  }

  @Test
  void toStringLeavesTheHashOut() {
    PasswordHash hash = PasswordHash.of("secret".toCharArray(), FAST);
    assertEquals("pbkdf2-sha256:" + FAST + ":...", hash.toString());
  }
}
