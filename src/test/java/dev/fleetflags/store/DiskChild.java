package dev.fleetflags.store;

import static dev.fleetflags.store.StoreFixtures.devices;
import static dev.fleetflags.store.StoreFixtures.flag;
import static dev.fleetflags.store.StoreFixtures.toggle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A process that runs a store on a small tmpfs of its own (mounted by {@link DiskFaultTest} in a
 * user and mount namespace) and makes the disk fail for real: it fills it, frees part of it, frees
 * it, remounts it read-only. It prints one line per step, {@code step: what happened}, for the
 * test to judge.
 */
final class DiskChild {

  private DiskChild() {}

  public static void main(String[] args) throws Exception {
    Path disk = Path.of(args[0]);
    full(disk);
    readOnly(disk);
    System.out.println("done: ok");
  }

  /** A full disk refuses writes and a freed one takes them again; reads go on throughout. */
  private static void full(Path disk) throws Exception {
    Path dir = disk.resolve("full");
    FlagStore store = FlagStore.open(dir, StoreFixtures.settings(100, 1_000));
    store.write(flag(toggle("a", true)));
    store.write(devices("dev-1", java.util.Map.of("model", "x")));
    // What the reopen that settles the failed write must read back and flush.
    Random random = new Random(7);
    for (int i = 0; i < 10; i++) {
      store.write(flag(payload("p" + i, random)));
    }
    Path filler = disk.resolve("filler");
    fill(filler);
    String refused = null;
    for (int i = 0; i < 200 && refused == null; i++) {
      try {
        store.write(flag(payload("q" + i, random)));
      } catch (StoreException e) {
        refused = e.getMessage();
      }
    }
    step("refused", refused);
    step("confirmed", Long.toString(store.revision()));
    step("still", attempt(store));
    step("reads", store.deviceAttributes("dev-1") + " " + store.history(1).size());

    Files.delete(filler);
    step("freed", attempt(store));
    String held = state(store);
    store.close();
    try (FlagStore reopened = FlagStore.open(dir, StoreFixtures.settings(100, 1_000))) {
      step("held", held);
      step("reopened", state(reopened));
    }
    deleteTree(dir);
  }

  /** A store on a read-only file system is refused as such, not as a permissions problem. */
  private static void readOnly(Path disk) throws Exception {
    Path dir = disk.resolve("ro");
    try (FlagStore store = FlagStore.open(dir, StoreFixtures.settings())) {
      store.write(flag(toggle("a", true)));
    }
    mount(disk, "remount,ro");
    try (FlagStore store = FlagStore.open(dir, StoreFixtures.settings())) {
      step("readOnlyOpen", "opened at " + store.revision());
    } catch (StoreException e) {
      step("readOnlyOpen", e.getMessage());
    }
    mount(disk, "remount,rw");
    try (FlagStore store = FlagStore.open(dir, StoreFixtures.settings())) {
      step("writableAgain", Long.toString(store.write(flag(toggle("b", true)))));
    }
  }

  /** A write, and what came of it. */
  private static String attempt(FlagStore store) {
    try {
      return "accepted " + store.write(flag(toggle("after-" + store.revision(), true)));
    } catch (RevisionConflictException e) {
      // The write that failed had reached the disk after all; this one was planned before it.
      try {
        return "landed " + e.currentRevision() + ", then accepted " + store.write(flag(toggle("after-" + store.revision(), true)));
      } catch (Exception again) {
        return "landed " + e.currentRevision() + ", then " + again.getMessage();
      }
    } catch (StoreException e) {
      return e.getMessage();
    }
  }

  private static String state(FlagStore store) {
    return store.revision() + " " + store.flags().flagRevisions() + " " + store.history(1_000).size();
  }

  /** A flag whose one variant is ~40 KB of text that does not compress. */
  private static dev.fleetflags.rules.FlagDefinition payload(String key, Random random) {
    byte[] bytes = new byte[30_000];
    random.nextBytes(bytes);
    String text = Base64.getEncoder().encodeToString(bytes);
    return flag(key, "{\"state\": \"ENABLED\", \"variants\": {\"v\": \"" + text + "\"}, \"defaultVariant\": \"v\"}");
  }

  private static void fill(Path filler) throws IOException {
    try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ByteBuffer block = ByteBuffer.allocate(64 * 1024);
      while (true) {
        block.clear();
        channel.write(block);
      }
    } catch (IOException full) {
      if (!String.valueOf(full.getMessage()).contains("No space left")) {
        throw full;
      }
    }
  }

  private static void mount(Path disk, String options) throws Exception {
    Process mount = new ProcessBuilder("mount", "-o", options, disk.toString()).inheritIO().start();
    if (!mount.waitFor(30, TimeUnit.SECONDS) || mount.exitValue() != 0) {
      throw new IllegalStateException("mount -o " + options + " failed");
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static void step(String name, String what) {
    System.out.println(name + ": " + String.valueOf(what).replace('\n', ' '));
    System.out.flush();
  }
}
