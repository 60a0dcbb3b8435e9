package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.FlagProbe;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A device's update worked out from a change's plan (only the changed flags evaluated, the state
 * hash carried forward) is the one a comparison of its whole set before and after gives: the same
 * values set, the same keys removed, in key order, and the same resulting state hash. Random
 * changes (flags added, redefined, removed; every value type; targeting on attributes and
 * rollouts; disabled flags and flags without a default) for random devices.
 */
class FanOutPlanTest {

  private static final String[] MODELS = {"th-100", "th-200", "gw-1"};
  private static final FlagSetCompiler COMPILER = new FlagSetCompiler(Limits.DEFAULT);

  @Test
  void anUpdateFromThePlanIsTheWholeSetComparison() throws Exception {
    Random random = new Random(14);
    Map<String, String> flags = new TreeMap<>();
    for (int i = 0; i < 12; i++) {
      flags.put("f-" + i, flag(random));
    }
    FlagSet before = compile(flags);
    int updates = 0;
    for (int change = 0; change < 300; change++) {
      Map<String, String> next = new TreeMap<>(flags);
      Set<String> changed = new TreeSet<>();
      Set<String> removed = new TreeSet<>();
      for (int n = 1 + random.nextInt(4); n > 0; n--) {
        String key = "f-" + random.nextInt(16);
        if (next.containsKey(key) && random.nextInt(4) == 0) {
          next.remove(key);
          removed.add(key);
          changed.remove(key);
        } else {
          next.put(key, flag(random));
          changed.add(key);
          removed.remove(key);
        }
      }
      FlagSet after = compile(next);
      FanOutPlan plan = new FanOutPlan(before, after, changed, removed, false);
      assertTrue(plan.coversWholeSet());
      FlagProbe probe = new FlagProbe(DeviceContext.empty(), 0);
      for (int device = 0; device < 40; device++) {
        DeviceContext attributes = new DeviceContext(null, Map.of("model", MODELS[random.nextInt(MODELS.length)]));
        String id = "dev-" + random.nextInt(1000);
        DeviceContext context = attributes.withTargetingKey(id);
        Evaluation held = before.evaluate(context, 0);
        Evaluation target = after.evaluate(context, 0);
        List<FlagUpdates.FlagValue> setByPlan = new ArrayList<>();
        List<String> removedByPlan = new ArrayList<>();
        int hash = held.stateHash() + plan.update(probe.moveTo(attributes, id, 0), setByPlan, removedByPlan);

        Map<String, Object> heldValues = values(held);
        Map<String, Object> targetValues = values(target);
        List<String> expectedSet = new ArrayList<>();
        targetValues.forEach((key, value) -> {
          if (!Objects.equals(heldValues.get(key), value)) {
            expectedSet.add(key);
          }
        });
        List<String> expectedRemoved = new ArrayList<>();
        heldValues.keySet().forEach(key -> {
          if (!targetValues.containsKey(key)) {
            expectedRemoved.add(key);
          }
        });
        String what = "change " + change + ", " + id + " " + attributes.attributes();
        assertEquals(expectedSet, setByPlan.stream().map(v -> v.flag().key()).toList(), what);
        for (FlagUpdates.FlagValue v : setByPlan) {
          assertEquals(targetValues.get(v.flag().key()), List.of(v.flag().type(), v.flag().variantValue(v.variant())), what);
        }
        assertEquals(expectedRemoved, removedByPlan, what);
        assertEquals(target.stateHash(), hash, what);
        updates += setByPlan.size() + removedByPlan.size();
      }
      flags = next;
      before = after;
    }
    assertTrue(updates > 1000, "the changes changed something: " + updates);
  }

  @Test
  void aSetThatReadsTheTimeIsNotCoveredByItsChangedFlags() throws Exception {
    FlagSet before = compile(Map.of("a", """
        {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
         "targeting": {"if": [{">": [{"var": "$flagd.timestamp"}, 0]}, "on", "off"]}}"""));
    FlagSet after = compile(Map.of("a", """
        {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
         "targeting": {"if": [{">": [{"var": "$flagd.timestamp"}, 0]}, "on", "off"]}}""", "b", flag(new Random(1))));
    assertFalse(new FanOutPlan(before, after, Set.of("b"), Set.of(), false).coversWholeSet());
  }

  /** Key to [type, value] of every flag the device has a value for. */
  private static Map<String, Object> values(Evaluation e) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (int i = 0; i < e.size(); i++) {
      int v = e.variantIndex(i);
      if (v >= 0) {
        values.put(e.flag(i).key(), List.of(e.flag(i).type(), e.flag(i).variantValue(v)));
      }
    }
    return values;
  }

  static FlagSet compile(Map<String, String> flags) throws Exception {
    StringBuilder json = new StringBuilder("{\"flags\": {");
    String separator = "";
    for (Map.Entry<String, String> f : new TreeMap<>(flags).entrySet()) {
      json.append(separator).append('"').append(f.getKey()).append("\": ").append(f.getValue());
      separator = ", ";
    }
    json.append("}}");
    return COMPILER.compile(json.toString().getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
  }

  /**
   * A flag of a random type with 2-3 variants, sometimes disabled, sometimes without a default,
   * with no targeting, targeting on the model, or a rollout.
   */
  static String flag(Random random) {
    int type = random.nextInt(5);
    int count = 2 + random.nextInt(2);
    StringBuilder variants = new StringBuilder();
    for (int v = 0; v < count; v++) {
      String value = switch (type) {
        case 0 -> String.valueOf(v % 2 == 0);
        case 1 -> String.valueOf(random.nextInt(3));
        case 2 -> random.nextInt(3) + ".5";
        case 3 -> "\"" + List.of("eco", "boost", "日本").get(random.nextInt(3)) + "\"";
        default -> "{\"n\": " + random.nextInt(3) + "}";
      };
      variants.append(v == 0 ? "" : ", ").append("\"v").append(v).append("\": ").append(value);
    }
    String state = random.nextInt(8) == 0 ? "DISABLED" : "ENABLED";
    String def = random.nextInt(5) == 0 ? "" : ", \"defaultVariant\": \"v" + random.nextInt(count) + "\"";
    String targeting = switch (random.nextInt(3)) {
      case 0 -> "";
      case 1 -> ", \"targeting\": {\"if\": [{\"==\": [{\"var\": \"model\"}, \"%s\"]}, \"v%d\", null]}"
          .formatted(MODELS[random.nextInt(MODELS.length)], random.nextInt(count));
      default -> ", \"targeting\": {\"fractional\": [[\"v0\", %d], [\"v1\", %d]]}"
          .formatted(1 + random.nextInt(50), 1 + random.nextInt(50));
    };
    return "{\"state\": \"%s\", \"variants\": {%s}%s%s}".formatted(state, variants, def, targeting);
  }
}
