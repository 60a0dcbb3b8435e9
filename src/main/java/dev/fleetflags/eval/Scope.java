package dev.fleetflags.eval;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The state of one evaluation call: the device, the timestamp {@code $flagd.timestamp} reports,
 * and the data {@code var} reads, which is the device context at the top and the current element
 * inside {@code map}, {@code filter}, {@code reduce}, {@code all}, {@code some} and {@code none}.
 * One scope serves every flag of a set evaluation, so evaluating a set allocates it once.
 */
final class Scope {

  /** Marks that {@code var} reads the device context rather than an element. */
  static final Object ROOT = new Object();

  // Not final: a probe moves its scope from device to device (see FlagProbe).
  /** The device's attributes; its targeting key is {@link #targetingKey}, which wins. */
  DeviceContext device;
  @Nullable String targetingKey;
  long timestamp;
  @Nullable Object data = ROOT;
  private @Nullable Long boxedTimestamp;
  private @Nullable String lastVersionText;
  private @Nullable SemVer lastVersion;
  private Murmur3.@Nullable State lastBucketPrefix;
  private int lastBucketHash;
  /** The targeting key's UTF-8 bytes, encoded on the second fractional of this evaluation. */
  private byte @Nullable [] targetingKeyUtf8;
  /** Whether this evaluation has hashed the targeting key once already (without encoding it). */
  private boolean hashedKey;

  Scope(DeviceContext device, long timestamp) {
    this.device = device;
    this.targetingKey = device.targetingKey();
    this.timestamp = timestamp;
  }

  /**
   * Starts over for the device with {@code attributes} (whatever their targeting key) and {@code
   * targetingKey}, forgetting everything remembered for the last one.
   */
  void reset(DeviceContext attributes, @Nullable String targetingKey, long timestamp) {
    this.device = attributes;
    this.targetingKey = targetingKey;
    this.timestamp = timestamp;
    data = ROOT;
    boxedTimestamp = null;
    lastVersionText = null;
    lastVersion = null;
    lastBucketPrefix = null;
    targetingKeyUtf8 = null;
    hashedKey = false;
  }

  /** A scope for folding constant expressions at compile time; it has no device data. */
  static Scope forConstants() {
    return new Scope(DeviceContext.empty(), 0);
  }

  /** The whole device context, targeting key included. */
  DeviceContext context() {
    String key = targetingKey;
    return key == null || key.equals(device.targetingKey()) ? device : device.withTargetingKey(key);
  }

  Long timestampValue() {
    Long boxed = boxedTimestamp;
    if (boxed == null) {
      boxed = timestamp;
      boxedTimestamp = boxed;
    }
    return boxed;
  }

  /** The version in {@code text}; a device's firmware is parsed once per set evaluation, not per flag. */
  @Nullable SemVer semVer(String text) {
    if (text != lastVersionText) {
      lastVersion = SemVer.parse(text);
      lastVersionText = text;
    }
    return lastVersion;
  }

  /**
   * The default bucketing hash (flag key, then the device's targeting key) for the flag key whose
   * murmur state is {@code flagKeyPrefix}. Remembered for the last flag key: fan-out planning
   * evaluates the same flag before and after a change, and its rollout buckets the device once.
   */
  int bucketHash(Murmur3.State flagKeyPrefix, String targetingKey) {
    Murmur3.State last = lastBucketPrefix;
    if (last != null
        && (last == flagKeyPrefix
            || (last.h1() == flagKeyPrefix.h1() && last.k1() == flagKeyPrefix.k1() && last.length() == flagKeyPrefix.length()))) {
      return lastBucketHash;
    }
    byte[] key = targetingKeyUtf8;
    int hash;
    if (key != null) {
      hash = Murmur3.hash(flagKeyPrefix, key);
    } else if (!hashedKey) {
      // One fractional (one flag resolved, a change planned) hashes the characters, allocating nothing.
      hashedKey = true;
      hash = Murmur3.hashUtf8NoAlloc(flagKeyPrefix, targetingKey);
    } else {
      // More (a whole set): encoded once, then hashed a block per step for every flag.
      key = targetingKey.getBytes(StandardCharsets.UTF_8);
      targetingKeyUtf8 = key;
      hash = Murmur3.hash(flagKeyPrefix, key);
    }
    lastBucketHash = hash;
    lastBucketPrefix = flagKeyPrefix;
    return hash;
  }
}
