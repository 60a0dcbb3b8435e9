package dev.fleetflags.store;

import static dev.fleetflags.store.StoreFixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store held by another process: it is locked; and once that process is killed (SIGKILL, no
 * close, no flush) every write it reported done is there.
 *
 * <p>A killed process leaves what it wrote in the page cache, so this proves that an acknowledged
 * write is in the WAL and replayed, not that the WAL was fsynced: that needs a power cut.
 */
class CrashDurabilityTest {

  @TempDir Path dir;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES) // a guard against a hung child, not a measurement
  void everyWriteAKilledProcessReportedDoneIsThereAfterReopening() throws Exception {
    Path store = dir.resolve("store");
    Path errors = dir.resolve("child-stderr.txt");
    Process child = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            StoreChild.class.getName(), store.toString())
        .redirectError(errors.toFile())
        .start();
    long acknowledged = 0;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        OutputStream in = child.getOutputStream()) {
      acknowledged = readUntil(out, "ready", errors);

      StoreException locked = assertThrows(StoreException.class, () -> FlagStore.open(store, settings()));
      assertTrue(locked.getMessage().contains("locked by another process (LOCK file held)"), locked.getMessage());

      in.write("go\n".getBytes(StandardCharsets.UTF_8));
      in.flush();
      while (acknowledged < 50) {
        acknowledged = Math.max(acknowledged, revision(out.readLine(), errors));
      }
      // Through the handle: Process.destroyForcibly would also close the pipes, and lines the
      // child wrote before it died would be lost to the count.
      child.toHandle().destroyForcibly();
      child.waitFor();
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        acknowledged = Math.max(acknowledged, revision(line, errors));
      }
    } finally {
      child.destroyForcibly();
    }

    try (FlagStore reopened = FlagStore.open(store, settings())) {
      long revision = reopened.revision();
      assertTrue(revision >= acknowledged, "store at " + revision + " but the child reported " + acknowledged + " done");
      // At most the one write in flight when the kill came is there without having been reported.
      assertTrue(revision <= acknowledged + 1, "store at " + revision + ", child reported " + acknowledged);
      // Each write was one batch: the flag, its revision, the device and the history entry agree.
      assertEquals(revision, reopened.flags().document().flags().get("counter").variants().get("v"));
      assertEquals(Map.of("counter", revision), reopened.flags().flagRevisions());
      assertEquals(Map.of("n", revision), reopened.deviceAttributes("dev"));
      List<HistoryEntry> history = reopened.history(1_000);
      assertEquals(revision, history.size());
      assertEquals(revision, history.get(0).revision());
      assertEquals(revision + 1, reopened.write(new StoreWrite(revision, "apply", StoreFixtures.OPERATOR,
          Map.of("counter", StoreFixtures.counter("counter", revision + 1)), Map.of(), null, Map.of())));
    }
  }

  /** Reads "revision N" lines up to {@code marker}; returns the highest N. */
  private static long readUntil(BufferedReader out, String marker, Path errors) throws IOException {
    long highest = 0;
    for (String line = out.readLine(); !marker.equals(line); line = out.readLine()) {
      highest = Math.max(highest, revision(line, errors));
    }
    return highest;
  }

  private static long revision(String line, Path errors) throws IOException {
    if (line == null || !line.startsWith("revision ")) {
      throw new AssertionError("child process said " + line + "; its stderr:\n" + Files.readString(errors));
    }
    return Long.parseLong(line.substring("revision ".length()));
  }
}
