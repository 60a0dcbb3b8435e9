package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.FlagType;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * No input makes the parser or compiler throw anything but {@link InvalidDocumentException}, and
 * nothing a document or a device holds makes evaluation throw: thousands of documents mutated
 * from real ones (the benchmark's 50 flags and flagd-testbed's 60, copied into test resources)
 * and built at random, as values and as text, with a fixed seed, compiled strictly and leniently
 * under default and small limits, then evaluated for varied devices. Targeting is also evaluated
 * below {@link Flag}'s own guard, which turns an unexpected exception into an ERROR result, so a
 * throwing operator cannot hide behind it.
 */
class RobustnessTest {

  private static final long SEED = 20_241_122L;
  private static final int MUTANTS_PER_SEED_DOCUMENT = 400;
  private static final int RANDOM_DOCUMENTS = 300;

  private static final List<String> OPERATORS = List.of(
      "var", "missing", "missing_some", "if", "?:", "==", "===", "!=", "!==", "!", "!!", "or", "and",
      "<", "<=", ">", ">=", "in", "cat", "substr", "+", "-", "*", "/", "%", "min", "max", "merge",
      "map", "filter", "reduce", "all", "some", "none", "fractional", "sem_ver", "starts_with",
      "ends_with", "$ref", "bogus", "log");

  private static final List<Object> STRINGS = List.of(
      "", "on", "off", "a", "true", "1", "1.5", "-1", "1.2.3", "v2.4.0", "1.2.3-rc.1+b", "1.x", "=",
      ">=", "^", "~", "=>", "targetingKey", "$flagd.flagKey", "$flagd.timestamp", "$flagd", "model",
      "tags.0", "site.floor", "a..b", ".", "current", "accumulator", "ENABLED", "DISABLED", "🙂",
      "\u0000", "\uD800", "é", "0x10", "Infinity", " 7 ", "dev-1", "x".repeat(300));

  private static final List<Object> NUMBERS = List.of(
      0L, 1L, -1L, 2L, 50L, 100L, 2_147_483_647L, 2_147_483_648L, -2_147_483_648L, 9_007_199_254_740_993L,
      Long.MAX_VALUE, Long.MIN_VALUE, 0.5, -0.0, 1.5, 1e308, -1e308, 4.9e-324, 1e21, 1e-7);

  private final Random random = new Random(SEED);
  /** Strings and numbers the seed documents' rules hold, so devices sometimes match them. */
  private final List<Object> harvested = new ArrayList<>();
  /** The attributes the seed documents' rules read, and a few more. */
  private final List<String> attributeNames = new ArrayList<>(List.of("x", "age", "n", "a", "time", "locale"));
  private final List<String> failures = new ArrayList<>();
  private int compiled;
  private int rejected;

  @Test
  void nothingButInvalidDocumentExceptionIsEverThrown() {
    List<Object> seeds = List.of(resource("/dev/fleetflags/bench/flags-50.json"), resource("robustness/testkit-flags.json"));
    for (Object seed : seeds) {
      harvest(seed);
    }
    List<DeviceContext> devices = devices();
    for (Object seed : seeds) {
      for (int i = 0; i < MUTANTS_PER_SEED_DOCUMENT && failures.size() < 5; i++) {
        Object mutant = mutable(seed);
        for (int m = 1 + random.nextInt(4); m > 0; m--) {
          mutant = mutate(mutant);
        }
        byte[] text = Json.write(mutant).getBytes(StandardCharsets.UTF_8);
        if (random.nextInt(4) == 0) {
          text = mutateText(text);
        }
        check(text, devices);
      }
    }
    for (int i = 0; i < RANDOM_DOCUMENTS && failures.size() < 5; i++) {
      check(Json.write(randomDocument()).getBytes(StandardCharsets.UTF_8), devices);
    }
    if (!failures.isEmpty()) {
      fail(failures.size() + " failures (seed " + SEED + "):\n" + String.join("\n\n", failures));
    }
    // the mutations must leave enough documents valid to exercise evaluation, and break enough
    assertTrue(compiled > 500, "compiled only " + compiled);
    assertTrue(rejected > 500, "rejected only " + rejected);
  }

  private static final Limits SMALL = new Limits(6_000, 8, 400, 30, 4, 16);

  private void check(byte[] text, List<DeviceContext> devices) {
    for (Limits limits : List.of(Limits.DEFAULT, SMALL)) {
      for (FlagSetCompiler.Mode mode : FlagSetCompiler.Mode.values()) {
        if (limits == SMALL && random.nextInt(mode == FlagSetCompiler.Mode.STRICT ? 4 : 2) > 0) {
          continue; // small limits reject nearly everything; a sample suffices
        }
        FlagSet set;
        try {
          set = new FlagSetCompiler(limits).compile(text, mode);
          compiled++;
        } catch (InvalidDocumentException e) {
          rejected++;
          if (e.problems().isEmpty()) {
            failures.add("rejected without a problem: " + new String(text, StandardCharsets.UTF_8));
          }
          continue;
        } catch (Throwable t) {
          failures.add(mode + " compile threw " + describe(t) + "\n" + new String(text, StandardCharsets.UTF_8));
          return;
        }
        // A strictly valid document compiles leniently to the same flags, and the small limits
        // only reject more: evaluating the lenient set under default limits covers them all.
        if (mode == FlagSetCompiler.Mode.LENIENT && limits == Limits.DEFAULT) {
          try {
            int from = random.nextInt(devices.size());
            evaluate(set, limits, List.of(devices.get(from), devices.get((from + 3) % devices.size()),
                devices.get((from + 5) % devices.size())));
          } catch (Throwable t) {
            failures.add("evaluation threw " + describe(t) + "\n" + new String(text, StandardCharsets.UTF_8));
            return;
          }
        }
      }
    }
  }

  private static void evaluate(FlagSet set, Limits limits, List<DeviceContext> devices) {
    long[] timestamps = {0L, 1_700_000_000L, -1L};
    for (DeviceContext device : devices) {
      long ts = timestamps[Math.floorMod(device.hashCode(), timestamps.length)];
      Evaluation evaluation = set.evaluate(device, ts);
      evaluation.stateHash();
      for (int i = 0; i < evaluation.size(); i++) {
        evaluation.resolution(i, null);
        evaluation.value(i);
        Flag flag = set.flag(i);
        set.resolve(flag.key(), device.hashCode() % 2 == 0 ? flag.type() : FlagType.FLOAT, null, device, ts);
      }
      set.resolve("no-such-flag", FlagType.BOOLEAN, false, device, ts);
    }
    // below Flag's guard: every compilable targeting, evaluated directly
    FlagDocument document = set.document();
    for (FlagDefinition definition : document.flags().values()) {
      if (definition.targeting() == null) {
        continue;
      }
      TargetingCompiler compiler =
          new TargetingCompiler(limits, document.evaluators(), definition.key(), definition.variants().keySet());
      Expr expr = compiler.compileRule(definition.targeting(), "targeting");
      if (compiler.unparseable()) {
        continue;
      }
      for (DeviceContext device : devices) {
        expr.eval(new Scope(device, 1_700_000_000L));
        expr.test(new Scope(device, 0L));
      }
    }
  }

  // ---- devices ----------------------------------------------------------------------------------

  private List<DeviceContext> devices() {
    List<DeviceContext> devices = new ArrayList<>();
    devices.add(new DeviceContext(null, Map.of()));
    devices.add(DeviceContext.of(""));
    Map<String, Object> known = new LinkedHashMap<>(); // in order: the seed fixes everything
    known.put("firmware", "2.4.1");
    known.put("model", "th-100");
    known.put("region", "eu-west");
    known.put("tags", List.of("beta", "lte"));
    known.put("user", Map.of("name", "jack"));
    known.put("email", "ballmer@macrosoft.com");
    known.put("color", "red");
    known.put("tier", "premium");
    devices.add(new DeviceContext("dev-1", known));
    for (int i = 0; i < 9; i++) {
      Map<String, Object> attributes = new LinkedHashMap<>();
      for (String name : attributeNames) {
        if (random.nextBoolean()) {
          attributes.put(name, random.nextBoolean() ? pick(harvested) : randomData(3));
        }
      }
      devices.add(new DeviceContext(random.nextBoolean() ? "dev-" + random.nextInt(1000) : null, attributes));
    }
    return devices;
  }

  /** A value a device attribute may hold (no operators: these are data). */
  private @Nullable Object randomData(int depth) {
    int kind = random.nextInt(depth > 0 ? 8 : 6);
    return switch (kind) {
      case 0 -> null;
      case 1 -> random.nextBoolean();
      case 2, 3 -> pick(STRINGS);
      case 4, 5 -> pick(NUMBERS);
      case 6 -> {
        List<Object> list = new ArrayList<>();
        for (int n = random.nextInt(4); n > 0; n--) {
          list.add(randomData(depth - 1));
        }
        yield list;
      }
      default -> {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int n = random.nextInt(3); n > 0; n--) {
          map.put((String) pick(List.of("name", "floor", "0", "a", "b", "")), randomData(depth - 1));
        }
        yield map;
      }
    };
  }

  private void harvest(@Nullable Object node) {
    if (node instanceof Map<?, ?> map) {
      if (map.get("var") instanceof String path && !path.isEmpty()) {
        String name = path.split("\\.")[0];
        if (!attributeNames.contains(name) && !name.equals("targetingKey") && !name.equals("$flagd")) {
          attributeNames.add(name);
        }
      }
      map.values().forEach(this::harvest);
    } else if (node instanceof List<?> list) {
      list.forEach(this::harvest);
    } else if (node instanceof String || node instanceof Number) {
      harvested.add(node);
    }
  }

  // ---- documents ----------------------------------------------------------------------------------

  private Object randomDocument() {
    Map<String, Object> flags = new LinkedHashMap<>();
    for (int n = random.nextInt(6); n > 0; n--) {
      Map<String, Object> flag = new LinkedHashMap<>();
      flag.put("state", random.nextInt(5) == 0 ? pick(STRINGS) : "ENABLED");
      Map<String, Object> variants = new LinkedHashMap<>();
      int type = random.nextInt(4);
      for (int v = random.nextInt(4); v > 0; v--) {
        String name = (String) pick(List.of("on", "off", "a", "b", "true", "false", "1", "0"));
        variants.put(name, switch (type) {
          case 0 -> random.nextBoolean();
          case 1 -> name;
          case 2 -> pick(NUMBERS);
          default -> random.nextInt(5) == 0 ? randomData(2) : mapOf("k", name);
        });
      }
      flag.put("variants", variants);
      if (random.nextBoolean()) {
        flag.put("defaultVariant", pick(List.of("on", "off", "a", "b", "true", "1")));
      }
      if (random.nextInt(5) > 0) {
        flag.put("targeting", randomRule(5));
      }
      flags.put("flag-" + n, flag);
    }
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("flags", flags);
    if (random.nextBoolean()) {
      Map<String, Object> evaluators = new LinkedHashMap<>();
      for (String name : List.of("e1", "e2")) {
        evaluators.put(name, randomRule(4));
      }
      document.put("$evaluators", evaluators);
    }
    return document;
  }

  /** A random JSON Logic expression: operators with random arguments, and literals. */
  private @Nullable Object randomRule(int depth) {
    if (depth <= 0 || random.nextInt(3) == 0) {
      return random.nextInt(3) == 0 ? mapOf("var", pick(STRINGS)) : randomData(1);
    }
    String op = (String) pick(OPERATORS);
    if (op.equals("$ref")) {
      return mapOf("$ref", pick(List.of("e1", "e2", "is_ballmer", "nope")));
    }
    if (op.equals("fractional") && random.nextBoolean()) {
      List<Object> args = new ArrayList<>();
      if (random.nextBoolean()) {
        args.add(randomRule(depth - 1));
      }
      for (int b = random.nextInt(4); b > 0; b--) {
        args.add(random.nextBoolean()
            ? listOf(pick(List.of("on", "off", "a")), pick(NUMBERS))
            : listOf(randomRule(depth - 1), randomRule(depth - 1)));
      }
      return mapOf(op, args);
    }
    List<Object> args = new ArrayList<>();
    for (int n = random.nextInt(5); n > 0; n--) {
      args.add(randomRule(depth - 1));
    }
    Map<String, Object> rule = new HashMap<>();
    rule.put(op, random.nextInt(6) == 0 && !args.isEmpty() ? args.get(0) : args);
    return rule;
  }

  /** One random change somewhere in the document. */
  private @Nullable Object mutate(@Nullable Object root) {
    List<Slot> slots = new ArrayList<>();
    collect(root, slots);
    if (slots.isEmpty()) {
      return randomRule(3);
    }
    Slot slot = slots.get(random.nextInt(slots.size()));
    Object current = slot.get();
    switch (random.nextInt(9)) {
      case 0 -> slot.set(randomData(2));
      case 1 -> slot.set(randomRule(3));
      case 2 -> slot.remove();
      case 3 -> slot.set(mapOf((String) pick(OPERATORS), random.nextBoolean() ? current : listOf(current, randomRule(2))));
      case 4 -> {
        if (current instanceof Map<?, ?> map && map.size() == 1) {
          Object args = map.values().iterator().next();
          Map<String, Object> renamed = new HashMap<>();
          renamed.put((String) pick(OPERATORS), args);
          slot.set(renamed);
        } else {
          slot.set(pick(STRINGS));
        }
      }
      case 5 -> {
        if (current instanceof List<?> list) {
          @SuppressWarnings("unchecked")
          List<Object> l = (List<Object>) list;
          l.add(random.nextInt(l.size() + 1), random.nextBoolean() ? randomRule(2) : pick(NUMBERS));
        } else {
          slot.set(listOf(current));
        }
      }
      case 6 -> slot.set(mapOf("$ref", pick(List.of("e1", "is_ballmer", "nope", "", "pilot"))));
      case 7 -> slot.set(random.nextBoolean() ? pick(NUMBERS) : pick(STRINGS));
      default -> {
        if (current instanceof Map<?, ?> map) {
          @SuppressWarnings("unchecked")
          Map<String, Object> m = (Map<String, Object>) map;
          m.put((String) pick(List.of("state", "variants", "defaultVariant", "targeting", "metadata", "$evaluators",
              "flags", "x", "var")), randomData(2));
        } else {
          slot.set(randomRule(2));
        }
      }
    }
    return mutable(root); // the next mutation may change what this one put in
  }

  private static Map<String, Object> mapOf(String key, @Nullable Object value) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put(key, value);
    return map;
  }

  private static List<Object> listOf(@Nullable Object... values) {
    List<Object> list = new ArrayList<>();
    java.util.Collections.addAll(list, values);
    return list;
  }

  /** Character-level damage: malformed JSON, duplicate keys, truncation. */
  private byte[] mutateText(byte[] text) {
    StringBuilder s = new StringBuilder(new String(text, StandardCharsets.UTF_8));
    for (int n = 1 + random.nextInt(3); n > 0 && s.length() > 0; n--) {
      int at = random.nextInt(s.length());
      switch (random.nextInt(5)) {
        case 0 -> s.deleteCharAt(at);
        case 1 -> s.insert(at, "{}[],:\"\\ 0-e.tn\u00e9\uD83D".charAt(random.nextInt(16)));
        case 2 -> s.setLength(at);
        case 3 -> {
          int end = Math.min(s.length(), at + 1 + random.nextInt(40));
          s.insert(end, s.substring(at, end));
        }
        default -> s.insert(at, "\"flags\": {}, ");
      }
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A place in the tree that holds a value: a member of an object or an element of an array. */
  private record Slot(Object container, Object key) {
    @SuppressWarnings("unchecked")
    @Nullable Object get() {
      return container instanceof Map<?, ?> m ? m.get(key) : ((List<Object>) container).get((Integer) key);
    }

    @SuppressWarnings("unchecked")
    void set(@Nullable Object value) {
      if (container instanceof Map<?, ?> m) {
        ((Map<String, Object>) m).put((String) key, value);
      } else {
        ((List<Object>) container).set((Integer) key, value);
      }
    }

    @SuppressWarnings("unchecked")
    void remove() {
      if (container instanceof Map<?, ?> m) {
        m.remove(key);
      } else {
        ((List<Object>) container).remove((int) (Integer) key);
      }
    }
  }

  private static void collect(@Nullable Object node, List<Slot> slots) {
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        slots.add(new Slot(map, e.getKey()));
        collect(e.getValue(), slots);
      }
    } else if (node instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        slots.add(new Slot(list, i));
        collect(list.get(i), slots);
      }
    }
  }

  /** A deep copy in mutable containers (Map.of-style immutables from mutations are copied too). */
  private static @Nullable Object mutable(@Nullable Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put((String) k, mutable(v)));
      return copy;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>();
      for (Object v : list) {
        copy.add(mutable(v));
      }
      return copy;
    }
    return value;
  }

  private Object pick(List<?> values) {
    return values.get(random.nextInt(values.size()));
  }

  private static Object resource(String name) {
    try (InputStream in = RobustnessTest.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new AssertionError("missing test resource " + name);
      }
      return Json.parse(in.readAllBytes(), Limits.DEFAULT);
    } catch (IOException | InvalidDocumentException e) {
      throw new AssertionError(e);
    }
  }

  private static String describe(Throwable t) {
    StringBuilder sb = new StringBuilder(t.toString());
    StackTraceElement[] trace = t.getStackTrace();
    for (int i = 0; i < Math.min(6, trace.length); i++) {
      sb.append("\n    at ").append(trace[i]);
    }
    return sb.toString();
  }
}
