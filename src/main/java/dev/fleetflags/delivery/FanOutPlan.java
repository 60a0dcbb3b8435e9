package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Flag;
import dev.fleetflags.eval.FlagProbe;
import dev.fleetflags.eval.FlagSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which devices a change affects: for each changed or removed flag, the flag's position in the set
 * before and after, so that deciding for one device evaluates only those flags, twice, and compares
 * what the device would receive. Built once per change; {@link #affects} is safe from any thread (a {@link FlagProbe} is not).
 */
public final class FanOutPlan {

  private final FlagSet before;
  private final FlagSet after;
  /** The changed and removed keys' positions in each set, by key in order (-1: not in that set). */
  private final int[] beforeIndex;
  private final int[] afterIndex;
  private final boolean compareVariants;
  private final boolean timeIndependent;

  public FanOutPlan(FlagSet before, FlagSet after, Set<String> changed, Set<String> removed, boolean compareVariants) {
    this.before = before;
    this.after = after;
    this.compareVariants = compareVariants;
    List<String> keys = new ArrayList<>(new TreeSet<>(changed));
    for (String key : new TreeSet<>(removed)) {
      if (!changed.contains(key)) {
        keys.add(key);
      }
    }
    keys.sort(null);
    this.beforeIndex = new int[keys.size()];
    this.afterIndex = new int[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      beforeIndex[i] = before.indexOf(keys.get(i));
      afterIndex[i] = after.indexOf(keys.get(i));
    }
    this.timeIndependent = !readsTime(before) && !readsTime(after);
  }

  private static boolean readsTime(FlagSet set) {
    for (int i = 0; i < set.size(); i++) {
      if (set.flag(i).timeDependent()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a device that holds the set before, evaluated for its attributes, needs exactly the
   * {@link #update} of the changed flags to hold the set after: no flag of either set reads the
   * time, so every other flag's value is what it was.
   */
  boolean coversWholeSet() {
    return timeIndependent;
  }

  /**
   * The update of a device that holds the set before to the set after, for the device {@code
   * probe} points at and without a payload limit: the values it gets (set or changed) and the keys
   * it loses, each in key order, as a whole-set comparison finds them; returns what the update adds
   * to its state hash.
   */
  int update(FlagProbe probe, List<FlagUpdates.FlagValue> changed, List<String> removed) {
    int hash = 0;
    for (int i = 0; i < beforeIndex.length; i++) {
      int b = beforeIndex[i] < 0 ? -1 : probe.variantIndex(before, beforeIndex[i]);
      int a = afterIndex[i] < 0 ? -1 : probe.variantIndex(after, afterIndex[i]);
      if (b >= 0 && a >= 0 && sameDelivery(before.flag(beforeIndex[i]), b, after.flag(afterIndex[i]), a)) {
        continue;
      }
      if (b >= 0) {
        hash -= before.flag(beforeIndex[i]).entryHash(b);
      }
      if (a >= 0) {
        Flag f = after.flag(afterIndex[i]);
        hash += f.entryHash(a);
        changed.add(new FlagUpdates.FlagValue(f, a));
      } else if (b >= 0) {
        removed.add(before.flag(beforeIndex[i]).key());
      }
    }
    return hash;
  }

  /** Whether nothing can change for any device. */
  public boolean isEmpty() {
    return beforeIndex.length == 0;
  }

  /** Whether the device would receive something different after the change than before. */
  public boolean affects(DeviceContext device, long epochSeconds) {
    return affects(new FlagProbe(device, epochSeconds));
  }

  /** Whether the device {@code probe} points at would receive something different after the change. */
  public boolean affects(FlagProbe probe) {
    return affects(probe, PayloadFit.ANY);
  }

  /** As {@link #affects(FlagProbe)}, of the values the device can receive. */
  boolean affects(FlagProbe probe, PayloadFit fit) {
    for (int i = 0; i < beforeIndex.length; i++) {
      int b = beforeIndex[i] < 0 ? -1 : probe.variantIndex(before, beforeIndex[i]);
      int a = afterIndex[i] < 0 ? -1 : probe.variantIndex(after, afterIndex[i]);
      if (fit.limited()) {
        b = b >= 0 && fit.fits(before.flag(beforeIndex[i]), b) ? b : -1;
        a = a >= 0 && fit.fits(after.flag(afterIndex[i]), a) ? a : -1;
      }
      if (b < 0 && a < 0) {
        continue;
      }
      if (b < 0 || a < 0 || !sameDelivery(before.flag(beforeIndex[i]), b, after.flag(afterIndex[i]), a)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The changed flags whose new value the device should get and cannot, as it does not fit its
   * payload limit (empty for a device without one).
   */
  List<String> leftOut(FlagProbe probe, PayloadFit fit) {
    List<String> keys = new ArrayList<>();
    if (!fit.limited()) {
      return keys;
    }
    for (int i = 0; i < afterIndex.length; i++) {
      int a = afterIndex[i] < 0 ? -1 : probe.variantIndex(after, afterIndex[i]);
      if (a < 0 || fit.fits(after.flag(afterIndex[i]), a)) {
        continue;
      }
      int b = beforeIndex[i] < 0 ? -1 : probe.variantIndex(before, beforeIndex[i]);
      if (b < 0 || !sameDelivery(before.flag(beforeIndex[i]), b, after.flag(afterIndex[i]), a)) {
        keys.add(after.flag(afterIndex[i]).key());
      }
    }
    return keys;
  }

  /** Whether two flag values reach a device identically (same type and value, and variant if sent). */
  static boolean sameDelivery(Flag x, int xi, Flag y, int yi, boolean compareVariants) {
    return x.type() == y.type()
        && Objects.equals(x.variantValue(xi), y.variantValue(yi))
        && (!compareVariants || x.variantName(xi).equals(y.variantName(yi)));
  }

  private boolean sameDelivery(Flag x, int xi, Flag y, int yi) {
    return sameDelivery(x, xi, y, yi, compareVariants);
  }
}
