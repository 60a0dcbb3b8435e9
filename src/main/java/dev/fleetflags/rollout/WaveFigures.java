package dev.fleetflags.rollout;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the fleet made of one wave, as the gates judge it: of the devices the wave's write targeted
 * (those whose value it changed), how many applied, rejected or failed it, and how many left after
 * applying and have not returned (for longer than the gates' grace); and, to compare with, the rest
 * of the fleet over the same period: devices seen (connected now, or gone since the wave began) and
 * those gone since then and not back. With several brokers, every broker's figures summed.
 */
public record WaveFigures(long targeted, long applied, long rejected, long failed, long silent, long fleetSeen, long fleetAway) {

  public static final WaveFigures NONE = new WaveFigures(0, 0, 0, 0, 0, 0, 0);

  public WaveFigures plus(WaveFigures o) {
    return new WaveFigures(targeted + o.targeted, applied + o.applied, rejected + o.rejected, failed + o.failed,
        silent + o.silent, fleetSeen + o.fleetSeen, fleetAway + o.fleetAway);
  }

  /** The devices seen and gone that are not the wave's own applied and silent ones. */
  long restSeen() {
    return Math.max(0, fleetSeen - applied);
  }

  long restAway() {
    return Math.max(0, fleetAway - silent);
  }

  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("targeted", targeted);
    json.put("applied", applied);
    json.put("rejected", rejected);
    json.put("failed", failed);
    json.put("silent", silent);
    json.put("fleetSeen", fleetSeen);
    json.put("fleetAway", fleetAway);
    return json;
  }

  /** Figures as {@link #toJson} writes them; missing members are 0. */
  public static WaveFigures fromJson(Map<?, ?> json) {
    return new WaveFigures(n(json, "targeted"), n(json, "applied"), n(json, "rejected"), n(json, "failed"), n(json, "silent"),
        n(json, "fleetSeen"), n(json, "fleetAway"));
  }

  private static long n(Map<?, ?> json, String name) {
    return json.get(name) instanceof Number n ? n.longValue() : 0;
  }
}
