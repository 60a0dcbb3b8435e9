package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A probe moved from device to device answers as a fresh evaluation of each device does. */
class FlagProbeTest {

  private static final String FLAGS = """
      {"flags": {
        "rollout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                    "targeting": {"fractional": [["on", 30], ["off", 70]]}},
        "rollout-wider": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                    "targeting": {"fractional": [["on", 60], ["off", 40]]}},
        "by-key": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
                   "targeting": {"if": [{"starts_with": [{"var": "targetingKey"}, "dev-1"]}, "b", "a"]}},
        "whole": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
                  "targeting": {"if": [{"==": [{"var": ""}, null]}, "b", "a"]}},
        "by-model": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
                     "targeting": {"if": [{"==": [{"var": "model"}, "th-100"]}, "b", "a"]}},
        "bucket-by-model": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                     "targeting": {"fractional": [{"var": "model"}, ["on", 50], ["off", 50]]}}
      }}""";

  @Test
  void movedProbeMatchesFreshEvaluation() throws Exception {
    FlagSet set = new FlagSetCompiler(Limits.DEFAULT).compile(FLAGS.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    DeviceContext[] shared = {
      new DeviceContext("", Map.of("model", "th-100")), new DeviceContext("other", Map.of("model", "gw-10"))
    };
    FlagProbe moved = new FlagProbe(DeviceContext.empty(), 0);
    for (int n = 0; n < 2_000; n++) {
      DeviceContext attributes = shared[n % 2];
      String key = "dev-" + n;
      DeviceContext device = attributes.withTargetingKey(key);
      for (int i = 0; i < set.size(); i++) {
        int expected = set.variantIndex(i, device, 0);
        assertEquals(expected, moved.moveTo(attributes, key, 0).variantIndex(set, i), key + " " + set.flag(i).key());
        // Alternating flags in one position: the remembered bucketing hash follows the flag key.
        assertEquals(expected, moved.variantIndex(set, i), key + " " + set.flag(i).key() + " again");
      }
    }
  }
}
