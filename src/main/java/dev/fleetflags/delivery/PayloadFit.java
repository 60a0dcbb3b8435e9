package dev.fleetflags.delivery;

import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.Flag;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Which flag values a device can receive: all of them, or, for a device whose maximum packet size
 * leaves {@code limit} bytes of payload, those whose entry fits in an update of that size. A value
 * that cannot fit is left out of what the device is sent and of its state hash, as if the flag had
 * no value for it (it uses its built-in default): everything delivery computes for the device (its
 * hash, the difference from what it holds, whether a change affects it) is of what it can hold.
 */
final class PayloadFit {

  /** A device without a stated limit: everything fits. */
  static final PayloadFit ANY = new PayloadFit(Integer.MAX_VALUE, null);

  private final int limit;
  private final @Nullable FlagUpdates updates;

  private PayloadFit(int limit, @Nullable FlagUpdates updates) {
    this.limit = limit;
    this.updates = updates;
  }

  /** @param limit the payload bytes an update may take for this device */
  static PayloadFit of(int limit, FlagUpdates updates) {
    return limit == Integer.MAX_VALUE ? ANY : new PayloadFit(limit, updates);
  }

  boolean limited() {
    return updates != null;
  }

  /** The payload bytes an update may take. */
  int limit() {
    return limit;
  }

  /** Whether the variant's entry fits in an update of its own, whatever its revision. */
  boolean fits(Flag flag, int variant) {
    return updates == null || FlagUpdates.MAX_HEADER_BYTES + updates.size(flag, variant) <= limit;
  }

  /** The variant of flag {@code i} the device receives, or -1: none, or one that cannot fit. */
  int variant(Evaluation e, int i) {
    int v = e.variantIndex(i);
    return v >= 0 && fits(e.flag(i), v) ? v : -1;
  }

  /** The state hash of what the device can hold of the set. */
  int stateHash(Evaluation e) {
    if (updates == null) {
      return e.stateHash();
    }
    int hash = 0;
    for (int i = 0; i < e.size(); i++) {
      int v = variant(e, i);
      if (v >= 0) {
        hash += e.flag(i).entryHash(v);
      }
    }
    return hash;
  }

  /**
   * The keys of the flags left out of an update from {@code held} (null: a snapshot) to {@code
   * target}: values the device should get and cannot.
   */
  List<String> leftOut(@Nullable Evaluation held, Evaluation target) {
    List<String> keys = new ArrayList<>();
    if (updates == null) {
      return keys;
    }
    for (int i = 0; i < target.size(); i++) {
      int v = target.variantIndex(i);
      if (v < 0 || fits(target.flag(i), v)) {
        continue;
      }
      int h = held == null ? -1 : held.flagSet().indexOf(target.flag(i).key());
      int hv = h < 0 ? -1 : held.variantIndex(h);
      if (hv < 0 || !FanOutPlan.sameDelivery(held.flag(h), hv, target.flag(i), v, updates.includesVariants())) {
        keys.add(target.flag(i).key());
      }
    }
    return keys;
  }
}
