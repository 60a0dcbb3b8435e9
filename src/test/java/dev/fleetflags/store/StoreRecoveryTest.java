package dev.fleetflags.store;

import static dev.fleetflags.store.StoreFixtures.OPERATOR;
import static dev.fleetflags.store.StoreFixtures.flag;
import static dev.fleetflags.store.StoreFixtures.settings;
import static dev.fleetflags.store.StoreFixtures.toggle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write whose outcome the disk did not confirm is settled by the next write, which reopens the
 * store and reads back what it holds, without a restart: the state in memory is then exactly what
 * is durable. (The disk faults themselves, full and read-only, are {@link DiskFaultTest}'s.)
 */
class StoreRecoveryTest {

  @TempDir Path dir;

  @Test
  void aWriteReportedFailedThatReachedTheDiskIsFoundByTheNextWrite() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flag(toggle("a", true)));
      store.failNextWriteAfterWriting();

      StoreException failed = assertThrows(StoreException.class, () -> store.write(flag(toggle("b", true))));

      assertTrue(failed.getMessage().contains("the change was not applied"), failed.getMessage());
      assertTrue(failed.getMessage().contains("without a restart"), failed.getMessage());
      assertTrue(store.writeFailed());
      assertEquals(1, store.revision(), "what is held is what was confirmed");
      assertEquals(Set.of("a"), store.flags().document().flags().keySet());

      // The next write was made against revision 1; revision 2 is on disk after all.
      RevisionConflictException conflict =
          assertThrows(RevisionConflictException.class, () -> store.write(flag(toggle("c", true))));

      assertEquals(1, conflict.expectedRevision());
      assertEquals(2, conflict.currentRevision());
      assertFalse(store.writeFailed());
      assertEquals(2, store.revision());
      assertEquals(Set.of("a", "b"), store.flags().document().flags().keySet());
      assertEquals(Map.of("a", 1L, "b", 2L), store.flags().flagRevisions());
      assertEquals(List.of(2L, 1L), store.history(10).stream().map(HistoryEntry::revision).toList());
      assertEquals(3, store.write(flag(toggle("c", true))));
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(3, store.revision());
      assertEquals(Set.of("a", "b", "c"), store.flags().document().flags().keySet());
    }
  }

  @Test
  void recoverSettlesAFailedWriteBeforeTheCallerPlansTheNextOne() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(StoreFixtures.devices("dev-1", Map.of("model", "x")));
      assertEquals(Map.of("model", "x"), store.deviceAttributes("dev-1"));
      store.failNextWriteAfterWriting();
      assertThrows(StoreException.class, () -> store.write(StoreFixtures.devices("dev-1", Map.of("model", "y"))));
      assertEquals(Map.of("model", "x"), store.deviceAttributes("dev-1"), "readers see what was confirmed");

      store.recover();

      assertFalse(store.writeFailed());
      assertEquals(2, store.revision());
      assertEquals(Map.of("model", "y"), store.deviceAttributes("dev-1"), "the registry cache is read again");
      assertEquals(3, store.write(new StoreWrite(2L, "apply", OPERATOR, Map.of("a", toggle("a", true)), Map.of(), null, Map.of())));
    }
  }

  @Test
  void aStoreThatCannotBeReopenedForWritingServesReadsAndTriesAgainWithTheNextWrite() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flag(toggle("a", true)));
      store.write(StoreFixtures.devices("dev-1", Map.of("model", "x")));
      store.failNextWriteAfterWriting();
      assertThrows(StoreException.class, () -> store.write(flag(toggle("b", true))));
      store.failNextReopen();

      StoreException refused = assertThrows(StoreException.class, () -> store.write(flag(toggle("c", true))));

      assertTrue(refused.getMessage().contains("could not be reopened to settle a failed write (the test said this reopen failed)"),
          refused.getMessage());
      assertTrue(refused.getMessage().contains("it serves reads meanwhile, and the next write tries again"), refused.getMessage());
      assertTrue(store.writeFailed());
      // Opened for reading, it holds what is on disk: the failed write had reached it.
      assertEquals(3, store.revision());
      assertEquals(Set.of("a", "b"), store.flags().document().flags().keySet());
      assertEquals(Map.of("model", "x"), store.deviceAttributes("dev-1"));
      assertEquals(3, store.history(10).size());

      store.recover();
      assertFalse(store.writeFailed());
      assertEquals(4, store.write(flag(toggle("c", true))));
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(4, store.revision());
      assertEquals(Set.of("a", "b", "c"), store.flags().document().flags().keySet());
    }
  }

  @Test
  void recoverWithoutAFailedWriteDoesNothing() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flag(toggle("a", true)));
      store.recover();
      assertFalse(store.writeFailed());
      assertEquals(2, store.write(flag(toggle("b", true))));
    }
  }

  @Test
  void causesAreNamedForWhatTheyMean() {
    assertEquals("the disk is full (IO error: No space left on device: While appending to file: /d/000004.log: No space left on"
        + " device)", StoreOpening.cause("IO error: No space left on device: While appending to file: /d/000004.log: No space left"
        + " on device"));
    assertEquals("the file system is read-only (IO error: While open a file for appending: /d/000009.log: Read-only file system)",
        StoreOpening.cause("IO error: While open a file for appending: /d/000009.log: Read-only file system"));
    assertEquals("the disk reports an I/O error (IO error: While fsync: a file: Input/output error)",
        StoreOpening.cause("IO error: While fsync: a file: Input/output error"));
    assertEquals("Corruption: bad block", StoreOpening.cause("Corruption: bad block"));
  }
}
