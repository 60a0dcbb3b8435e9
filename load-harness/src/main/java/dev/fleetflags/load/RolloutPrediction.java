package dev.fleetflags.load;

import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * Which devices a boolean {@code fractional} rollout turns on, computed here independently of
 * FleetFlags from flagd's definition: the bucketing value is the flag key followed by the
 * targeting key; its MurmurHash3 (x86, 32 bit, seed 0), unsigned, times the total weight, shifted
 * right by 32, is the device's point; the first variant whose cumulative weight exceeds it wins.
 */
record RolloutPrediction(String flagKey, int percentOn) {

  /** Whether the device is in the "on" bucket of a {@code [["on", p], ["off", 100 - p]]} split. */
  boolean on(String targetingKey) {
    byte[] value = (flagKey + targetingKey).getBytes(StandardCharsets.UTF_8);
    long hash = MurmurHash3.hash32x86(value, 0, value.length, 0) & 0xFFFFFFFFL;
    long point = (hash * 100) >>> 32;
    return point < percentOn;
  }

  /** The flagd flag for this split, as the admin topic takes it. */
  String document() {
    return """
        {"flags":{"%s":{"state":"ENABLED","variants":{"on":true,"off":false},\
        "defaultVariant":"off","targeting":{"fractional":[["on",%d],["off",%d]]}}}}"""
        .formatted(flagKey, percentOn, 100 - percentOn);
  }
}
