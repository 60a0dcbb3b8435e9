package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Flag;
import dev.fleetflags.eval.FlagProbe;
import dev.fleetflags.eval.FlagSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which devices a change affects: for each changed or removed flag, the flag's position in the set
 * before and after, so that deciding for one device evaluates only those flags, twice, and compares
 * what the device would receive. Built once per change; {@link #affects} is safe from any thread (a {@link FlagProbe} is not).
 */
public final class FanOutPlan {

  private final FlagSet before;
  private final FlagSet after;
  private final int[] beforeIndex;
  private final int[] afterIndex;
  private final boolean compareVariants;

  public FanOutPlan(FlagSet before, FlagSet after, Set<String> changed, Set<String> removed, boolean compareVariants) {
    this.before = before;
    this.after = after;
    this.compareVariants = compareVariants;
    List<String> keys = new ArrayList<>(changed);
    keys.addAll(removed);
    this.beforeIndex = new int[keys.size()];
    this.afterIndex = new int[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      beforeIndex[i] = before.indexOf(keys.get(i));
      afterIndex[i] = after.indexOf(keys.get(i));
    }
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
