package dev.fleetflags.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.eval.Resolution;
import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.apache.commons.codec.digest.MurmurHash3;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The wave arithmetic: who is in a wave (exactly the devices flagd's bucketing puts below the
 * wave's weight, a device in one wave in every later one, the share of the fleet the percentage
 * says), and that every wave definition compiles strictly and gives each device what the new
 * definition gives it if it is in the wave, else what the current one gives it.
 */
class WaveDefinitionTest {

  private static final int IDS = 100_000;
  private static final String SALT = "ota-v2@41/";
  /** 0.01%, 0.1%, 1%, 10%, 33.33%, 50%, 99.99%. */
  private static final int[] WEIGHTS = {1, 10, 100, 1_000, 3_333, 5_000, 9_999};

  @Test
  void aDeviceInAWaveIsInEveryLaterOneAndEachWaveHoldsItsShareOf100kIds() throws Exception {
    FlagDefinition from = flag("{'state':'ENABLED','variants':{'on':true,'off':false},'defaultVariant':'off'}");
    FlagDefinition to = flag("{'state':'ENABLED','variants':{'on':true,'off':false},'defaultVariant':'on'}");
    BitSet previous = new BitSet(IDS);
    for (int weight : WEIGHTS) {
      FlagSet set = compile(WaveDefinition.of("ota-v2", from, to, SALT, weight));
      BitSet in = new BitSet(IDS);
      long predicted = 0;
      for (int i = 0; i < IDS; i++) {
        String id = "device-" + i;
        if (Boolean.TRUE.equals(value(set, id, Map.of()))) {
          in.set(i);
        }
        // flagd's bucketing written here from its specification, with another MurmurHash3.
        byte[] bytes = (SALT + id).getBytes(StandardCharsets.UTF_8);
        long hash = Integer.toUnsignedLong(MurmurHash3.hash32x86(bytes, 0, bytes.length, 0));
        boolean expected = (hash * WaveDefinition.WEIGHTS) >>> 32 < weight;
        assertEquals(expected, in.get(i), () -> id + " at weight " + weight);
        assertEquals(expected, WaveDefinition.inWave(SALT, id, weight));
        predicted += expected ? 1 : 0;
      }
      assertEquals(predicted, in.cardinality());
      BitSet lost = (BitSet) previous.clone();
      lost.andNot(in);
      assertTrue(lost.isEmpty(), () -> lost.cardinality() + " devices left the rollout at weight " + weight);
      // The share: binomial, within 5 standard deviations of the percentage.
      double p = weight / (double) WaveDefinition.WEIGHTS;
      double sigma = Math.sqrt(IDS * p * (1 - p));
      assertTrue(Math.abs(in.cardinality() - IDS * p) <= 5 * sigma + 1,
          () -> in.cardinality() + " of " + IDS + " at " + p * 100 + "%");
      previous = in;
    }
  }

  @Test
  void wavesOfTwoRolloutsPickDevicesIndependently() {
    int both = 0;
    for (int i = 0; i < IDS; i++) {
      if (WaveDefinition.inWave("a@1/", "device-" + i, 1_000) && WaveDefinition.inWave("b@2/", "device-" + i, 1_000)) {
        both++;
      }
    }
    // 10% of 10%: 1,000 expected, sigma ~31.
    assertTrue(Math.abs(both - 1_000) < 160, "devices in both 10% waves: " + both);
  }

  @Test
  void bothDefinitionsServingVariantsMakeAPlainSplit() throws Exception {
    FlagDefinition wave = WaveDefinition.of("ota-v2",
        flag("{'state':'ENABLED','variants':{'on':true,'off':false},'defaultVariant':'off'}"),
        flag("{'state':'ENABLED','variants':{'on':true,'off':false},'defaultVariant':'on'}"), SALT, 1_000);
    assertEquals(Json.parse("""
        {"fractional": [{"cat": ["ota-v2@41/", {"var": "targetingKey"}]}, ["on", 1000], ["off", 9000]]}""", Limits.DEFAULT),
        wave.targeting());
    assertEquals(Map.of("on", true, "off", false), wave.variants());
    assertEquals("off", wave.defaultVariant(), "a device that cannot be bucketed keeps the current variant");
  }

  @Test
  void theLastWaveIsTheNewDefinitionItself() throws Exception {
    FlagDefinition to = flag("{'state':'ENABLED','variants':{'a':'x','b':'y'},'defaultVariant':'b','targeting':{'if':[{'==':[{'var':'model'},'m1']},'a',null]}}");
    assertEquals(to, WaveDefinition.of("k", null, to, SALT, WaveDefinition.WEIGHTS));
  }

  /** Each construction, for devices of every kind: the wave gives what the side the device is on gives. */
  @Test
  void everyWaveServesEachDeviceItsSide() throws Exception {
    String tiers = "{'state':'ENABLED','variants':{'gold':'g','basic':'b'},'defaultVariant':'basic',"
        + "'targeting':{'if':[{'==':[{'var':'tier'},'gold']},'gold',null]}}";
    String regions = "{'state':'ENABLED','variants':{'eu':'e','us':'u','none':'n'},'defaultVariant':'none',"
        + "'targeting':{'if':[{'==':[{'var':'region'},'eu']},'eu',{'==':[{'var':'region'},'us']},'us',null]}}";
    String[][] cases = {
        // from, to
        {"{'state':'ENABLED','variants':{'on':true,'off':false},'defaultVariant':'off'}",
         "{'state':'ENABLED','variants':{'on':true,'off':false},'defaultVariant':'on'}"},
        {null, "{'state':'ENABLED','variants':{'on':true,'off':false},'defaultVariant':'on'}"},
        {"{'state':'DISABLED','variants':{'on':true,'off':false},'defaultVariant':'off'}",
         "{'state':'ENABLED','variants':{'on':true,'off':false},'defaultVariant':'on'}"},
        {"{'state':'ENABLED','variants':{'on':true,'off':false},'defaultVariant':'on'}",
         "{'state':'DISABLED','variants':{'on':true,'off':false},'defaultVariant':'on'}"},
        {tiers, regions},
        {regions, tiers},
        {null, tiers},
        {tiers, "{'state':'ENABLED','variants':{'gold':'G','basic':'b'},'defaultVariant':'gold'}"},
        {"{'state':'ENABLED','variants':{'v':'old'},'defaultVariant':'v'}", "{'state':'ENABLED','variants':{'v':'new'},'defaultVariant':'v'}"},
        {"{'state':'ENABLED','variants':{'v':'old','w':'w'},'defaultVariant':'v'}", "{'state':'ENABLED','variants':{'v':'new','w':'w'},"
            + "'defaultVariant':'v','targeting':{'if':[{'==':[{'var':'tier'},'gold']},'w',null]}}"},
        {"{'state':'ENABLED','variants':{'v':1,'w':2},'targeting':{'if':[{'==':[{'var':'tier'},'gold']},'w',null]}}",
         "{'state':'ENABLED','variants':{'v':3,'w':2},'defaultVariant':'v'}"},
        {"{'state':'ENABLED','variants':{'v':{'a':1}},'defaultVariant':'v'}",
         "{'state':'ENABLED','variants':{'v':{'a':1},'x':{'a':2}},'defaultVariant':'v','targeting':"
             + "{'fractional':[{'var':'targetingKey'},['v',50],['x',50]]}}"},
    };
    Random random = new Random(11);
    for (String[] c : cases) {
      FlagDefinition from = c[0] == null ? null : flag(c[0]);
      FlagDefinition to = flag(c[1]);
      FlagSet fromSet = from == null ? null : compile(from);
      FlagSet toSet = compile(to);
      for (int weight : new int[] {1, 2_500, 9_999}) {
        FlagDefinition wave = WaveDefinition.of("k", from, to, SALT, weight);
        FlagSet waveSet = compile(wave);
        for (int i = 0; i < 2_000; i++) {
          String id = "dev-" + random.nextInt(1_000_000);
          Map<String, Object> attributes = Map.of("tier", random.nextBoolean() ? "gold" : "silver",
              "region", List.of("eu", "us", "ap").get(random.nextInt(3)));
          boolean in = WaveDefinition.inWave(SALT, id, weight);
          Object expected = in ? value(toSet, id, attributes) : fromSet == null ? null : value(fromSet, id, attributes);
          assertEquals(expected, value(waveSet, id, attributes),
              () -> id + " " + attributes + (in ? " in " : " out of ") + "the wave at " + weight + " of " + Json.write(wave.toJson()));
        }
      }
    }
  }

  @Test
  void aVariantNameWithAnotherValueIsRenamedWhereOnlyTheDefaultNamesIt() throws Exception {
    FlagDefinition wave = WaveDefinition.of("k", flag("{'state':'ENABLED','variants':{'v':'old'},'defaultVariant':'v'}"),
        flag("{'state':'ENABLED','variants':{'v':'new'},'defaultVariant':'v'}"), SALT, 100);
    assertEquals(Map.of("v~rollout", "new", "v", "old"), wave.variants());
    assertEquals("v", wave.defaultVariant());
    FlagDefinition targeted = WaveDefinition.of("k", flag("{'state':'ENABLED','variants':{'v':'old'},'defaultVariant':'v'}"),
        flag("{'state':'ENABLED','variants':{'v':'new','w':'w'},'defaultVariant':'v','targeting':{'if':[{'var':'x'},'w',null]}}"),
        SALT, 100);
    assertEquals(Map.of("v", "new", "w", "w", "v~rollout", "old"), targeted.variants(), "renamed on the side without targeting");
    assertEquals("v~rollout", targeted.defaultVariant(), "the current definition's default, renamed with it");
    assertNull(WaveDefinition.of("k", null, flag("{'state':'ENABLED','variants':{'v':'new'},'defaultVariant':'v'}"), SALT, 100)
        .defaultVariant(), "a new flag gives devices outside the wave no value");
  }

  @Test
  void whatCannotBeRolledOutIsSaid() throws Exception {
    FlagDefinition bool = flag("{'state':'ENABLED','variants':{'on':true,'off':false},'defaultVariant':'off'}");
    assertEquals("the new definition is the flag's current one; nothing to roll out", WaveDefinition.problem(bool, bool));
    assertTrue(Objects.requireNonNull(WaveDefinition.problem(bool,
        flag("{'state':'ENABLED','variants':{'on':'yes'},'defaultVariant':'on'}"))).contains("not a flag's type"));
    assertTrue(Objects.requireNonNull(WaveDefinition.problem(null,
        flag("{'state':'DISABLED','variants':{'on':true},'defaultVariant':'on'}"))).contains("nothing to roll out"));
    FlagDefinition a = flag("{'state':'ENABLED','variants':{'v':1,'w':2},'defaultVariant':'v','targeting':{'if':[{'var':'x'},'w',null]}}");
    FlagDefinition b = flag("{'state':'ENABLED','variants':{'v':5,'w':2},'defaultVariant':'v','targeting':{'if':[{'var':'y'},'w',null]}}");
    assertTrue(Objects.requireNonNull(WaveDefinition.problem(a, b)).contains("variant \"v\" has one value now and another"));
    assertThrows(IllegalArgumentException.class, () -> WaveDefinition.of("k", a, b, SALT, 5));
    assertThrows(IllegalArgumentException.class, () -> WaveDefinition.of("k", null, bool, SALT, 0));
    assertNotNull(WaveDefinition.of("k", null, bool, SALT, 1));
  }

  // --- helpers ---------------------------------------------------------------------------------

  static FlagDefinition flag(String json) throws InvalidDocumentException {
    Object definition = Json.parse(json.replace('\'', '"'), Limits.DEFAULT);
    FlagDocumentParser.Result parsed = new FlagDocumentParser(Limits.DEFAULT).parse(Map.of("flags", Map.of("k", definition)));
    assertTrue(parsed.problems().isEmpty(), () -> parsed.problems().toString());
    return parsed.document().flags().get("k");
  }

  /** Compiles one definition as flag "k", strictly: a wave must be a valid flagd definition. */
  static FlagSet compile(FlagDefinition definition) throws InvalidDocumentException {
    FlagDefinition asK = new FlagDefinition("k", definition.state(), definition.variants(), definition.defaultVariant(),
        definition.targeting(), definition.metadata());
    return new FlagSetCompiler(Limits.DEFAULT).compile(new FlagDocument(Map.of("k", asK), Map.of(), Map.of()),
        FlagSetCompiler.Mode.STRICT);
  }

  /** The value a device gets (null: none, it uses its own default). */
  static @Nullable Object value(FlagSet set, String id, Map<String, Object> attributes) {
    Resolution r = set.resolve("k", new DeviceContext(id, attributes));
    return r.variant() == null ? null : r.value();
  }

  static List<String> ids(int n) {
    List<String> ids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ids.add("device-" + i);
    }
    return ids;
  }
}
