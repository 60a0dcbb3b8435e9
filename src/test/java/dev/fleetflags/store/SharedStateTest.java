package dev.fleetflags.store;

import static dev.fleetflags.store.StoreFixtures.OPERATOR;
import static dev.fleetflags.store.StoreFixtures.counter;
import static dev.fleetflags.store.StoreFixtures.devices;
import static dev.fleetflags.store.StoreFixtures.flag;
import static dev.fleetflags.store.StoreFixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store as one broker's copy of a shared state: changes applied at the shared state's
 * revisions (with gaps), the history pruned by count, every change told to the listeners in order,
 * the whole content replaced, and writes refused when validated against an older state.
 */
class SharedStateTest {

  @TempDir Path dir;

  private static HistoryEntry entry(String action) {
    return new HistoryEntry(0, 42, action, OPERATOR, List.of());
  }

  @Test
  void changesAppliedAtRevisionsWithGapsKeepTheNewestHistoryEntriesByCount() throws Exception {
    List<StoreChange> told = new ArrayList<>();
    try (FlagStore store = FlagStore.open(dir, settings(100, 3))) {
      store.addListener(told::add);
      long[] revisions = {7, 8, 20, 21, 500};
      for (int i = 0; i < revisions.length; i++) {
        store.applyCommitted(revisions[i], flag(counter("n", i)), entry("apply"));
      }
      assertEquals(500, store.revision());
      assertEquals(Map.of("n", 500L), store.flags().flagRevisions());
      assertEquals(List.of(500L, 21L, 20L), store.history(10).stream().map(HistoryEntry::revision).toList());
      assertEquals(20, store.historyPushedOut(), "one more entry pushes out the oldest, 20");
      assertEquals(List.of(7L, 8L, 20L, 21L, 500L), told.stream().map(c -> c.after().revision()).toList());
      assertEquals(7, told.get(1).before().revision());
      assertThrows(IllegalArgumentException.class, () -> store.applyCommitted(500, flag(counter("n", 9)), entry("apply")));
    }
    try (FlagStore store = FlagStore.open(dir, settings(100, 3))) {
      assertEquals(500, store.revision());
      assertEquals(List.of(500L, 21L, 20L), store.history(10).stream().map(HistoryEntry::revision).toList());
      store.applyCommitted(900, devices("dev-1", Map.of("model", "x")), entry("devices/attributes"));
      assertEquals(List.of(900L, 500L, 21L), store.history(10).stream().map(HistoryEntry::revision).toList());
    }
  }

  @Test
  void aWriteValidatedAgainstAnOlderStateIsRefused() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flag(counter("n", 1)), 0);
      RevisionConflictException stale = assertThrows(RevisionConflictException.class, () -> store.write(flag(counter("n", 2)), 0));
      assertEquals(1, stale.currentRevision());
      assertEquals(1, store.revision());
    }
  }

  @Test
  void replacingTheWholeContentTellsWhichDevicesChanged() throws Exception {
    List<StoreChange> told = new ArrayList<>();
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flag(counter("old", 1)));
      store.write(devices("kept", Map.of("model", "x")));
      store.write(devices("changed", Map.of("model", "x")));
      store.write(devices("gone", Map.of("model", "x")));
      store.addListener(told::add);
      store.replaceAll(new StoreContent(
          77,
          Map.of("new", counter("new", 5).toJson()),
          Map.of("new", 70L),
          Map.of("rule", Map.of("==", List.of(1, 1))),
          Map.of("team", "ops"),
          Map.of("kept", Map.of("model", "x"), "changed", Map.of("model", "y"), "added", Map.of("model", "z")),
          List.of(new HistoryEntry(70, 1, "apply", OPERATOR, List.of())),
          "etcd cluster 1, prefix /test"));
      assertEquals(77, store.revision());
      assertEquals(Set.of("new"), store.flags().document().flags().keySet());
      assertEquals(Map.of("new", 70L), store.flags().flagRevisions());
      assertEquals(Map.of("team", "ops"), store.flags().document().metadata());
      assertEquals(Map.of(), store.deviceAttributes("gone"));
      assertEquals(Map.of("model", "y"), store.deviceAttributes("changed"));
      assertEquals(List.of(70L), store.history(10).stream().map(HistoryEntry::revision).toList());
      assertEquals(Set.of("changed", "gone", "added"), told.get(0).changedDevices());
      assertEquals("etcd cluster 1, prefix /test", store.origin());
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(77, store.revision());
      assertEquals("etcd cluster 1, prefix /test", store.origin());
      assertEquals(Map.of("model", "z"), store.deviceAttributes("added"));
    }
  }

  @Test
  void aFailedWriteFoundOnDiskWhenSettledIsToldToTheListeners() throws Exception {
    List<StoreChange> told = new ArrayList<>();
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.addListener(told::add);
      store.write(flag(counter("n", 1)));
      store.failNextWriteAfterWriting();
      assertThrows(StoreException.class, () -> store.write(devices("dev-1", Map.of("model", "x"))));
      assertEquals(1, told.size(), "a write reported failed is not served");
      store.recover();
      assertEquals(2, store.revision());
      assertEquals(2, told.size());
      assertEquals(1, told.get(1).before().revision());
      assertEquals(2, told.get(1).after().revision());
      assertEquals(Set.of("dev-1"), told.get(1).changedDevices());
    }
  }
}
