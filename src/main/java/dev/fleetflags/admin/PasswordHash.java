package dev.fleetflags.admin;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.spec.KeySpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * An operator's password as configured: a salted PBKDF2-HMAC-SHA256 hash in the form {@code
 * pbkdf2-sha256:<iterations>:<base64 salt>:<base64 hash>}, so the configuration never holds the
 * password itself. Plain JDK crypto: no dependency, and the same text can be produced elsewhere.
 *
 * <p>The CLI ({@code fleetflags hash-password}) makes these, compiled from this same class.
 */
public final class PasswordHash {

  public static final String SCHEME = "pbkdf2-sha256";

  /** OWASP's recommendation for PBKDF2-HMAC-SHA256 (2023). */
  public static final int DEFAULT_ITERATIONS = 600_000;

  /** Fewer iterations would make a leaked configuration cheap to attack. */
  public static final int MIN_ITERATIONS = 10_000;

  /** Bounds the work one sign-in can cost the broker, whatever the configuration says. */
  public static final int MAX_ITERATIONS = 10_000_000;

  private static final int SALT_BYTES = 16;
  private static final int MIN_SALT_BYTES = 8;
  private static final int HASH_BYTES = 32;
  private static final int MIN_HASH_BYTES = 16;

  private final int iterations;
  private final byte[] salt;
  private final byte[] hash;

  private PasswordHash(int iterations, byte[] salt, byte[] hash) {
    this.iterations = iterations;
    this.salt = salt;
    this.hash = hash;
  }

  /** Hashes a password with a fresh random salt. */
  public static PasswordHash of(char[] password, int iterations) {
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException(
          "iterations must be between " + MIN_ITERATIONS + " and " + MAX_ITERATIONS);
    }
    byte[] salt = new byte[SALT_BYTES];
    new SecureRandom().nextBytes(salt);
    return new PasswordHash(iterations, salt, derive(password, salt, iterations, HASH_BYTES));
  }

  /**
   * Reads the configured form.
   *
   * @throws IllegalArgumentException with a reason that never repeats the text: an operator may
   *     have pasted a password instead of its hash
   */
  public static PasswordHash parse(String text) {
    String[] parts = text.strip().split(":", -1);
    if (parts.length != 4 || !parts[0].equals(SCHEME)) {
      throw new IllegalArgumentException(
          "is not of the form " + SCHEME + ":<iterations>:<base64 salt>:<base64 hash>");
    }
    int iterations;
    try {
      iterations = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("has an iteration count that is not a whole number");
    }
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException(
          "has "
              + iterations
              + " iterations, but between "
              + MIN_ITERATIONS
              + " and "
              + MAX_ITERATIONS
              + " are needed");
    }
    byte[] salt = base64(parts[2], "salt");
    byte[] hash = base64(parts[3], "hash");
    if (salt.length < MIN_SALT_BYTES) {
      throw new IllegalArgumentException(
          "has a salt of "
              + salt.length
              + " bytes, but at least "
              + MIN_SALT_BYTES
              + " are needed");
    }
    if (hash.length < MIN_HASH_BYTES) {
      throw new IllegalArgumentException(
          "has a hash of "
              + hash.length
              + " bytes, but at least "
              + MIN_HASH_BYTES
              + " are needed");
    }
    return new PasswordHash(iterations, salt, hash);
  }

  /** Whether the password is the one hashed; compares in constant time. */
  public boolean matches(char[] password) {
    return MessageDigest.isEqual(hash, derive(password, salt, iterations, hash.length));
  }

  /** Whether the password, given as MQTT CONNECT password bytes (UTF-8), is the one hashed. */
  public boolean matches(byte[] utf8Password) {
    CharBuffer decoded = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(utf8Password));
    char[] chars = new char[decoded.remaining()];
    decoded.get(chars);
    try {
      return matches(chars);
    } finally {
      Arrays.fill(decoded.array(), '\0');
      Arrays.fill(chars, '\0');
    }
  }

  public int iterations() {
    return iterations;
  }

  /** The configured form. */
  public String encoded() {
    Base64.Encoder base64 = Base64.getEncoder();
    return SCHEME
        + ":"
        + iterations
        + ":"
        + base64.encodeToString(salt)
        + ":"
        + base64.encodeToString(hash);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof PasswordHash other
        && iterations == other.iterations
        && Arrays.equals(salt, other.salt)
        && Arrays.equals(hash, other.hash);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * iterations + Arrays.hashCode(salt)) + Arrays.hashCode(hash);
  }

  /** Leaves the hash out: log lines must not carry material for an offline attack. */
  @Override
  public String toString() {
    return SCHEME + ":" + iterations + ":...";
  }

  private static byte[] base64(String text, String what) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("has a " + what + " that is not valid base64");
    }
  }

  private static byte[] derive(char[] password, byte[] salt, int iterations, int bytes) {
    KeySpec spec = new PBEKeySpec(password, salt, iterations, bytes * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      // Every Java 17 runtime has this algorithm; without it no operator could ever sign in.
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
    }
  }
}
