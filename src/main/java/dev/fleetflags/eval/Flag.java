package dev.fleetflags.eval;

import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagState;
import dev.fleetflags.rules.FlagType;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One compiled flag: its variants as arrays (values typed: a FLOAT flag's values are all Double),
 * its targeting as an {@link Expr} tree compiled into a {@link Targeting} that chooses a variant
 * index, and per variant the hash it adds to a device's state hash.
 * Evaluating it for a device gives a packed code (see {@link Evaluation}) and allocates nothing on
 * the common paths.
 */
public final class Flag {

  private final String key;
  private final FlagType type;
  private final FlagState state;
  private final String[] variantNames;
  private final Object[] variantValues;
  private final int[] entryHashes;
  private final byte @Nullable [][] jsonValues;
  private final int defaultIndex;
  /** The compiled targeting, choosing a variant index; null when the flag has none. */
  private final @Nullable Targeting targeting;
  /** The codes of TARGETING_MATCH, by variant, and of the outcome when targeting gives null. */
  private final short[] matchCodes;
  private final short noResultCode;
  private final Map<String, Object> metadata;
  private final @Nullable String parseError;
  private final boolean timeDependent;
  /** The seconds at which the flag's value may change with time alone, ascending (see {@link #timeBoundaries}). */
  private final long[] timeBoundaries;
  private final @Nullable Map<String, Integer> variantPositions;
  private final @Nullable FlagDefinition definition;
  /**
   * What one evaluation may spend ({@link Scope#budget}): the steps after its targeting's own
   * weight (none, if the targeting alone weighs more than the limit), and the characters and
   * array elements it may create.
   */
  private final long budget;
  /**
   * Resolutions that serve a variant, made on first use, by outcome (STATIC, TARGETING_MATCH,
   * DEFAULT) and variant: they do not depend on the caller's default, so one immutable instance
   * serves every caller and resolving a flag allocates nothing.
   */
  private final @Nullable Resolution[] served;

  /**
   * @param weight the targeting's weight ({@link Expr#weight}, all its nodes), charged to every
   *     evaluation's step budget up front
   * @param limits the limits whose evaluation budget applies
   */
  Flag(FlagDefinition definition, @Nullable Expr targeting, Map<String, Object> metadata, boolean timeDependent,
      long weight, Limits limits) {
    this(definition, targeting, metadata, timeDependent, weight, limits, new long[0]);
  }

  /** @param timeBoundaries the seconds at which its value may change with time alone (see {@link #timeBoundaries}) */
  Flag(FlagDefinition definition, @Nullable Expr targeting, Map<String, Object> metadata, boolean timeDependent,
      long weight, Limits limits, long[] timeBoundaries) {
    this.definition = definition;
    this.budget = Scope.budget((int) Math.max(-1, limits.maxEvaluationSteps() - weight), limits.maxEvaluationSize());
    this.key = definition.key();
    this.type = definition.type();
    this.state = definition.state();
    int n = definition.variants().size();
    this.variantNames = new String[n];
    this.variantValues = new Object[n];
    this.entryHashes = new int[n];
    this.jsonValues = type == FlagType.OBJECT ? new byte[n][] : null;
    int i = 0;
    for (Map.Entry<String, Object> e : definition.variants().entrySet()) {
      Object value = type == FlagType.FLOAT ? (Object) ((Number) e.getValue()).doubleValue() : e.getValue();
      variantNames[i] = e.getKey();
      variantValues[i] = value;
      entryHashes[i] = StateHash.entryHash(key, type, value);
      if (jsonValues != null) {
        jsonValues[i] = Json.canonicalBytes(value);
      }
      i++;
    }
    String dv = definition.defaultVariant();
    this.defaultIndex = dv == null ? -1 : indexOfName(dv);
    this.metadata = metadata;
    this.parseError = null;
    this.timeDependent = timeDependent;
    this.timeBoundaries = timeBoundaries.clone();
    this.variantPositions = n > 8 ? positions(variantNames) : null;
    this.served = new Resolution[SERVING_OUTCOMES * n];
    this.matchCodes = new short[n];
    for (int v = 0; v < n; v++) {
      matchCodes[v] = Evaluation.code(Evaluation.TARGETING_MATCH, v);
    }
    this.noResultCode = Evaluation.code(Evaluation.DEFAULT, defaultIndex >= 0 ? defaultIndex : Evaluation.NO_VARIANT);
    // Last: the targeting finds variants through this flag's names, set above.
    this.targeting = targeting == null ? null : Targeting.of(targeting, this::variantIndex);
  }

  /** A flag that cannot be evaluated: every evaluation is an ERROR with PARSE_ERROR. */
  Flag(String key, String parseError, Map<String, Object> metadata) {
    this.definition = null;
    this.budget = 0;
    this.key = key;
    this.type = FlagType.OBJECT;
    this.state = FlagState.ENABLED;
    this.variantNames = new String[0];
    this.variantValues = new Object[0];
    this.entryHashes = new int[0];
    this.jsonValues = null;
    this.defaultIndex = -1;
    this.targeting = null;
    this.matchCodes = new short[0];
    this.noResultCode = Evaluation.code(Evaluation.DEFAULT, Evaluation.NO_VARIANT);
    this.metadata = metadata;
    this.parseError = parseError;
    this.timeDependent = false;
    this.timeBoundaries = new long[0];
    this.variantPositions = null;
    this.served = new Resolution[0];
  }

  private static Map<String, Integer> positions(String[] names) {
    Map<String, Integer> m = new HashMap<>(names.length * 2);
    for (int i = 0; i < names.length; i++) {
      m.put(names[i], i);
    }
    return m;
  }

  /** Evaluates this flag in scope {@code s}; see {@link Evaluation} for the packed code. */
  short evaluate(Scope s) {
    if (parseError != null) {
      return Evaluation.code(Evaluation.PARSE_ERROR, Evaluation.NO_VARIANT);
    }
    if (state == FlagState.DISABLED) {
      return Evaluation.code(Evaluation.DISABLED, Evaluation.NO_VARIANT);
    }
    Targeting t = targeting;
    if (t == null) {
      int fallback = defaultIndex >= 0 ? defaultIndex : Evaluation.NO_VARIANT;
      return Evaluation.code(defaultIndex >= 0 ? Evaluation.STATIC : Evaluation.DEFAULT, fallback);
    }
    int choice;
    s.data = Scope.ROOT;
    long allowed = budget;
    s.budget = allowed;
    try {
      if (allowed < 0) {
        throw BudgetExceeded.INSTANCE; // the targeting alone weighs more than the limit
      }
      choice = t.choose(s);
    } catch (BudgetExceeded e) {
      return Evaluation.code(Evaluation.BUDGET, Evaluation.NO_VARIANT);
    } catch (RuntimeException | StackOverflowError e) {
      // Operators do not throw; this keeps a defect in one flag from failing the whole set.
      return Evaluation.code(Evaluation.GENERAL, Evaluation.NO_VARIANT);
    }
    if (choice >= 0) {
      return matchCodes[choice];
    }
    return choice == Targeting.NO_RESULT ? noResultCode : Evaluation.code(Evaluation.GENERAL, Evaluation.NO_VARIANT);
  }

  /** STATIC, TARGETING_MATCH and DEFAULT: the outcomes that can serve a variant. */
  private static final int SERVING_OUTCOMES = Evaluation.DEFAULT + 1;

  /** The resolution of a code that serves a variant (the caller's default plays no part). */
  Resolution served(short code) {
    int variant = code & Evaluation.NO_VARIANT;
    int i = (code >> 12) * variantNames.length + variant;
    Resolution r = served[i];
    if (r == null) {
      // Racing threads may each make one; they are equal and immutable, so either may stay.
      r = new Resolution(variantValues[variant], variantNames[variant], Evaluation.reasonOf(code), null, null, metadata);
      served[i] = r;
    }
    return r;
  }

  /** The variant a targeting result names: strings as they are, booleans and numbers as text; -1 for none. */
  private int variantIndex(Object result) {
    String name;
    if (result instanceof String s) {
      name = s;
    } else if (result instanceof Boolean || result instanceof Number) {
      name = Js.toStr(result);
    } else {
      return -1;
    }
    return indexOfName(name);
  }

  private int indexOfName(String name) {
    if (variantPositions != null) {
      Integer i = variantPositions.get(name);
      return i == null ? -1 : i;
    }
    for (int i = 0; i < variantNames.length; i++) {
      if (variantNames[i] == name) {
        return i;
      }
    }
    for (int i = 0; i < variantNames.length; i++) {
      if (variantNames[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  public String key() {
    return key;
  }

  public FlagType type() {
    return type;
  }

  public FlagState state() {
    return state;
  }

  public int variantCount() {
    return variantNames.length;
  }

  public String variantName(int index) {
    return variantNames[index];
  }

  /** The value of a variant: Boolean, String, Long (INTEGER), Double (FLOAT) or an unmodifiable Map. */
  public Object variantValue(int index) {
    return variantValues[index];
  }

  /** An OBJECT variant's value as the canonical JSON bytes devices receive. */
  public byte[] variantJson(int index) {
    byte[][] json = jsonValues;
    return json != null ? json[index] : Json.canonicalBytes(variantValues[index]);
  }

  /** What this variant adds to a device's state hash. */
  public int entryHash(int index) {
    return entryHashes[index];
  }

  /** The flag's metadata with the document's merged under it. */
  public Map<String, Object> metadata() {
    return metadata;
  }

  /** Why the flag cannot be evaluated, or null if it can. */
  public @Nullable String parseError() {
    return parseError;
  }

  /** Whether targeting reads {@code $flagd.timestamp}, so the flag's value can change with time alone. */
  public boolean timeDependent() {
    return timeDependent;
  }

  /**
   * The seconds (epoch) at which the flag's value may change with time alone, ascending: where its
   * targeting compares {@code $flagd.timestamp} with a constant. A time-dependent flag that reads
   * the time otherwise (arithmetic on it, comparisons with attributes) may change at other times
   * too, which cannot be known in advance.
   */
  public long[] timeBoundaries() {
    return timeBoundaries.clone();
  }

  /** {@link #timeBoundaries} without the copy, for the set's own walks. */
  long[] timeBoundariesShared() {
    return timeBoundaries;
  }

  /** The definition this flag was compiled from; null for a flag that could not be parsed. */
  public @Nullable FlagDefinition definition() {
    return definition;
  }

  @Override
  public String toString() {
    return "Flag{" + key + ", " + type + ", " + state + "}";
  }
}
