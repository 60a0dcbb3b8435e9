package dev.fleetflags.rollout;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The gates a rollout checks while a wave bakes, each optional (null: not checked). Thresholds are
 * percentages of the devices the wave targeted (those whose value its write changed); a figure equal
 * to its threshold passes. With no device to judge (none targeted, none applied) a gate passes: the
 * gates judge what devices report, and a wave that reached nobody has nothing to report.
 *
 * @param minAppliedPercent at least this share of the targeted devices must have acknowledged the
 *     wave as applied once {@code ackTimeout} has passed since it was written; the wave does not
 *     advance before then
 * @param ackTimeout how long devices have to apply the wave
 * @param maxFailedPercent at most this share may report it rejected or failed (checked all along)
 * @param maxDisconnectedPercent at most this many percentage points more of the devices that
 *     applied the wave may have left and not returned (away longer than {@code disconnectGrace})
 *     than of the rest of the fleet over the same period (checked all along)
 * @param disconnectGrace how long a device may be away (a reboot after applying) before it counts
 */
public record Gates(
    @Nullable Double minAppliedPercent,
    Duration ackTimeout,
    @Nullable Double maxFailedPercent,
    @Nullable Double maxDisconnectedPercent,
    Duration disconnectGrace) {

  public static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_DISCONNECT_GRACE = Duration.ofSeconds(60);
  public static final Gates NONE = new Gates(null, DEFAULT_ACK_TIMEOUT, null, null, DEFAULT_DISCONNECT_GRACE);

  public static final String APPLIED = "minAppliedPercent";
  public static final String FAILED = "maxFailedPercent";
  public static final String DISCONNECTED = "maxDisconnectedPercent";

  /** A gate that failed, with the figures it judged. */
  public record Breach(String gate, String reason, Map<String, Object> figures) {
    public Breach {
      figures = Collections.unmodifiableMap(new LinkedHashMap<>(figures));
    }
  }

  /**
   * The first gate the figures fail, or null.
   *
   * @param sinceWrite how long ago the wave was written
   */
  public @Nullable Breach check(WaveFigures f, Duration sinceWrite) {
    if (maxFailedPercent != null && f.targeted() > 0) {
      double failed = percent(f.rejected() + f.failed(), f.targeted());
      if (failed > maxFailedPercent) {
        return breach(FAILED, String.format(Locale.ROOT, "%.2f%% of the %d targeted devices rejected or failed the"
            + " wave (%d rejected, %d failed), more than %s%%", failed, f.targeted(), f.rejected(), f.failed(),
            number(maxFailedPercent)), f, failed, maxFailedPercent, Map.of());
      }
    }
    if (maxDisconnectedPercent != null && f.applied() > 0) {
      double wave = percent(f.silent(), f.applied());
      double rest = f.restSeen() == 0 ? 0 : percent(f.restAway(), f.restSeen());
      if (wave - rest > maxDisconnectedPercent) {
        return breach(DISCONNECTED, String.format(Locale.ROOT, "%.2f%% of the %d devices that applied the wave"
            + " left and did not return within %d s (%d devices), against %.2f%% of the rest of the fleet (%d of %d):"
            + " %.2f points more, over %s", wave, f.applied(), disconnectGrace.toSeconds(), f.silent(), rest, f.restAway(),
            f.restSeen(), wave - rest, number(maxDisconnectedPercent)), f, wave - rest, maxDisconnectedPercent,
            Map.of("wavePercent", round(wave), "restPercent", round(rest)));
      }
    }
    if (minAppliedPercent != null && f.targeted() > 0 && sinceWrite.compareTo(ackTimeout) >= 0) {
      double applied = percent(f.applied(), f.targeted());
      if (applied < minAppliedPercent) {
        return breach(APPLIED, String.format(Locale.ROOT, "%.2f%% of the %d targeted devices applied the wave"
            + " within %d s (%d devices), less than %s%%", applied, f.targeted(), ackTimeout.toSeconds(), f.applied(),
            number(minAppliedPercent)), f, applied, minAppliedPercent, Map.of());
      }
    }
    return null;
  }

  /** Whether the wave may advance as far as the gates go: the ack timeout has passed, if it matters. */
  public boolean settled(Duration sinceWrite) {
    return minAppliedPercent == null || sinceWrite.compareTo(ackTimeout) >= 0;
  }

  private static Breach breach(String gate, String reason, WaveFigures f, double figure, double threshold,
      Map<String, Object> more) {
    Map<String, Object> figures = new LinkedHashMap<>(f.toJson());
    figures.putAll(more);
    figures.put("percent", round(figure));
    figures.put("threshold", threshold);
    return new Breach(gate, reason, figures);
  }

  private static double percent(long part, long whole) {
    return 100.0 * part / whole;
  }

  private static double round(double percent) {
    return Math.round(percent * 100) / 100.0;
  }

  /** A threshold as written: 2 rather than 2.0. */
  static String number(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    if (minAppliedPercent != null) {
      json.put(APPLIED, minAppliedPercent);
      json.put("ackTimeoutSeconds", ackTimeout.toSeconds());
    }
    if (maxFailedPercent != null) {
      json.put(FAILED, maxFailedPercent);
    }
    if (maxDisconnectedPercent != null) {
      json.put(DISCONNECTED, maxDisconnectedPercent);
      json.put("disconnectGraceSeconds", disconnectGrace.toSeconds());
    }
    return json;
  }
}
