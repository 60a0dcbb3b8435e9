package dev.fleetflags.rollout;

import dev.fleetflags.eval.Murmur3;
import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagState;
import dev.fleetflags.rules.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The flagd definition a rollout writes for one wave: a {@code fractional} split in which a device
 * evaluates the new definition if its bucket is below the wave's weight, else the definition the
 * rollout started from.
 *
 * <p>flagd buckets a value by {@code (murmur3_32(value) * totalWeight) >> 32} over the buckets in
 * order. With buckets {@code [next, w]}, {@code [current, W - w]} (W = {@value #WEIGHTS}, so waves
 * go in steps of 0.01%), a device is in the first exactly when its bucket value is below w, which
 * only grows with w: a device in one wave is in every later one. The value bucketed is a salt
 * naming the rollout followed by the targeting key, so the waves of two rollouts (of one flag or
 * of two) pick devices independently of each other and of the flags' own splits.
 *
 * <p>When both definitions simply serve a variant, the split names them:
 * {@code {"fractional": [{"cat": [salt, {"var": "targetingKey"}]}, [newVariant, w], [oldVariant, W - w]]}}.
 * When either has targeting of its own (or serves nothing: disabled, or absent), the split decides
 * which targeting applies: {@code {"if": [{"==": [{"fractional": [..., ["next", w], ["current",
 * W - w]]}, "next"]}, newTargeting, oldTargeting]}}. Both forms are JSON Logic that flagd's
 * evaluators accept (the buckets hold literal variant names, the form every flagd version reads),
 * and FleetFlags evaluates them with its fast paths. The wave's variants are those of both
 * definitions; a variant name both use for different values is renamed on the side that names it
 * only as its default variant (suffix {@value #RENAMED}), so that neither definition's targeting is
 * rewritten. The wave's default variant is the current definition's; where the new one falls back
 * to another, its targeting carries its own fallback ({@code {"if": [{"!==": [targeting, null]},
 * targeting, default]}}). Where a side must be able to give no value (it is disabled or absent, or
 * has no default variant), the wave has no default variant, which flagd's older schema (a
 * required {@code defaultVariant}) refuses: such rollouts need a flagd engine that reads flags
 * without one, as FleetFlags and current flagd do.
 *
 * <p>At 100% a rollout writes the new definition itself: every device then evaluates exactly what
 * the split at W would give it.
 */
public final class WaveDefinition {

  /** Weights are in ten-thousandths: percentages with two decimals. */
  public static final int WEIGHTS = 10_000;
  static final String RENAMED = "~rollout";
  private static final String NEXT = "next";
  private static final String CURRENT = "current";

  private WaveDefinition() {}

  /**
   * Why a rollout from {@code from} (null: the flag does not exist yet) to {@code to} cannot be
   * made, or null if it can.
   */
  public static @Nullable String problem(@Nullable FlagDefinition from, FlagDefinition to) {
    if (to.equals(from)) {
      return "the new definition is the flag's current one; nothing to roll out";
    }
    boolean fromServes = serves(from);
    if (!fromServes && !serves(to)) {
      return "neither the current nor the new definition serves a value (disabled or absent); nothing to roll out";
    }
    if (fromServes && serves(to) && from.type() != to.type()) {
      return "the new definition's variants are " + to.type().lowerCaseName() + ", the current ones "
          + from.type().lowerCaseName() + ": a rollout changes values, not a flag's type; change the type with a write";
    }
    if (fromServes && serves(to)) {
      for (Map.Entry<String, Object> v : to.variants().entrySet()) {
        Object old = from.variants().get(v.getKey());
        if (old != null && !old.equals(v.getValue()) && to.targeting() != null && from.targeting() != null) {
          return "variant " + Json.quote(v.getKey()) + " has one value now and another in the new definition, and both"
              + " definitions have targeting: give the new value a variant name of its own";
        }
      }
    }
    return null;
  }

  /**
   * The definition of flag {@code key} at {@code weight} ten-thousandths of the way from {@code
   * from} to {@code to}: the split, or {@code to} itself at {@value #WEIGHTS}.
   *
   * @param salt names the rollout; the same for all its waves, different for every rollout
   * @throws IllegalArgumentException if {@link #problem} finds one, or the weight is not 1 to {@value #WEIGHTS}
   */
  public static FlagDefinition of(String key, @Nullable FlagDefinition from, FlagDefinition to, String salt, int weight) {
    String problem = problem(from, to);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    if (weight < 1 || weight > WEIGHTS) {
      throw new IllegalArgumentException("a wave's weight is 1 to " + WEIGHTS + ", was " + weight);
    }
    if (weight == WEIGHTS) {
      return to;
    }
    Side next = Side.of(serves(to) ? to : null);
    Side current = Side.of(serves(from) ? from : null);
    // A name both use for different values: renamed where it is only a default variant.
    if (next.serves() && current.serves()) {
      for (String name : List.copyOf(next.variants.keySet())) {
        Object old = current.variants.get(name);
        if (old != null && !old.equals(next.variants.get(name))) {
          if (next.targeting == null) {
            next.rename(name, unused(name, next, current));
          } else {
            current.rename(name, unused(name, next, current));
          }
        }
      }
    }
    Map<String, Object> variants = new LinkedHashMap<>(next.variants);
    current.variants.forEach(variants::putIfAbsent);
    Object bucketBy = Map.of("cat", List.of(salt, Map.of("var", "targetingKey")));
    String defaultVariant;
    Object targeting;
    if (next.servesVariant() && current.servesVariant()) {
      // The split always names a variant; a device that cannot be bucketed keeps the current one.
      defaultVariant = current.defaultVariant;
      targeting = Map.of("fractional", List.of(bucketBy,
          List.of(next.defaultVariant, (long) weight), List.of(current.defaultVariant, (long) (WEIGHTS - weight))));
    } else {
      // flagd's older schema requires a default variant: the current one's, unless a side must be
      // able to give no value (it serves none, or its targeting falls back to none).
      defaultVariant = next.alwaysServes() && current.alwaysServes() ? current.defaultVariant : null;
      Object nextChoice = next.choice(defaultVariant);
      Object currentChoice = current.choice(defaultVariant);
      Object split = Map.of("fractional", List.of(bucketBy, List.of(NEXT, (long) weight), List.of(CURRENT, (long) (WEIGHTS - weight))));
      targeting = Map.of("if", nullable(Map.of("==", List.of(split, NEXT)), nextChoice, currentChoice));
    }
    return new FlagDefinition(key, FlagState.ENABLED, variants, defaultVariant, targeting, to.metadata());
  }

  /** Whether the bucket value of {@code salt} + {@code targetingKey} falls in a wave of {@code weight}. */
  public static boolean inWave(String salt, String targetingKey, int weight) {
    long hash = Murmur3.hashUtf8(salt + targetingKey) & 0xFFFFFFFFL;
    return (hash * WEIGHTS) >>> 32 < weight;
  }

  private static boolean serves(@Nullable FlagDefinition d) {
    return d != null && d.state() == FlagState.ENABLED;
  }

  private static String unused(String name, Side a, Side b) {
    String candidate = name + RENAMED;
    for (int i = 2; a.variants.containsKey(candidate) || b.variants.containsKey(candidate); i++) {
      candidate = name + RENAMED + i;
    }
    return candidate;
  }

  /** A list that may hold nulls (List.of may not). */
  private static List<@Nullable Object> nullable(@Nullable Object... items) {
    List<@Nullable Object> list = new ArrayList<>(items.length);
    java.util.Collections.addAll(list, items);
    return list;
  }

  /** One definition as a side of the split: what it serves a device, by variant name. */
  private static final class Side {
    final Map<String, Object> variants;
    @Nullable String defaultVariant;
    final @Nullable Object targeting;

    private Side(Map<String, Object> variants, @Nullable String defaultVariant, @Nullable Object targeting) {
      this.variants = variants;
      this.defaultVariant = defaultVariant;
      this.targeting = targeting;
    }

    static Side of(@Nullable FlagDefinition d) {
      return d == null ? new Side(new LinkedHashMap<>(), null, null)
          : new Side(new LinkedHashMap<>(d.variants()), d.defaultVariant(), d.targeting());
    }

    boolean serves() {
      return !variants.isEmpty();
    }

    /** Whether it serves every device a variant: it has one, and a default to fall back to. */
    boolean alwaysServes() {
      return serves() && defaultVariant != null;
    }

    /** Whether it serves one variant to every device: no targeting, and a default. */
    boolean servesVariant() {
      return serves() && targeting == null && defaultVariant != null;
    }

    /** Renames a variant that only the default names (the side has no targeting, or the caller knows). */
    void rename(String from, String to) {
      Map<String, Object> renamed = new LinkedHashMap<>();
      variants.forEach((name, value) -> renamed.put(name.equals(from) ? to : name, value));
      variants.clear();
      variants.putAll(renamed);
      if (from.equals(defaultVariant)) {
        defaultVariant = to;
      }
    }

    /**
     * What this side gives as the wave's targeting result: its variant, its targeting (with its
     * own fallback where the wave's default is another), or null for no value.
     */
    @Nullable Object choice(@Nullable String waveDefault) {
      if (!serves()) {
        return null;
      }
      if (targeting == null) {
        return defaultVariant;
      }
      if (defaultVariant == null || defaultVariant.equals(waveDefault)) {
        return targeting;
      }
      return Map.of("if", nullable(Map.of("!==", nullable(targeting, null)), targeting, defaultVariant));
    }
  }
}
