package dev.fleetflags.eval;

/**
 * Evaluates single flags of any flag set for one device, reusing one scope: what fan-out planning
 * needs when it compares a few changed flags, before and after, across a whole fleet.
 */
public final class FlagProbe {

  private final Scope scope;

  public FlagProbe(DeviceContext device, long epochSeconds) {
    this.scope = new Scope(device, epochSeconds);
  }

  /** The variant index of flag {@code flagIndex} of {@code set} for this device, or -1 for none. */
  public int variantIndex(FlagSet set, int flagIndex) {
    return Evaluation.variantOf(set.flag(flagIndex).evaluate(scope));
  }
}
