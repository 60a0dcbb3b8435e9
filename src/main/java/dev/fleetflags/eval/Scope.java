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
  /** The targeting key's UTF-8 bytes, encoded on the first fractional of this evaluation. */
  private byte @Nullable [] targetingKeyUtf8;
  /**
   * The attributes this evaluation has read, by interned name: the flags of a set read a few
   * attributes many times, and a device's attributes do not change while it is evaluated.
   */
  private @Nullable String @Nullable [] readNames;
  private @Nullable Object @Nullable [] readValues;
  private int readCount;
  private static final int MAX_READ = 8;

  /**
   * Work on a string or array up to this length is not charged: it is bounded by the node that
   * does it, which the step budget counts. Longer ones charge a step per {@link #CHARS_PER_STEP}.
   */
  static final int FREE_SCAN = 64;
  /** Characters (or elements) passed over per step: a step is a node's evaluation, a character far less. */
  static final int CHARS_PER_STEP = 8;
  /**
   * What the current flag's evaluation may still spend, packed in one long so that {@link
   * Flag#evaluate} sets it for each flag with one store: the steps in the high 32 bits (negative:
   * none), the size (characters and array elements created) in the low 32 bits. As good as
   * unlimited outside a flag's evaluation (constant folding, tests of single expressions).
   */
  long budget = budget(Integer.MAX_VALUE, Integer.MAX_VALUE);

  /** A budget of {@code steps} (negative: none at all) and {@code size} (at least 0). */
  static long budget(int steps, int size) {
    return ((long) steps << 32) | size;
  }

  /** Steps the current evaluation may still charge. */
  int stepsLeft() {
    return (int) (budget >> 32);
  }

  /** Characters and elements the current evaluation may still create. */
  int sizeLeft() {
    return (int) budget;
  }

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
    readCount = 0;
  }

  /**
   * Charges {@code steps} of work whose amount the targeting's size does not bound (a loop's
   * iterations); throws {@link BudgetExceeded} when the flag's budget is spent.
   */
  void charge(long steps) {
    if (steps > (budget >> 32)) {
      throw BudgetExceeded.INSTANCE;
    }
    budget -= steps << 32;
  }

  /** Charges {@code units} characters or array elements about to be created. */
  void allocate(long units) {
    if (units > (int) budget) {
      throw BudgetExceeded.INSTANCE;
    }
    budget -= units;
  }

  /** Charges a pass over a string or array of {@code length}, if it is a long one. */
  void scan(long length) {
    if (length > FREE_SCAN) {
      charge(length / CHARS_PER_STEP);
    }
  }

  /** A scope for folding constant expressions at compile time; it has no device data. */
  static Scope forConstants() {
    return new Scope(DeviceContext.empty(), 0);
  }

  /** The device attribute {@code name}, which must be interned, or {@link Data#MISSING}. */
  @Nullable Object attribute(String name) {
    String[] names = readNames;
    int n = readCount;
    for (int i = 0; i < n; i++) {
      if (names[i] == name) {
        return readValues[i];
      }
    }
    Object value = device.attributeOrMissing(name);
    if (n < MAX_READ) {
      if (names == null) {
        names = new String[MAX_READ];
        readNames = names;
        readValues = new Object[MAX_READ];
      }
      names[n] = name;
      readValues[n] = value;
      readCount = n + 1;
    }
    return value;
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
      scan(text.length());
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
    if (key == null) {
      // Encoded once per device and evaluation, then hashed a block per step for every flag; even
      // for one fractional, fewer instructions than hashing the characters one by one (callgrind).
      key = targetingKey.getBytes(StandardCharsets.UTF_8);
      targetingKeyUtf8 = key;
    }
    lastBucketHash = Murmur3.hash(flagKeyPrefix, key);
    lastBucketPrefix = flagKeyPrefix;
    return lastBucketHash;
  }
}
