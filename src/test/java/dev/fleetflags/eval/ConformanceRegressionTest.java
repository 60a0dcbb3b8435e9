package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fleetflags.rules.FlagType;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Engine defects found by the flagd conformance suite or the differential test, each pinned. */
class ConformanceRegressionTest {

  private static final long NOW = 1_767_225_600L;

  private static FlagSet lenient(String json) throws InvalidDocumentException {
    return new FlagSetCompiler(Limits.DEFAULT).compile(json.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.LENIENT);
  }

  /** flagd clamps a negative fractional weight to 0 and splits over the rest (conformance: fractional.feature). */
  @Test
  void negativeFractionalWeightCountsAsZero() throws InvalidDocumentException {
    String doc = """
        {"flags": {"f": {"state": "ENABLED", "variants": {"one": "one", "two": "two", "fallback": "fallback"},
          "defaultVariant": "fallback",
          "targeting": {"fractional": [{"var": "targetingKey"}, ["one", -50], ["two", 100]]}}}}
        """;
    FlagSet set = lenient(doc);
    for (String device : new String[] {"any-user", "dev-1", "dev-2", "dev-3"}) {
      Resolution r = set.resolve("f", FlagType.STRING, "wrong", new DeviceContext(device, Map.of()), NOW);
      assertEquals("two", r.value(), device);
      assertEquals(Reason.TARGETING_MATCH, r.reason(), device);
    }
    // An admin write still refuses it: a negative weight is almost certainly a mistake.
    assertThrows(InvalidDocumentException.class,
        () -> new FlagSetCompiler(Limits.DEFAULT).compile(doc.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT));
  }
}
