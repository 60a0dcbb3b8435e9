package dev.fleetflags.eval;

/**
 * Evaluates single flags of any flag set for one device, reusing one scope: what fan-out planning
 * needs when it compares a few changed flags, before and after, across a whole fleet. A probe can
 * move from device to device ({@link #moveTo}), so planning a change for a million devices makes
 * one probe, not a million. Not thread-safe: one probe per thread.
 */
public final class FlagProbe {

  private final Scope scope;

  public FlagProbe(DeviceContext device, long epochSeconds) {
    this.scope = new Scope(device, epochSeconds);
  }

  /** Points the probe at another device; returns it. */
  public FlagProbe moveTo(DeviceContext device, long epochSeconds) {
    scope.reset(device, device.targetingKey(), epochSeconds);
    return this;
  }

  /**
   * Points the probe at the device with {@code targetingKey} and the attributes of {@code
   * attributes} (whose own targeting key plays no part): no context is made for it.
   */
  public FlagProbe moveTo(DeviceContext attributes, String targetingKey, long epochSeconds) {
    scope.reset(attributes, targetingKey, epochSeconds);
    return this;
  }

  /** The variant index of flag {@code flagIndex} of {@code set} for this device, or -1 for none. */
  public int variantIndex(FlagSet set, int flagIndex) {
    return Evaluation.variantOf(set.flag(flagIndex).evaluate(scope));
  }
}
