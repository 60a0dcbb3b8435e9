package dev.fleetflags.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.rollout.WaveDefinition;
import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.FlagType;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.openfeature.contrib.providers.flagd.resolver.process.model.FlagParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The definitions a rollout writes are standard flagd: the flagd Java provider (0.11.15, another
 * engine, with flagd's legacy bucketing) accepts every wave, and gives each device the new
 * definition's value where its own bucketing puts the device in the wave (a probe flag with the
 * same split tells), else the current definition's. Which devices are in a wave depends on the
 * engine's bucketing; that every device gets one side or the other, as its engine buckets it, does
 * not. (Waves that must give some devices no value, of a flag that is absent or disabled on one
 * side, have no default variant, which this provider's schema refuses; FleetFlags' own test covers
 * them.)
 */
class RolloutWavesProviderTest {

  private static final String SALT = "flag@7/";

  @Test
  void theProviderServesEveryWaveAsTheSplitOfTheTwoDefinitions(@TempDir Path temp) throws Exception {
    String tiers = "{'state':'ENABLED','variants':{'gold':'g','basic':'b'},'defaultVariant':'basic',"
        + "'targeting':{'if':[{'==':[{'var':'tier'},'gold']},'gold',null]}}";
    String regions = "{'state':'ENABLED','variants':{'eu':'e','us':'u','none':'n'},'defaultVariant':'none',"
        + "'targeting':{'if':[{'==':[{'var':'region'},'eu']},'eu',{'==':[{'var':'region'},'us']},'us',null]}}";
    String[][] cases = {
        {"{'state':'ENABLED','variants':{'on':'on','off':'off'},'defaultVariant':'off'}",
         "{'state':'ENABLED','variants':{'on':'on','off':'off'},'defaultVariant':'on'}"},
        {tiers, regions},
        {regions, tiers},
        {tiers, "{'state':'ENABLED','variants':{'gold':'G','basic':'b'},'defaultVariant':'gold'}"},
        {"{'state':'ENABLED','variants':{'gold':'G','basic':'b'},'defaultVariant':'gold'}", tiers},
        {"{'state':'ENABLED','variants':{'v':'old'},'defaultVariant':'v'}", "{'state':'ENABLED','variants':{'v':'new'},'defaultVariant':'v'}"},
    };
    int[] weights = {100, 2_500, 5_000, 9_000};
    Map<String, Object> flags = new LinkedHashMap<>();
    for (int c = 0; c < cases.length; c++) {
      FlagDefinition from = flag(cases[c][0]);
      FlagDefinition to = flag(cases[c][1]);
      flags.put("current-" + c, from.toJson());
      flags.put("next-" + c, to.toJson());
      for (int w : weights) {
        flags.put("wave-" + c + "-" + w, WaveDefinition.of("wave-" + c + "-" + w, from, to, SALT, w).toJson());
      }
    }
    for (int w : weights) {
      flags.put("probe-" + w, Map.of("state", "ENABLED", "variants", Map.of("next", "next", "current", "current"),
          "defaultVariant", "current", "targeting", Map.of("fractional", List.of(
              Map.of("cat", List.of(SALT, Map.of("var", "targetingKey"))),
              List.of("next", (long) w), List.of("current", (long) (WaveDefinition.WEIGHTS - w))))));
    }
    String document = Json.write(Map.of("flags", flags));
    FlagParser.parseString(document, true); // the provider's own parser (its schema) takes the whole file
    Path file = temp.resolve("waves.json");
    Files.writeString(file, document);

    Random random = new Random(5);
    int inWave = 0;
    int checked = 0;
    try (FlagdJavaProvider provider = new FlagdJavaProvider(file, "fleetflags-rollout-waves")) {
      for (int i = 0; i < 400; i++) {
        String id = "device-" + random.nextInt(1_000_000);
        Map<String, Object> attributes = Map.of("tier", random.nextBoolean() ? "gold" : "silver",
            "region", List.of("eu", "us", "ap").get(random.nextInt(3)));
        for (int w : weights) {
          Object side = provider.resolve("probe-" + w, FlagType.STRING, "fallback", id, attributes).value();
          assertTrue(side.equals("next") || side.equals("current"), () -> "probe gave " + side);
          inWave += side.equals("next") ? 1 : 0;
          for (int c = 0; c < cases.length; c++) {
            String expectedFrom = (side.equals("next") ? "next-" : "current-") + c;
            Object expected = served(provider.resolve(expectedFrom, FlagType.STRING, "fallback", id, attributes));
            Object actual = served(provider.resolve("wave-" + c + "-" + w, FlagType.STRING, "fallback", id, attributes));
            int cc = c;
            assertEquals(expected, actual, () -> "case " + cc + ", " + id + " " + attributes + " on the " + side + " side at " + w);
            checked++;
          }
        }
      }
    }
    assertEquals(400 * weights.length * cases.length, checked);
    assertTrue(inWave > 0 && inWave < 400 * weights.length, "the probe split the devices: " + inWave);
  }

  /** The value the device gets, or null if it gets none (the provider answers its fallback). */
  private static @Nullable Object served(FlagdJavaProvider.Answer answer) {
    return answer.variant() == null ? null : answer.value();
  }

  private static FlagDefinition flag(String json) throws Exception {
    Object definition = Json.parse(json.replace('\'', '"'), Limits.DEFAULT);
    FlagDocumentParser.Result parsed = new FlagDocumentParser(Limits.DEFAULT).parse(Map.of("flags", Map.of("k", definition)));
    assertTrue(parsed.problems().isEmpty(), () -> parsed.problems().toString());
    return Objects.requireNonNull(parsed.document().flags().get("k"));
  }
}
