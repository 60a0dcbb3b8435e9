package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.fleetflags.rules.FlagType;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Resolutions that serve a variant are made once per flag; the caller's default still applies elsewhere. */
class ServedResolutionTest {

  private static final String FLAGS = """
      {"flags": {
        "beta": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                 "targeting": {"if": [{"==": [{"var": "model"}, "th-100"]}, "on", null]}},
        "mode": {"state": "ENABLED", "variants": {"a": "eco", "b": "boost"}, "defaultVariant": "a"},
        "off-flag": {"state": "DISABLED", "variants": {"x": 1}, "defaultVariant": "x"},
        "broken": {"state": "ENABLED", "variants": {"x": 1, "y": 2}, "defaultVariant": "x",
                   "targeting": {"if": [{"var": "model"}, "z", "y"]}}
      },
      "metadata": {"owner": "fleet"}}""";

  private final FlagSet set = compile();
  private final DeviceContext th100 = new DeviceContext("dev-1", Map.of("model", "th-100"));
  private final DeviceContext gw10 = new DeviceContext("dev-2", Map.of("model", "gw-10"));

  private static FlagSet compile() {
    try {
      return new FlagSetCompiler(Limits.DEFAULT).compile(FLAGS.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.LENIENT);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void servedVariantsDoNotDependOnTheFallback() {
    Resolution match = set.resolve("beta", FlagType.BOOLEAN, false, th100, 0);
    assertEquals(new Resolution(true, "on", Reason.TARGETING_MATCH, null, null, Map.of("owner", "fleet")), match);
    assertEquals(match, set.resolve("beta", FlagType.BOOLEAN, true, th100, 0));
    Resolution byDefault = set.resolve("beta", FlagType.BOOLEAN, true, gw10, 0);
    assertEquals(new Resolution(false, "off", Reason.DEFAULT, null, null, Map.of("owner", "fleet")), byDefault);
    assertEquals(new Resolution("eco", "a", Reason.STATIC, null, null, Map.of("owner", "fleet")),
        set.resolve("mode", FlagType.STRING, "x", gw10, 0));
    Evaluation all = set.evaluate(th100, 0);
    assertEquals(match, all.resolution(set.indexOf("beta"), null));
  }

  @Test
  void theFallbackStillAppliesWhereNoVariantIsServed() {
    Resolution disabled = set.resolve("off-flag", FlagType.INTEGER, 7L, gw10, 0);
    assertEquals(7L, disabled.value());
    assertNull(disabled.variant());
    assertEquals(Reason.DISABLED, disabled.reason());
    Resolution error = set.resolve("broken", FlagType.INTEGER, 9L, th100, 0);
    assertEquals(9L, error.value());
    assertEquals(ErrorCode.GENERAL, error.errorCode());
    assertEquals(Reason.ERROR, error.reason());
  }

  @Test
  void aFloatRequestOfAnIntegerFlagStillGetsADouble() {
    Resolution r = set.resolve("broken", FlagType.FLOAT, 0.5, DeviceContext.of("dev-3"), 0);
    assertEquals(2.0, r.value());
    assertEquals("y", r.variant());
  }
}
