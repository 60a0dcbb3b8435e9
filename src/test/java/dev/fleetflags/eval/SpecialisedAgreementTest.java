package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The specialised paths agree with the general ones on random rules and devices: a flag's
 * {@link Targeting} (literal variants, literal fractional splits, {@code if} chains) chooses what
 * evaluating the rule and looking its value up by name chooses; {@code in} over a few literal
 * strings answers as the hash-set form and the computed form do.
 */
class SpecialisedAgreementTest {

  /** Variant names as a flag holds them; "true" and "1" are named by a boolean and a number. */
  private static final String[] VARIANTS = {"a", "b", "c", "true", "1"};

  private static final Targeting.Variants BY_NAME = value -> {
    String name = value instanceof String s ? s
        : value instanceof Boolean || value instanceof Number ? Js.toStr(value) : null;
    for (int i = 0; name != null && i < VARIANTS.length; i++) {
      if (VARIANTS[i].equals(name)) {
        return i;
      }
    }
    return -1;
  };

  private static final String[] WORDS = {"a", "b", "c", "x", "", "th-100", "gw-20", "eu-west", "true", "1", "Ab", "BA"};

  @Test
  void targetingChoosesWhatTheRuleValueNames() {
    Random random = new Random(7);
    Map<Class<?>, Integer> shapes = new HashMap<>();
    for (int r = 0; r < 2_000; r++) {
      Object rule = rule(random, 0);
      TargetingCompiler compiler = new TargetingCompiler(Limits.DEFAULT, Map.of(), "flag-" + r, Set.of(VARIANTS));
      Expr expr = compiler.compileRule(rule, "rule");
      if (compiler.unparseable()) {
        continue;
      }
      Targeting specialised = Targeting.of(expr, BY_NAME);
      Targeting general = new Targeting.General(expr, BY_NAME);
      shapes.merge(specialised.getClass(), 1, Integer::sum);
      for (int d = 0; d < 50; d++) {
        DeviceContext device = device(random);
        int expected = general.choose(new Scope(device, 1_700_000_000L));
        int actual = specialised.choose(new Scope(device, 1_700_000_000L));
        assertEquals(expected, actual, () -> Json.write(rule) + " for " + device);
      }
    }
    // Each specialised shape, and the general fallback, was exercised many times.
    for (Class<?> shape : List.of(Targeting.Fixed.class, Targeting.Split.class, Targeting.Branches.class, Targeting.General.class)) {
      assertTrue(shapes.getOrDefault(shape, 0) > 50, shape.getSimpleName() + " seen " + shapes.getOrDefault(shape, 0) + " times: " + shapes);
    }
  }

  @Test
  void inOverFewStringsAgreesWithTheHashSetAndComputedForms() {
    Random random = new Random(11);
    Object[] needles = {null, true, false, 0L, 1L, 1.0, -0.0, "1", "true", List.of("a"), Map.of("a", 1L)};
    for (int r = 0; r < 2_000; r++) {
      List<Object> members = new ArrayList<>();
      for (int i = random.nextInt(Text.InStrings.MAX_MEMBERS + 1); i > 0; i--) {
        members.add(WORDS[random.nextInt(WORDS.length)]);
      }
      Object needle = random.nextBoolean() ? WORDS[random.nextInt(WORDS.length)] : needles[random.nextInt(needles.length)];
      // A new instance, so that no member is the same object and the characters are compared.
      Object probe = needle instanceof String s ? new String(s.toCharArray()) : needle;
      Expr literal = new Expr.Const(probe);
      boolean few = new Text.InStrings(literal, members.stream().map(String.class::cast).toArray(String[]::new)).test(Scope.forConstants());
      boolean set = new Text.InSet(literal, members).test(Scope.forConstants());
      boolean computed = new Text.In(literal, new Expr.Const(members)).test(Scope.forConstants());
      assertEquals(set, few, () -> probe + " in " + members);
      assertEquals(computed, few, () -> probe + " in " + members);
    }
  }

  private static Object rule(Random random, int depth) {
    int kind = random.nextInt(depth > 2 ? 3 : 6);
    switch (kind) {
      case 0:
        return result(random);
      case 1:
      case 2:
        return fractional(random);
      case 3:
      case 4: {
        List<Object> args = new ArrayList<>();
        int pairs = 1 + random.nextInt(3);
        for (int i = 0; i < pairs; i++) {
          args.add(condition(random));
          args.add(rule(random, depth + 1));
        }
        if (random.nextBoolean()) {
          args.add(rule(random, depth + 1));
        }
        return Map.of(random.nextInt(5) == 0 ? "?:" : "if", args);
      }
      default:
        // Shapes left to the general path: computed values that may or may not name a variant.
        Object value = result(random);
        return switch (random.nextInt(3)) {
          case 0 -> Map.of("var", "model");
          case 1 -> Map.of("cat", List.of(value == null ? "" : value, ""));
          default -> Map.of("or", List.of(condition(random), value == null ? "a" : value));
        };
    }
  }

  private static @Nullable Object result(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> null;
      case 1 -> true; // names "true"
      case 2 -> false; // names nothing
      case 3 -> 1L; // names "1"
      case 4 -> "zz"; // names nothing
      default -> VARIANTS[random.nextInt(3)];
    };
  }

  private static Object fractional(Random random) {
    List<Object> args = new ArrayList<>();
    switch (random.nextInt(4)) {
      case 0 -> args.add(Map.of("var", "model"));
      case 1 -> args.add(Map.of("var", "n")); // a number, or missing: nothing to bucket by, or the default
      case 2 -> args.add(Map.of("cat", List.of(Map.of("var", "$flagd.flagKey"), Map.of("var", "model"))));
      default -> { } // flag key + targeting key
    }
    int buckets = 1 + random.nextInt(4);
    for (int b = 0; b < buckets; b++) {
      Object variant = result(random);
      if (random.nextInt(5) == 0) {
        args.add(java.util.Arrays.asList(variant));
      } else {
        args.add(java.util.Arrays.asList(variant, (long) (b == 0 ? 1 + random.nextInt(50) : random.nextInt(50))));
      }
    }
    return Map.of("fractional", args);
  }

  private static Object condition(Random random) {
    return switch (random.nextInt(7)) {
      case 0 -> Map.of("in", List.of(Map.of("var", "model"), List.of(WORDS[random.nextInt(WORDS.length)], WORDS[random.nextInt(WORDS.length)])));
      case 1 -> Map.of("==", List.of(Map.of("var", "n"), (long) random.nextInt(3)));
      case 2 -> Map.of("sem_ver", List.of(Map.of("var", "fw"), random.nextBoolean() ? ">=" : "^", "1.2.0"));
      case 3 -> Map.of("var", "on");
      case 4 -> Map.of("and", List.of(Map.of("var", "on"), Map.of("in", List.of("e", Map.of("var", "model")))));
      case 5 -> random.nextBoolean();
      default -> Map.of("starts_with", List.of(Map.of("var", "targetingKey"), "dev-1"));
    };
  }

  private static DeviceContext device(Random random) {
    Map<String, Object> attributes = new LinkedHashMap<>();
    if (random.nextInt(4) > 0) {
      attributes.put("model", WORDS[random.nextInt(WORDS.length)]);
    }
    if (random.nextBoolean()) {
      attributes.put("n", (long) random.nextInt(3));
    }
    if (random.nextInt(3) > 0) {
      attributes.put("fw", random.nextInt(3) + "." + random.nextInt(4) + "." + random.nextInt(3));
    }
    if (random.nextBoolean()) {
      attributes.put("on", random.nextBoolean());
    }
    String key = random.nextInt(10) == 0 ? null : "dev-" + random.nextInt(100_000);
    return new DeviceContext(key, attributes);
  }
}
