package dev.fleetflags.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The harness end to end with 20 devices and one round of each comparison, so it cannot rot
 * unnoticed: both broker JVMs, the devices in two client JVMs (as a fleet larger than one
 * process's file limit runs), every phase, and what each device received. Only counts and sizes
 * are asserted, never a time.
 */
class LoadHarnessSmokeTest {

  private static final int DEVICES = 20;

  @Test
  void everyPhaseDeliversExactlyWhatItShould() throws Exception {
    LoadSettings settings =
        new LoadSettings(
            DEVICES,
            1,
            DEVICES,
            Path.of(System.getProperty("fleetflags.bench.dir"), "flags-50.json"),
            Path.of(System.getProperty("load.work")),
            null,
            "",
            List.of("-Xmx512m"),
            Duration.ofSeconds(60),
            2,
            List.of("-Xmx256m"));

    LoadResults results = new LoadRun(settings).run();

    assertEquals(List.of(), results.problems());
    assertEquals(1, results.fanOut().fleetFlags().size());
    assertEquals(1, results.fanOut().bare().size());
    assertEquals(1, results.fanOutFirst().fleetFlags().size());
    assertTrue(results.fanOutFirst().fleetFlags().get(0) <= results.fanOut().fleetFlags().get(0));
    assertEquals(1, results.connect().fleetFlags().size());
    assertEquals(1, results.connect().bare().size());
    LoadResults.Rollout rollout = results.rollout();
    assertTrue(rollout.exact(), rollout.toString());
    assertEquals(rollout.predicted(), rollout.received());
    assertEquals(rollout.predicted(), rollout.affected());
    assertEquals(rollout.predicted(), rollout.sent());
    LoadResults.WireBytes bytes = results.bytes();
    assertTrue(bytes.delta() <= 24, "one-flag boolean delta of " + bytes.delta() + " B");
    assertTrue(bytes.snapshotMin() > 0 && bytes.snapshotMin() <= bytes.snapshotMax(), bytes.toString());
    assertTrue(bytes.launchDarklyPatch() > bytes.delta(), bytes.toString());
    assertTrue(results.heap().flagsAfter() > 0 && results.heap().bareAfter() > 0);
  }
}
