package dev.fleetflags.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The result table of a run, in Markdown, as BENCHMARKS.md shows it. */
final class LoadReport {

  private LoadReport() {}

  /**
   * @param machine what ran it: processors, load average before and after, date
   */
  static String format(LoadResults r, String machine) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT,
        "FleetFlags load harness: %,d devices, %d rounds per comparison (fan-out after %d warm-up rounds of"
            + " each kind, not counted). %s%n%n", r.devices(), r.rounds(), LoadSettings.fanOutWarmup(),
        machine));
    out.append("| # | measure | FleetFlags | bare baseline, same broker, same run | ratio | target |\n");
    out.append("|---|---|---|---|---|---|\n");
    LoadResults.Timing f = r.fanOut();
    out.append(String.format(Locale.ROOT,
        "| 1 | a change affecting all %,d devices: admin publish until the last device has its delta"
            + " | %s; admin answer after %s | %,d × %d B through the broker's PublishService: %s |"
            + " **%.2f** | ≤ 1.10 |%n",
        r.devices(), times(f.fleetFlags()), times(r.fanOutAnswered()), r.devices(),
        r.bytes().delta(), times(f.bare()), f.ratio()));
    LoadResults.Timing first = r.fanOutFirst();
    out.append(String.format(Locale.ROOT,
        "| 1 | the same change: admin publish until the first device has its delta | %s | the first"
            + " of the broker's messages: %s | +%,d ms | bounded, whatever N |%n",
        times(first.fleetFlags()), times(first.bare()),
        (LoadResults.Timing.median(first.fleetFlags()) - LoadResults.Timing.median(first.bare())) / 1_000_000));
    LoadResults.Timing c = r.connect();
    LoadResults.Timing m = r.connectFirstMessage();
    out.append(String.format(Locale.ROOT,
        "| 2 | connect + subscribe %,d devices | with first flag set: %s (%,.0f/s) | subscribe to a"
            + " topic FleetFlags does not serve: %s (%,.0f/s) | **%.2f** of the bare rate | ≥ 0.9 |%n",
        r.devices(), times(c.fleetFlags()), rate(r.devices(), c.fleetFlags()), times(c.bare()),
        rate(r.devices(), c.bare()), 1 / c.ratio()));
    out.append(String.format(Locale.ROOT,
        "| 2 | the same, against the broker's own first message | (as above) | subscribe to that"
            + " topic, then one %d B message the broker publishes after each SUBACK: %s (%,.0f/s) |"
            + " **%.2f** of that rate | ≥ 0.95 |%n",
        r.bytes().snapshotMedian(), times(m.bare()), rate(r.devices(), m.bare()), 1 / m.ratio()));
    LoadResults.Rollout ro = r.rollout();
    out.append(String.format(Locale.ROOT,
        "| 3 | rollout step 10%% → 20%% | %,d messages received, %,d deltas sent, admin answer:"
            + " %,d devices affected | %,d devices whose value changes (murmur3 prediction) | %s |"
            + " exactly equal |%n",
        ro.received(), ro.sent(), ro.affected(), ro.predicted(),
        ro.exact() ? "**exact**" : "**NOT exact**"));
    LoadResults.WireBytes b = r.bytes();
    out.append(String.format(Locale.ROOT,
        "| 4 | one-flag boolean delta (`%s`), MQTT payload | %d B | LaunchDarkly `patch` event %,d B;"
            + " flagd sync %,d B | %.0f× / %.0f× smaller | ≤ 24 B |%n",
        b.deltaFlag(), b.delta(), b.launchDarklyPatch(), b.flagdSyncDelta(),
        (double) b.launchDarklyPatch() / b.delta(), (double) b.flagdSyncDelta() / b.delta()));
    out.append(String.format(Locale.ROOT,
        "| 4 | 50-flag snapshot (`flags-50.json`), MQTT payload | dev-0 %d B (fleet: %d / %d / %d B"
            + " min / median / max) | LaunchDarkly `put` event %,d B; flagd sync %,d B | %.0f× /"
            + " %.0f× smaller | |%n",
        b.snapshotDev0(), b.snapshotMin(), b.snapshotMedian(), b.snapshotMax(), b.launchDarklyPut(),
        b.flagdSyncSnapshot(), (double) b.launchDarklyPut() / b.snapshotMedian(),
        (double) b.flagdSyncSnapshot() / b.snapshotMedian()));
    out.append(String.format(Locale.ROOT,
        "| 4 | rollout step delta (`%s`), MQTT payload | %d B to each of %,d devices | LaunchDarkly"
            + " `patch` %,d B, flagd sync %,d B, to every SDK | | |%n",
        LoadRun.ROLLOUT_FLAG, b.rolloutDelta(), ro.received(), b.launchDarklyRolloutPatch(),
        b.flagdSyncRollout()));
    LoadResults.Heap h = r.heap();
    out.append(String.format(Locale.ROOT,
        "| 5 | extension heap per indexed device | broker heap after full GC: %s → %s with the"
            + " devices | broker without FleetFlags: %s → %s (%.0f B per device) | **%.0f B**"
            + " per device | ~100 B |%n",
        mib(h.flagsBefore()), mib(h.flagsAfter()), mib(h.bareBefore()), mib(h.bareAfter()),
        h.brokerPerDevice(), h.perDevice()));
    out.append('\n');
    if (r.problems().isEmpty()) {
      out.append("Every check passed (counts, kinds and values of what each device received).\n");
    } else {
      out.append("PROBLEMS (the figures above are not valid):\n");
      r.problems().forEach(p -> out.append("- ").append(p).append('\n'));
    }
    return out.toString();
  }

  /**
   * Runs of several fleet sizes side by side: each figure against its baseline of the same run.
   *
   * @param conditions per run, what ran it (processors, load average before and after)
   */
  static String scaling(List<LoadResults> runs, List<String> conditions) {
    StringBuilder out = new StringBuilder();
    out.append("Scaling: each row a run of its own (fresh brokers), medians of its rounds; ratios against the"
        + " baseline of the same run.\n\n");
    out.append("| devices | fan-out: FleetFlags / PublishService | ratio | first delta / broker's first message"
        + " | admin answer (share of the baseline's fan-out) | connect + first flag set, rate against the broker's"
        + " own first message | checks | load |\n");
    out.append("|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < runs.size(); i++) {
      LoadResults r = runs.get(i);
      long answer = LoadResults.Timing.median(r.fanOutAnswered());
      long bare = LoadResults.Timing.median(r.fanOut().bare());
      out.append(String.format(Locale.ROOT, "| %,d | %,d / %,d ms | **%.2f** | %,d / %,d ms | %,d ms (%.2f) | **%.2f** | %s | %s |%n",
          r.devices(), LoadResults.Timing.median(r.fanOut().fleetFlags()) / 1_000_000, bare / 1_000_000,
          r.fanOut().ratio(), LoadResults.Timing.median(r.fanOutFirst().fleetFlags()) / 1_000_000,
          LoadResults.Timing.median(r.fanOutFirst().bare()) / 1_000_000, answer / 1_000_000,
          bare == 0 ? 0 : (double) answer / bare, 1 / r.connectFirstMessage().ratio(),
          r.problems().isEmpty() ? "passed" : r.problems().size() + " failed", conditions.get(i)));
    }
    return out.toString();
  }

  /** The processors, the load average now, and the date. */
  static String machine() {
    return String.format(Locale.ROOT, "%d processors, load average %s, %s",
        Runtime.getRuntime().availableProcessors(), loadAverage(), java.time.LocalDate.now());
  }

  /** The one-minute load average now, as /proc/loadavg has it; ? where there is none. */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+", 4)[0];
    } catch (IOException e) {
      return "?";
    }
  }

  private static String times(List<Long> nanos) {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "median %,d ms (",
        LoadResults.Timing.median(nanos) / 1_000_000));
    for (int i = 0; i < nanos.size(); i++) {
      s.append(i == 0 ? "" : ", ").append(nanos.get(i) / 1_000_000);
    }
    return s.append(')').toString();
  }

  private static double rate(int devices, List<Long> nanos) {
    return devices / (LoadResults.Timing.median(nanos) / 1e9);
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }
}
