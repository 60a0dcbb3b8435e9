package dev.fleetflags.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk and a real read-only file system: {@link DiskChild} runs the store on an 8 MB
 * tmpfs, mounted in a user and mount namespace of its own ({@code unshare -rm}), so no root is
 * needed where unprivileged user namespaces are allowed (most Linux systems and CI runners); where
 * they are not, the test is skipped and says why.
 *
 * <p>Proves: a full disk refuses the write with "the disk is full", and every write while it is
 * full; the store keeps serving reads; once there is room the next write is accepted, without a
 * restart, and what the store then holds in memory is what it holds on disk after a reopen. A
 * read-only file system is named as such, not as a permissions problem.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one child, one tmpfs, for both tests
class DiskFaultTest {

  @TempDir Path dir;

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES) // a guard against a hung child, not a measurement
  void aFullDiskRefusesWritesUntilItHasRoomAndThenTakesThemWithoutARestart() throws Exception {
    Map<String, String> steps = run();

    String refused = steps.get("refused");
    assertTrue(refused.contains("the disk is full (") && refused.contains("No space left on device"), refused);
    assertTrue(refused.contains("the change was not applied") && refused.contains("without a restart"), refused);
    assertTrue(steps.get("still").contains("the disk is full"), steps.get("still"));
    assertEquals("{model=x} 1", steps.get("reads"), "reads are served while the disk is full");

    assertTrue(steps.get("freed").matches("(landed \\d+, then )?accepted \\d+"), steps.get("freed"));
    assertEquals(steps.get("held"), steps.get("reopened"), "what was held in memory is what is on disk");
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aReadOnlyFileSystemIsNamedAsSuch() throws Exception {
    Map<String, String> steps = run();

    String readOnly = steps.get("readOnlyOpen");
    assertTrue(readOnly.contains("read-only file system") && readOnly.contains("mount it read-write"), readOnly);
    assertFalse(readOnly.contains("permission") || readOnly.contains("may not"), readOnly);
    assertEquals("2", steps.get("writableAgain"));
  }

  private Map<String, String> cached;

  /** Runs the child once; its steps by name. */
  private Map<String, String> run() throws Exception {
    if (cached != null) {
      return cached;
    }
    Path disk = Files.createDirectories(dir.resolve("disk"));
    Path errors = dir.resolve("child-stderr.txt");
    Process child;
    try {
      child = new ProcessBuilder(
              List.of("unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                  "mount -t tmpfs -o size=8m fleetflags-test-disk \"$1\" && exec \"$2\" -cp \"$3\" " + DiskChild.class.getName()
                      + " \"$1\"",
                  "sh", disk.toString(), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  System.getProperty("java.class.path")))
          .redirectError(errors.toFile())
          .start();
    } catch (IOException e) {
      assumeTrue(false, "needs unshare (util-linux) to mount a small tmpfs without root: " + e.getMessage());
      throw e;
    }
    Map<String, String> steps = new LinkedHashMap<>();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(2, TimeUnit.MINUTES));
    for (String line : out.split("\n")) {
      int colon = line.indexOf(": ");
      if (colon > 0) {
        steps.put(line.substring(0, colon), line.substring(colon + 2));
      }
    }
    String stderr = Files.readString(errors);
    assumeTrue(!steps.isEmpty() || !(stderr.startsWith("unshare:") || stderr.startsWith("mount:")),
        "this system does not let an unprivileged process mount a tmpfs in a user namespace (" + stderr.strip()
            + "); the full-disk and read-only tests need it");
    assertEquals("ok", steps.get("done"), "the child ended early:\n" + out + "\nstderr:\n" + stderr);
    cached = steps;
    return steps;
  }
}
