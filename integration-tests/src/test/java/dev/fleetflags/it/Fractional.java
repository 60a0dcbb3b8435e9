package dev.fleetflags.it;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * flagd's {@code fractional} written from its specification, to predict on the test side which
 * devices a rollout step moves: the point {@code (unsigned murmur3_32(flagKey + targetingKey) *
 * totalWeight) >> 32} falls in the first bucket whose cumulative weight exceeds it.
 */
final class Fractional {

  private Fractional() {}

  /**
   * The variant a device gets from {@code {"fractional": [[variant, weight], ...]}} without a
   * bucketBy expression.
   *
   * @param weights variant to weight, in the order of the rule
   */
  static String variant(
      String flagKey, String targetingKey, LinkedHashMap<String, Integer> weights) {
    long total = weights.values().stream().mapToLong(Integer::longValue).sum();
    int hash =
        Hashing.murmur3_32_fixed()
            .hashString(flagKey + targetingKey, StandardCharsets.UTF_8)
            .asInt();
    long point = ((hash & 0xFFFF_FFFFL) * total) >>> 32;
    long end = 0;
    for (Map.Entry<String, Integer> bucket : weights.entrySet()) {
      end += bucket.getValue();
      if (point < end) {
        return bucket.getKey();
      }
    }
    throw new AssertionError("no bucket for point " + point + " of " + total);
  }
}
