package dev.fleetflags.hivemq;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Operator credentials verified lately, so that an operator who signed in before from an address
 * is admitted again at once, without PBKDF2, whatever strangers do meanwhile. What is kept is an
 * HMAC-SHA256 of address, username and password under a key drawn at random when the extension
 * starts and never written anywhere: nothing on disk, and nothing that outlives the process.
 *
 * <p>Bound to the address: a stranger elsewhere who guesses the password must still pass the
 * throttled PBKDF2 check, so this is no faster oracle for guesses. At most {@value #PER_USERNAME}
 * addresses per username, the least recently used forgotten first; only configured operator
 * usernames have entries.
 */
final class RememberedSignIns {

  static final int PER_USERNAME = 8;
  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;
  private final Map<String, Deque<byte[]>> byUsername = new ConcurrentHashMap<>();

  RememberedSignIns() {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    this.key = new SecretKeySpec(random, ALGORITHM);
  }

  /** Whether these credentials were verified from this address; compares in constant time. */
  boolean contains(String address, String username, byte[] password) {
    Deque<byte[]> known = byUsername.get(username);
    if (known == null) {
      return false;
    }
    byte[] mac = mac(address, username, password);
    synchronized (known) {
      boolean found = false;
      byte[] hit = null;
      for (byte[] entry : known) {
        if (MessageDigest.isEqual(entry, mac)) {
          found = true;
          hit = entry;
        }
      }
      if (found) {
        known.remove(hit);
        known.addFirst(hit);
      }
      return found;
    }
  }

  /** Remembers credentials just verified from this address. */
  void add(String address, String username, byte[] password) {
    byte[] mac = mac(address, username, password);
    Deque<byte[]> known = byUsername.computeIfAbsent(username, u -> new ArrayDeque<>());
    synchronized (known) {
      known.removeIf(entry -> MessageDigest.isEqual(entry, mac));
      known.addFirst(mac);
      while (known.size() > PER_USERNAME) {
        known.removeLast();
      }
    }
  }

  private byte[] mac(String address, String username, byte[] password) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      // Each part with its length first, so that no two triples give the same input.
      for (byte[] part : new byte[][] {address.getBytes(StandardCharsets.UTF_8),
          username.getBytes(StandardCharsets.UTF_8), password}) {
        mac.update(ByteBuffer.allocate(4).putInt(part.length).array());
        mac.update(part);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      // Every Java 17 runtime has HmacSHA256 and takes a 32-byte key.
      throw new IllegalStateException(ALGORITHM + " is not available", e);
    }
  }
}
