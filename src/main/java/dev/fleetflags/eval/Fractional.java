package dev.fleetflags.eval;

import dev.fleetflags.eval.CostAnalysis.Cost;
import org.jspecify.annotations.Nullable;

/**
 * flagd's {@code fractional}: a sticky weighted split. The bucketing value is the result of the
 * bucketBy expression when it gives a string, else the flag key followed by the targeting key. It
 * is hashed with MurmurHash3 (x86, 32 bit, seed 0) over its UTF-8 bytes and mapped to
 * {@code (unsigned hash * totalWeight) >> 32}; the bucket whose cumulative weight first exceeds
 * that point wins. Variants and weights may be computed (flagd's nested fractional). Weights are
 * integers; a negative one counts as 0; no weight at all, or a total above 2^31-1, gives null.
 */
final class Fractional extends Expr {

  private static final long MAX_TOTAL_WEIGHT = Integer.MAX_VALUE;

  /** The bucketBy expression, or null for flag key + targeting key. */
  private final @Nullable Expr bucketBy;
  /** The murmur state after the flag key's bytes, for the default bucketing value. */
  private final Murmur3.State flagKeyPrefix;
  private final Expr[] variants;
  private final Expr[] weights;
  /** When every variant and weight is a literal: their values and cumulative weights. */
  private final @Nullable Object @Nullable [] constantVariants;
  private final long @Nullable [] cumulative;

  Fractional(String flagKey, @Nullable Expr bucketBy, Expr[] variants, Expr[] weights) {
    this.bucketBy = bucketBy;
    this.flagKeyPrefix = Murmur3.absorb(Murmur3.EMPTY, flagKey);
    this.variants = variants;
    this.weights = weights;
    boolean constant = true;
    for (int i = 0; i < variants.length; i++) {
      constant &= variants[i].isConstant() && weights[i].isConstant();
    }
    if (constant) {
      Object[] values = new Object[variants.length];
      long[] ends = new long[variants.length];
      long total = 0;
      boolean valid = true;
      for (int i = 0; i < variants.length; i++) {
        values[i] = variants[i].eval(Scope.forConstants());
        long w = weight(weights[i].eval(Scope.forConstants()));
        valid &= w >= 0 && isVariant(values[i]);
        total += Math.max(w, 0);
        ends[i] = total;
      }
      boolean usable = valid && total > 0 && total <= MAX_TOTAL_WEIGHT;
      this.constantVariants = usable ? values : null;
      this.cumulative = usable ? ends : null;
      // An unusable literal split always gives null; keep the general path, which says so.
    } else {
      this.constantVariants = null;
      this.cumulative = null;
    }
  }

  @Override
  @Nullable Object eval(Scope s) {
    if (cumulative != null) {
      int bucket = bucket(s);
      return bucket < 0 ? null : constantVariants[bucket];
    }
    long hash = hash(s);
    return hash < 0 ? null : computed(s, hash);
  }

  /** Whether every variant and weight is a literal, so that {@link #bucket} applies. */
  boolean isLiteralSplit() {
    return cumulative != null;
  }

  /** The literal variants in bucket order; only for a literal split. */
  @Nullable Object[] literalVariants() {
    return java.util.Objects.requireNonNull(constantVariants).clone();
  }

  /**
   * For a literal split: the index of the bucket the device falls in, or -1 where there is
   * nothing to bucket by (no targeting key, or a bucketBy value that is not a string).
   */
  int bucket(Scope s) {
    long hash = hash(s);
    if (hash < 0) {
      return -1;
    }
    long[] ends = cumulative;
    long point = (hash * ends[ends.length - 1]) >>> 32;
    int i = 0;
    while (point >= ends[i]) {
      i++; // point < total, the last end, so this stops inside the array
    }
    return i;
  }

  /** The bucketing hash as an unsigned 32-bit value, or -1 when there is nothing to bucket by. */
  private long hash(Scope s) {
    if (bucketBy != null) {
      Object by = bucketBy.eval(s);
      if (by instanceof String str) {
        s.scan(str.length());
        return Murmur3.hashUtf8NoAlloc(Murmur3.EMPTY, str) & 0xFFFFFFFFL;
      }
      if (by != null) {
        return -1;
      }
    }
    String targetingKey = s.targetingKey;
    return targetingKey == null ? -1 : s.bucketHash(flagKeyPrefix, targetingKey) & 0xFFFFFFFFL;
  }

  private @Nullable Object computed(Scope s, long hash) {
    int n = variants.length;
    Object[] values = new Object[n];
    long[] ends = new long[n];
    long total = 0;
    for (int i = 0; i < n; i++) {
      values[i] = variants[i].eval(s);
      if (!isVariant(values[i])) {
        return null;
      }
      long w = weight(weights[i].eval(s));
      if (w == BAD_WEIGHT) {
        return null;
      }
      total += Math.max(w, 0);
      ends[i] = total;
    }
    if (total <= 0 || total > MAX_TOTAL_WEIGHT) {
      return null;
    }
    long point = (hash * total) >>> 32;
    for (int i = 0; i < n; i++) {
      if (point < ends[i]) {
        return values[i];
      }
    }
    return null;
  }

  private static final long BAD_WEIGHT = Long.MIN_VALUE;

  /** A literal split finds the bucket by walking the buckets' ends. */
  @Override
  int weight() {
    return 1 + variants.length;
  }

  /**
   * The bucketing value is hashed (the default one once per flag and device: {@link
   * Scope#bucketHash} remembers it); the value is one of the variants', or null.
   */
  @Override
  Cost cost(CostAnalysis a) {
    Cost by = bucketBy == null ? Cost.of(Bound.NOTHING) : a.of(bucketBy);
    Cost[] names = a.of(variants);
    Cost[] amounts = a.of(weights);
    return Cost.of(Expr.join(names).join(Bound.SCALARS), by, Cost.of(Bound.NOTHING, names), Cost.of(Bound.NOTHING, amounts))
        .plus(Bound.scanned(by.value().text()), 0);
  }

  /** A bucket's weight: an integral number (negative ones count as 0), 1 when absent, else BAD_WEIGHT. */
  static long weight(@Nullable Object w) {
    if (w == null) {
      return 1;
    }
    if (w instanceof Number n) {
      double d = n.doubleValue();
      if (d != Math.rint(d) || d > MAX_TOTAL_WEIGHT) {
        return BAD_WEIGHT;
      }
      return (long) Math.max(d, 0);
    }
    return BAD_WEIGHT;
  }

  /** Whether a bucket's variant value can name a variant: a string, boolean, number or null. */
  static boolean isVariant(@Nullable Object v) {
    return v == null || v instanceof String || v instanceof Boolean || v instanceof Number;
  }
}
