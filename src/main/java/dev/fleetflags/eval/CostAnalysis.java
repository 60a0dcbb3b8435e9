package dev.fleetflags.eval;

import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Bounds the worst case of one flag's evaluation for any device, before the flag is accepted: an
 * abstract interpretation of its compiled targeting that computes, for every node, a {@link Bound}
 * on the value it gives and upper bounds on the steps and the size its evaluation charges at run
 * time (see {@link Scope#charge}, {@link Scope#allocate} and {@link Scope#scan}). What it
 * computes bounds what the budget charges, so a flag accepted here never runs out of it.
 *
 * <p>Device data is bounded by what the extension admits: an attribute holds at most {@link
 * Limits#maxAttributeLength()} characters (a string, or an array of scalars), the client id and the
 * username at most 65,535 (MQTT's limit). Inside {@code map}, {@code filter}, {@code all}, {@code
 * some} and {@code none} the data is the list's element bound; inside {@code reduce} the
 * accumulator is iterated: exactly for up to {@value #EXACT_ITERATIONS} elements, then by
 * extrapolating growth that was linear, and anything else is too much.
 *
 * <p>Each place where a bound first goes over a limit is reported with its location. The analysis
 * counts its own work and reports a rule it cannot bound within {@link #work(long)} visits.
 */
final class CostAnalysis {

  /**
   * What evaluating an expression may cost for one device.
   *
   * @param value the bound of the value it gives
   * @param steps steps its evaluation may charge
   * @param size characters and elements its evaluation may create
   */
  record Cost(Bound value, long steps, long size) {

    static Cost of(Bound value) {
      return new Cost(value, 0, 0);
    }

    /** The cost of evaluating all of {@code parts}, giving {@code value}. */
    static Cost of(Bound value, Cost... parts) {
      long steps = 0;
      long size = 0;
      for (Cost p : parts) {
        steps = Bound.add(steps, p.steps);
        size = Bound.add(size, p.size);
      }
      return new Cost(value, steps, size);
    }

    Cost plus(long moreSteps, long moreSize) {
      return new Cost(value, Bound.add(steps, moreSteps), Bound.add(size, moreSize));
    }

    Cost giving(Bound other) {
      return new Cost(other, steps, size);
    }

    /** This, then {@code next}: both charged, {@code next}'s value. */
    Cost then(Cost next) {
      return new Cost(next.value, Bound.add(steps, next.steps), Bound.add(size, next.size));
    }
  }

  /** Iterations of a {@code reduce} followed exactly before growth is extrapolated. */
  static final int EXACT_ITERATIONS = 32;
  /** MQTT's limit on a client id and a username: a UTF-8 string of at most 65,535 bytes. */
  static final int MQTT_STRING = 65_535;
  /**
   * The attribute delivery makes of a connection's username, which only MQTT bounds (delivery's
   * {@code DeviceContexts.USERNAME}; eval does not depend on delivery).
   */
  static final String USERNAME = "username";

  private final Limits limits;
  private final String flagKey;
  private final String rulePath;
  private final Map<Expr, String> locations;
  private final long treeWeight;
  private final long maxWork;
  private final List<Problem> problems = new ArrayList<>();
  private final Map<Expr, Bound> literals = new IdentityHashMap<>();
  private final Bound attribute;
  private final Bound context;
  private long work;
  /** The data {@code var} reads; null: the device context. */
  private @Nullable Bound data;
  /** Inside {@code reduce}: its data's two members, which {@code var} tells apart; else null. */
  private @Nullable Bound current;
  private @Nullable Bound accumulator;

  private CostAnalysis(Limits limits, String flagKey, String rulePath, Map<Expr, String> locations, long treeWeight) {
    this.limits = limits;
    this.flagKey = flagKey;
    this.rulePath = rulePath;
    this.locations = locations;
    this.treeWeight = treeWeight;
    this.maxWork = work(treeWeight);
    int n = limits.maxAttributeLength();
    // A string, a scalar, or an array of at most n of them whose strings have n characters in all.
    this.attribute = Bound.string(n).join(Bound.SCALARS)
        .join(new Bound(Bound.ARRAY, Bound.add(n, Bound.mul(n, Bound.SCALAR_TEXT + 1)), n,
            Bound.string(n).join(Bound.SCALARS), null));
    this.context = Bound.object(attribute.join(Bound.string(MQTT_STRING)).join(flagd()));
  }

  /** The analysis may visit this many nodes for targeting of {@code weight}: a few times each, and nested loops. */
  static long work(long weight) {
    return 256 + 16 * weight;
  }

  /**
   * The problems of a flag's compiled targeting {@code rule}, found at {@code rulePath}, whose nodes
   * weigh {@code treeWeight} in all and were compiled from the locations in {@code locations}.
   */
  static List<Problem> check(Expr rule, long treeWeight, Map<Expr, String> locations, Limits limits,
      String flagKey, String rulePath) {
    CostAnalysis a = new CostAnalysis(limits, flagKey, rulePath, locations, treeWeight);
    if (treeWeight > limits.maxEvaluationSteps()) {
      a.problems.add(new Problem(rulePath, "targeting has " + treeWeight + " steps to evaluate even without loops,"
          + " more than the limit of " + limits.maxEvaluationSteps() + " steps per evaluation (limits/max-evaluation-steps)"));
      return a.problems;
    }
    try {
      a.of(rule);
    } catch (TooComplex e) {
      a.problems.add(new Problem(a.location(e.where), "too complex to bound its cost: analysing it took more than "
          + a.maxWork + " steps; simplify it" + a.inFlag(e.where)));
    }
    return a.problems;
  }

  /** The worst case of {@code rule} for any device, problems aside (for tests and diagnostics). */
  static Cost worstCase(Expr rule, long treeWeight, Limits limits) {
    return new CostAnalysis(limits, "", "", Map.of(), treeWeight).of(rule);
  }

  /** The cost of evaluating {@code e} with the current data; reports where a limit is first exceeded. */
  Cost of(Expr e) {
    if (++work > maxWork) {
      throw new TooComplex(e);
    }
    int before = problems.size();
    Cost cost = e.cost(this);
    if (problems.size() == before) {
      long steps = Bound.add(treeWeight, cost.steps);
      if (steps > limits.maxEvaluationSteps()) {
        report(e, "evaluating this may take " + amount(steps) + " steps for one device, more than the limit of "
            + limits.maxEvaluationSteps() + " (limits/max-evaluation-steps)");
      } else if (cost.size > limits.maxEvaluationSize()) {
        report(e, "evaluating this may create " + amount(cost.size)
            + " characters and array elements for one device, more than the limit of "
            + limits.maxEvaluationSize() + " (limits/max-evaluation-size)");
      }
    }
    return cost;
  }

  /** The costs of evaluating each of {@code es}. */
  Cost[] of(Expr[] es) {
    Cost[] costs = new Cost[es.length];
    for (int i = 0; i < es.length; i++) {
      costs[i] = of(es[i]);
    }
    return costs;
  }

  /** The cost of evaluating {@code body} with {@code elementData} as its data (a loop's body). */
  Cost in(Bound elementData, Expr body) {
    return in(elementData, null, null, body);
  }

  /** The cost of evaluating a {@code reduce}'s {@code body} with such a current element and accumulator. */
  Cost in(Bound element, Bound accumulated, Expr body) {
    return in(Bound.object(element.join(accumulated)), element, accumulated, body);
  }

  private Cost in(Bound elementData, @Nullable Bound element, @Nullable Bound accumulated, Expr body) {
    Bound savedData = data;
    Bound savedCurrent = current;
    Bound savedAccumulator = accumulator;
    data = elementData;
    current = element;
    accumulator = accumulated;
    try {
      return of(body);
    } finally {
      data = savedData;
      current = savedCurrent;
      accumulator = savedAccumulator;
    }
  }

  /** The data {@code var} reads; null where it is the device context. */
  @Nullable Bound data() {
    return data;
  }

  /** What {@code var} with a literal path reads. */
  Bound read(String[] segments) {
    Bound value;
    int from;
    if (current != null && segments.length > 0) {
      value = "current".equals(segments[0]) ? current
          : "accumulator".equals(segments[0]) ? accumulator : Bound.NOTHING;
      from = 1;
    } else if (data != null) {
      value = data;
      from = 0;
    } else if (segments.length == 0) {
      return context;
    } else {
      String first = segments[0];
      from = 1;
      if ("targetingKey".equals(first)) {
        value = Bound.string(MQTT_STRING);
      } else if ("$flagd".equals(first)) {
        if (segments.length == 2 && "timestamp".equals(segments[1])) {
          return Bound.SCALARS;
        }
        if (segments.length == 2 && "flagKey".equals(segments[1])) {
          return Bound.string(limits.maxKeyLength());
        }
        value = flagd();
      } else if (USERNAME.equals(first)) {
        value = attribute.join(Bound.string(MQTT_STRING));
      } else {
        value = attribute;
      }
    }
    for (int i = from; i < segments.length && value.kinds() != 0; i++) {
      value = value.step();
    }
    return value;
  }

  /**
   * Whether {@code var} with this literal path always finds a value, so its fallback is never
   * used: the whole data, or a {@code reduce}'s current element or accumulator.
   */
  boolean present(String[] segments) {
    return segments.length == 0
        || (current != null && segments.length == 1 && ("current".equals(segments[0]) || "accumulator".equals(segments[0])));
  }

  /** Whatever a computed path can read. */
  Bound anything() {
    return (data != null ? data : context).reachable();
  }

  /**
   * What reading the whole device context ({@code var ""}) creates: an object of its attributes
   * (registry and CONNECT ones, and the username), the targeting key and {@code $flagd}.
   */
  long contextSize() {
    return data != null ? 0 : 2L * limits.maxAttributes() + 4;
  }

  /** The bound of a literal, worked out once. */
  Bound literal(Expr.Const c) {
    return literals.computeIfAbsent(c, k -> Bound.of(c.value));
  }

  /** How many problems have been reported: a loop stops following its body once one is. */
  int problems() {
    return problems.size();
  }

  /** Reports a problem at {@code e}. */
  void report(Expr e, String reason) {
    problems.add(new Problem(location(e), reason + inFlag(e)));
  }

  private Bound flagd() {
    return Bound.object(Bound.string(limits.maxKeyLength()).join(Bound.SCALARS));
  }

  private String location(Expr e) {
    String where = locations.get(e);
    return where == null ? rulePath : where;
  }

  /** For a place inside an evaluator, which flag's use of it is meant. */
  private String inFlag(Expr e) {
    return location(e).startsWith("$evaluators") ? " (in flag \"" + flagKey + "\")" : "";
  }

  private static String amount(long n) {
    return n >= Bound.INFINITE ? "unboundedly many" : String.format(java.util.Locale.ROOT, "%,d", n);
  }

  /** The analysis ran out of its own budget at {@code where}. */
  private static final class TooComplex extends RuntimeException {
    final transient Expr where;

    TooComplex(Expr where) {
      super(null, null, false, false);
      this.where = where;
    }
  }
}
