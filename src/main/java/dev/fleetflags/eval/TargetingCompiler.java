package dev.fleetflags.eval;

import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Compiles one flag's targeting (or one shared evaluator) into an {@link Expr} tree, inlining
 * {@code $ref}s, and records every problem with its location. Problems come in two kinds: those
 * flagd itself cannot parse (unknown operator, unknown or cyclic {@code $ref}, malformed expression
 * objects, limits), after which the flag cannot be evaluated at all; and those flagd parses and
 * evaluates to null or an error at run time (wrong arity, a variant name that does not exist, bad
 * fractional weights, an unknown sem_ver operator). Strict compilation rejects both; lenient
 * compilation, which serves a document the way flagd would, rejects a flag only for the first kind.
 */
final class TargetingCompiler {

  private static final Set<String> FOLDABLE =
      Set.of(
          "if", "?:", "==", "===", "!=", "!==", "!", "!!", "or", "and", "<", "<=", ">", ">=", "in",
          "cat", "substr", "+", "-", "*", "/", "%", "min", "max", "merge", "starts_with",
          "ends_with", "sem_ver");

  private final Limits limits;
  private final Map<String, Object> evaluators;
  private final String flagKey;
  /** The flag's variant names, or null when compiling an evaluator on its own. */
  private final @Nullable Set<String> variantNames;
  private @Nullable Map<String, String> canonicalNames;
  private final List<Problem> problems = new ArrayList<>();
  private final Deque<String> refs = new ArrayDeque<>();
  private boolean unparseable;
  private boolean readsTimestamp;
  /** The seconds at which a comparison of {@code $flagd.timestamp} with a constant may change its result. */
  private final TreeSet<Long> timeBoundaries = new TreeSet<>();
  private int nodes;
  /** The weight of what has been compiled (see {@link Expr#weight}). */
  private long weight;
  /** Where each compiled node came from, for {@link CostAnalysis}; null when not wanted. */
  private final @Nullable Map<Expr, String> locations;

  TargetingCompiler(
      Limits limits, Map<String, Object> evaluators, String flagKey, @Nullable Set<String> variantNames) {
    this(limits, evaluators, flagKey, variantNames, false);
  }

  /** @param locate whether to keep each node's location, for {@link #locations()} */
  TargetingCompiler(Limits limits, Map<String, Object> evaluators, String flagKey,
      @Nullable Set<String> variantNames, boolean locate) {
    this.limits = limits;
    this.evaluators = evaluators;
    this.flagKey = flagKey;
    this.variantNames = variantNames;
    this.locations = locate ? new IdentityHashMap<>() : null;
  }

  /** Every problem found so far. */
  List<Problem> problems() {
    return problems;
  }

  /** Whether a problem of the kind flagd cannot parse was found. */
  boolean unparseable() {
    return unparseable;
  }

  /** Whether the compiled rule reads {@code $flagd.timestamp}, so its result changes with time. */
  boolean readsTimestamp() {
    return readsTimestamp;
  }

  /**
   * The seconds at which the compiled rule's result may change with time alone: for every
   * comparison of {@code $flagd.timestamp} itself with a constant number c, the seconds ceil(c) and
   * floor(c) + 1 (the timestamp is whole seconds, so {@code < c} and {@code <= c} turn there).
   * Empty if the rule reads the time otherwise too (arithmetic on it, comparisons with attributes):
   * its boundaries are not known then; see {@link #readsTimestampOtherwise}.
   */
  long[] timeBoundaries() {
    return timeBoundaries.stream().mapToLong(Long::longValue).toArray();
  }

  /** Whether the rule reads {@code $flagd.timestamp} other than in a comparison with a constant. */
  boolean readsTimestampOtherwise() {
    return timestampReadsElsewhere > 0;
  }

  private int timestampReadsElsewhere;

  /** Records the boundaries of a comparison of its operands, if one is the timestamp and the others constant numbers. */
  private void comparison(Expr... operands) {
    boolean timestamp = false;
    for (Expr e : operands) {
      timestamp |= e instanceof Data.Var v && v.isTimestamp();
    }
    if (!timestamp) {
      return;
    }
    for (Expr e : operands) {
      if (e instanceof Data.Var v && v.isTimestamp()) {
        timestampReadsElsewhere--; // counted as a read when compiled; this one is accounted for
      } else if (e instanceof Expr.Const c && Double.isFinite(Js.toNumber(c.value, Scope.forConstants()))) {
        double n = Js.toNumber(c.value, Scope.forConstants());
        timeBoundaries.add((long) Math.ceil(n));
        timeBoundaries.add((long) Math.floor(n) + 1);
      } else {
        timestampReadsElsewhere++; // compared with something that is not a constant: boundaries unknown
      }
    }
  }

  /** The weight of the rules compiled so far: what evaluating them takes besides loops. */
  long weight() {
    return weight;
  }

  /** Where each node compiled came from (only if asked for). */
  Map<Expr, String> locations() {
    return locations == null ? Map.of() : locations;
  }

  /** Compiles a rule whose result names a variant. */
  Expr compileRule(Object json, String path) {
    return compile(json, path, 1, true);
  }

  private Expr compile(@Nullable Object json, String path, int depth, boolean result) {
    long before = weight;
    Expr e = compileValue(json, path, depth, result);
    if (json instanceof Map<?, ?> map && map.size() == 1 && map.containsKey("$ref")) {
      return e; // the evaluator inlined was weighed where it was compiled
    }
    weight = e.isConstant() ? before + 1 : weight + e.weight();
    if (locations != null) {
      locations.putIfAbsent(e, path);
    }
    return e;
  }

  private void problem(String path, String reason, boolean parse) {
    problems.add(new Problem(path, reason));
    unparseable |= parse;
  }

  private Expr compileValue(@Nullable Object json, String path, int depth, boolean result) {
    if (depth > limits.maxDepth()) {
      problem(path, "nested deeper than the limit of " + limits.maxDepth() + " levels (after $ref expansion)", true);
      return Expr.NULL;
    }
    if (++nodes > limits.maxNodes()) {
      if (nodes == limits.maxNodes() + 1) {
        problem(path, "targeting has more than the limit of " + limits.maxNodes() + " nodes (after $ref expansion)", true);
      }
      return Expr.NULL;
    }
    if (json instanceof Map<?, ?> map) {
      if (map.size() != 1) {
        if (map.isEmpty()) {
          if (result) {
            checkVariant(json, path);
          }
          return new Expr.Const(json);
        }
        problem(path, "an expression must have exactly one operator, found " + map.size() + " members: " + String.join(", ", keys(map)), true);
        return Expr.NULL;
      }
      Map.Entry<?, ?> entry = map.entrySet().iterator().next();
      return operation((String) entry.getKey(), entry.getValue(), path, depth, result);
    }
    if (json instanceof List<?> list) {
      if (result) {
        checkVariant(json, path);
      }
      Expr[] elements = new Expr[list.size()];
      boolean constant = true;
      for (int i = 0; i < elements.length; i++) {
        elements[i] = compile(list.get(i), Json.path(path, i), depth + 1, false);
        constant &= elements[i].isConstant();
      }
      if (constant) {
        return new Expr.Const(list);
      }
      return new Expr.Array(elements);
    }
    if (result) {
      checkVariant(json, path);
      if (json instanceof String name) {
        json = canonicalVariantName(name);
      }
    }
    return json == null ? Expr.NULL : new Expr.Const(json);
  }

  /**
   * The flag's own instance of a variant name that targeting gives as a literal, so that the
   * flag finds the variant by identity on every evaluation instead of comparing strings.
   */
  private String canonicalVariantName(String name) {
    if (variantNames == null) {
      return name;
    }
    if (canonicalNames == null) {
      canonicalNames = new java.util.HashMap<>();
      for (String v : variantNames) {
        canonicalNames.put(v, v);
      }
    }
    return canonicalNames.getOrDefault(name, name);
  }

  private Expr operation(String op, @Nullable Object rawArgs, String path, int depth, boolean result) {
    String opPath = Json.path(path, op);
    if ("$ref".equals(op)) {
      return reference(rawArgs, opPath, depth, result);
    }
    List<?> argList = rawArgs instanceof List<?> l ? l : java.util.Arrays.asList(rawArgs);
    boolean listed = rawArgs instanceof List;
    int n = argList.size();
    Expr node;
    switch (op) {
      case "var":
        arity(op, opPath, n, 0, 2);
        node = variable(argList, opPath, listed, depth);
        break;
      case "missing":
        node = new Data.Missing(flagKey, args(argList, opPath, listed, depth));
        break;
      case "missing_some":
        arity(op, opPath, n, 2, 2);
        node = new Data.MissingSome(flagKey, arg(argList, 0, opPath, listed, depth), arg(argList, 1, opPath, listed, depth));
        break;
      case "if":
      case "?:":
        arity(op, opPath, n, 2, Integer.MAX_VALUE);
        node = new Logic.If(conditional(argList, opPath, listed, depth, result));
        break;
      case "==":
      case "===":
      case "!=":
      case "!==":
        arity(op, opPath, n, 2, 2);
        Expr left = arg(argList, 0, opPath, listed, depth);
        Expr right = arg(argList, 1, opPath, listed, depth);
        comparison(left, right);
        node = new Compare.Equals(left, right, op.length() == 3, op.charAt(0) == '!');
        break;
      case "!":
      case "!!":
        arity(op, opPath, n, 1, 1);
        node = new Logic.Not(arg(argList, 0, opPath, listed, depth), op.length() == 1);
        break;
      case "or":
      case "and":
        arity(op, opPath, n, 1, Integer.MAX_VALUE);
        Expr[] operands = args(argList, opPath, listed, depth);
        node = op.equals("or") ? new Logic.Or(operands) : new Logic.And(operands);
        break;
      case "<":
      case "<=":
        arity(op, opPath, n, 2, 3);
        Expr low = arg(argList, 0, opPath, listed, depth);
        Expr middle = arg(argList, 1, opPath, listed, depth);
        Expr high = n > 2 ? arg(argList, 2, opPath, listed, depth) : null;
        if (high == null) {
          comparison(low, middle);
        } else {
          comparison(low, middle, high);
        }
        node = new Compare.Less(low, middle, high, op.length() == 2);
        break;
      case ">":
      case ">=":
        arity(op, opPath, n, 2, 2);
        Expr greater = arg(argList, 0, opPath, listed, depth);
        Expr lesser = arg(argList, 1, opPath, listed, depth);
        comparison(greater, lesser);
        node = new Compare.Greater(greater, lesser, op.length() == 2);
        break;
      case "in":
        arity(op, opPath, n, 2, 2);
        node = in(arg(argList, 0, opPath, listed, depth), arg(argList, 1, opPath, listed, depth));
        break;
      case "cat":
        node = new Text.Cat(args(argList, opPath, listed, depth));
        break;
      case "substr":
        arity(op, opPath, n, 2, 3);
        node = new Text.Substr(
            arg(argList, 0, opPath, listed, depth), arg(argList, 1, opPath, listed, depth),
            n > 2 ? arg(argList, 2, opPath, listed, depth) : null);
        break;
      case "+":
        node = new Arith.Plus(args(argList, opPath, listed, depth));
        break;
      case "*":
        arity(op, opPath, n, 1, Integer.MAX_VALUE);
        node = n == 0 ? Expr.NULL : new Arith.Times(args(argList, opPath, listed, depth));
        break;
      case "-":
        arity(op, opPath, n, 1, 2);
        node = new Arith.Minus(arg(argList, 0, opPath, listed, depth), n > 1 ? arg(argList, 1, opPath, listed, depth) : null);
        break;
      case "/":
      case "%":
        arity(op, opPath, n, 2, 2);
        node = new Arith.Divide(arg(argList, 0, opPath, listed, depth), arg(argList, 1, opPath, listed, depth), op.equals("%"));
        break;
      case "min":
      case "max":
        arity(op, opPath, n, 1, Integer.MAX_VALUE);
        node = new Arith.MinMax(args(argList, opPath, listed, depth), op.equals("max"));
        break;
      case "merge":
        node = new Lists.Merge(args(argList, opPath, listed, depth));
        break;
      case "map":
      case "filter":
      case "all":
      case "some":
      case "none":
        arity(op, opPath, n, 2, 2);
        Expr elements = arg(argList, 0, opPath, listed, depth);
        long outside = weight;
        Expr logic = arg(argList, 1, opPath, listed, depth);
        node = new Lists.Scoped(Lists.Kind.valueOf(op.toUpperCase(java.util.Locale.ROOT)), elements, logic, Math.max(1, weight - outside));
        break;
      case "reduce":
        arity(op, opPath, n, 2, 3);
        Expr reduced = arg(argList, 0, opPath, listed, depth);
        long before = weight;
        Expr reducer = arg(argList, 1, opPath, listed, depth);
        long reducerWeight = Math.max(1, weight - before);
        node = new Lists.Reduce(reduced, reducer, n > 2 ? arg(argList, 2, opPath, listed, depth) : Expr.NULL, reducerWeight);
        break;
      case "fractional":
        node = fractional(argList, opPath, listed, depth, result);
        break;
      case "sem_ver":
        node = semVer(argList, opPath, listed, depth);
        break;
      case "starts_with":
      case "ends_with":
        if (!arity(op, opPath, n, 2, 2)) {
          args(argList, opPath, listed, depth); // still check what is inside
          node = Expr.NULL; // flagd: wrong arity gives null
        } else {
          node = new Text.Affix(arg(argList, 0, opPath, listed, depth), arg(argList, 1, opPath, listed, depth), op.equals("starts_with"));
        }
        break;
      default:
        problem(opPath, "unknown operator " + Json.quote(op), true);
        return Expr.NULL;
    }
    Expr compiled = FOLDABLE.contains(op) ? fold(node, argList) : node;
    if (locations != null) {
      locations.putIfAbsent(compiled, opPath);
    }
    return compiled;
  }

  /** Evaluates a pure operation whose arguments are all literals once, now. */
  private static Expr fold(Expr node, List<?> argList) {
    if (node.isConstant() || !allLiteral(argList)) {
      return node;
    }
    return new Expr.Const(node.eval(Scope.forConstants()));
  }

  private static boolean allLiteral(List<?> args) {
    for (Object a : args) {
      if (a instanceof Map) {
        return false;
      }
      if (a instanceof List<?> l && !allLiteral(l)) {
        return false;
      }
    }
    return true;
  }

  private Expr reference(@Nullable Object name, String path, int depth, boolean result) {
    if (!(name instanceof String ref)) {
      problem(path, "$ref must name an evaluator, found " + Json.kind(name), true);
      return Expr.NULL;
    }
    if (!evaluators.containsKey(ref)) {
      problem(path, "unknown $ref " + Json.quote(ref) + "; " + (evaluators.isEmpty()
          ? "the document defines no $evaluators"
          : "defined evaluators are " + String.join(", ", evaluators.keySet())), true);
      return Expr.NULL;
    }
    if (refs.contains(ref)) {
      List<String> cycle = new ArrayList<>(refs);
      java.util.Collections.reverse(cycle);
      cycle.add(ref);
      problem(path, "cyclic $ref: " + String.join(" -> ", cycle.subList(cycle.indexOf(ref), cycle.size())), true);
      return Expr.NULL;
    }
    refs.push(ref);
    try {
      return compile(evaluators.get(ref), Json.path("$evaluators", ref), depth + 1, result);
    } finally {
      refs.pop();
    }
  }

  private Expr variable(List<?> args, String path, boolean listed, int depth) {
    Object first = args.isEmpty() ? null : args.get(0);
    Expr fallback = args.size() > 1 ? arg(args, 1, path, listed, depth) : Expr.NULL;
    if (first instanceof Map || first instanceof List) {
      readsTimestamp = true; // cannot tell which path it reads
      timestampReadsElsewhere++;
      return new Data.DynamicVar(flagKey, arg(args, 0, path, listed, depth), fallback);
    }
    String name = first == null ? "" : Js.toStr(first);
    Data.Var var = new Data.Var(flagKey, name, fallback);
    readsTimestamp |= var.readsTimestamp();
    if (var.readsTimestamp()) {
      timestampReadsElsewhere++; // until a comparison with a constant accounts for it
    }
    return var;
  }

  private Expr[] conditional(List<?> args, String path, boolean listed, int depth, boolean result) {
    Expr[] compiled = new Expr[args.size()];
    for (int i = 0; i < compiled.length; i++) {
      boolean branch = i % 2 == 1 || i == compiled.length - 1;
      compiled[i] = compile(args.get(i), argPath(path, i, listed), depth + 1, result && branch);
    }
    return compiled;
  }

  private Expr in(Expr needle, Expr haystack) {
    if (haystack instanceof Expr.Const c) {
      if (c.value instanceof List<?> list) {
        String[] strings = smallStringList(list);
        return strings != null ? new Text.InStrings(needle, strings) : new Text.InSet(needle, list);
      }
      if (c.value instanceof String str) {
        return new Text.InString(needle, str);
      }
    }
    return new Text.In(needle, haystack);
  }

  /** The members of {@code list} if they are a few strings only, else null. */
  private static String @Nullable [] smallStringList(List<?> list) {
    if (list.size() > Text.InStrings.MAX_MEMBERS) {
      return null;
    }
    String[] strings = new String[list.size()];
    for (int i = 0; i < strings.length; i++) {
      if (!(list.get(i) instanceof String str)) {
        return null;
      }
      strings[i] = str;
    }
    return strings;
  }

  private Expr fractional(List<?> args, String path, boolean listed, int depth, boolean result) {
    if (args.isEmpty()) {
      problem(path, "fractional needs at least one bucket [variant, weight]", false);
      return Expr.NULL;
    }
    int first = args.get(0) instanceof List ? 0 : 1;
    Expr bucketBy = first == 1 ? arg(args, 0, path, listed, depth) : null;
    int buckets = args.size() - first;
    if (buckets == 0) {
      problem(path, "fractional needs at least one bucket [variant, weight] after the bucketing expression", false);
      return Expr.NULL;
    }
    Expr[] variants = new Expr[buckets];
    Expr[] weights = new Expr[buckets];
    long total = 0;
    boolean literalWeights = true;
    boolean ok = true;
    for (int b = 0; b < buckets; b++) {
      String bucketPath = argPath(path, first + b, listed);
      Object bucket = args.get(first + b);
      if (!(bucket instanceof List<?> pair) || pair.isEmpty() || pair.size() > 2) {
        problem(bucketPath, "a fractional bucket must be [variant] or [variant, weight], found "
            + (bucket instanceof List<?> l ? "an array of " + l.size() : Json.kind(bucket)), false);
        ok = false;
        continue;
      }
      variants[b] = compile(pair.get(0), Json.path(bucketPath, 0), depth + 2, result);
      if (pair.size() == 1) {
        weights[b] = new Expr.Const(1L);
        total += 1;
        continue;
      }
      String weightPath = Json.path(bucketPath, 1);
      weights[b] = compile(pair.get(1), weightPath, depth + 2, false);
      if (weights[b].isConstant()) {
        Object w = ((Expr.Const) weights[b]).value;
        long weight = Fractional.weight(w);
        if (!(w instanceof Number) || weight < 0) {
          problem(weightPath, "bad weight: a weight must be a whole number from 0 to 2147483647, found "
              + (w instanceof Number num ? Js.toStr(num) : Json.kind(w)), false);
          ok = false;
        } else {
          if (((Number) w).doubleValue() < 0) {
            // flagd counts a negative weight as 0 and still splits; only strict compilation objects.
            problem(weightPath, "bad weight: a weight must be a whole number from 0 to 2147483647, found "
                + Js.toStr((Number) w), false);
          }
          total += weight;
        }
      } else {
        literalWeights = false;
      }
    }
    if (ok && literalWeights) {
      if (total == 0) {
        problem(path, "bad weights: the weights add up to 0, so no bucket can be chosen", false);
      } else if (total > Integer.MAX_VALUE) {
        problem(path, "bad weights: the weights add up to " + total + ", more than 2147483647", false);
      }
    }
    if (!ok) {
      return Expr.NULL;
    }
    return new Fractional(flagKey, bucketBy, variants, weights);
  }

  private Expr semVer(List<?> args, String path, boolean listed, int depth) {
    if (!arity("sem_ver", path, args.size(), 3, 3)) {
      args(args, path, listed, depth);
      return Expr.NULL; // flagd: wrong arity gives null
    }
    Expr version = arg(args, 0, path, listed, depth);
    Expr operator = arg(args, 1, path, listed, depth);
    Expr target = arg(args, 2, path, listed, depth);
    if (operator.isConstant() && SemVerCompare.Op.of(((Expr.Const) operator).value) == null) {
      problem(argPath(path, 1, listed), "unknown sem_ver operator "
          + describe(((Expr.Const) operator).value) + "; use one of = != < <= > >= ^ ~", false);
    }
    if (target.isConstant()) {
      Object text = SemVerCompare.text(((Expr.Const) target).value);
      if (text == null || SemVer.parse((String) text) == null) {
        problem(argPath(path, 2, listed), "not a semantic version: " + describe(((Expr.Const) target).value), false);
      }
    }
    return new SemVerCompare(version, operator, target);
  }

  private void checkVariant(@Nullable Object value, String path) {
    if (variantNames == null || value == null) {
      return;
    }
    String name;
    if (value instanceof String s) {
      name = s;
    } else if (value instanceof Boolean || value instanceof Number) {
      name = Js.toStr(value);
    } else {
      problem(path, "targeting must give a variant name here, found " + Json.kind(value), false);
      return;
    }
    if (!variantNames.contains(name)) {
      String where = refs.isEmpty() ? "" : " (in flag \"" + flagKey + "\")";
      problem(path, FlagDocumentParser.noSuchVariant(name, variantMap()) + where, false);
    }
  }

  private Map<String, ?> variantMap() {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    if (variantNames != null) {
      for (String v : variantNames) {
        m.put(v, Boolean.TRUE);
      }
    }
    return m;
  }

  /** Checks the argument count; reports and returns false when it is wrong. */
  private boolean arity(String op, String path, int n, int min, int max) {
    if (n >= min && n <= max) {
      return true;
    }
    String expected = min == max ? String.valueOf(min)
        : max == Integer.MAX_VALUE ? "at least " + min
        : min + " to " + max;
    problem(path, "wrong arity: \"" + op + "\" takes " + expected + " argument" + ((max == Integer.MAX_VALUE ? min : max) == 1 ? "" : "s") + ", found " + n, false);
    return false;
  }

  private Expr[] args(List<?> args, String path, boolean listed, int depth) {
    Expr[] compiled = new Expr[args.size()];
    for (int i = 0; i < compiled.length; i++) {
      compiled[i] = compile(args.get(i), argPath(path, i, listed), depth + 1, false);
    }
    return compiled;
  }

  private Expr arg(List<?> args, int i, String path, boolean listed, int depth) {
    return i < args.size() ? compile(args.get(i), argPath(path, i, listed), depth + 1, false) : Expr.NULL;
  }

  private static String argPath(String opPath, int i, boolean listed) {
    return listed ? Json.path(opPath, i) : opPath;
  }

  private static List<String> keys(Map<?, ?> map) {
    List<String> keys = new ArrayList<>();
    for (Object k : map.keySet()) {
      keys.add(String.valueOf(k));
    }
    return keys;
  }

  private static String describe(@Nullable Object v) {
    return v instanceof String s ? Json.quote(s) : Json.kind(v);
  }
}
