package dev.fleetflags.store;

import static dev.fleetflags.store.StoreFixtures.OPERATOR;
import static dev.fleetflags.store.StoreFixtures.object;
import static dev.fleetflags.store.StoreFixtures.settings;
import static dev.fleetflags.store.StoreFixtures.toggle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.rules.FlagDefinition;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollouts' and scheduled changes' state in the store: written in the same batch as the flags they
 * change (one revision, one history entry naming both), read back after a reopen, removed, replaced
 * with a whole content, and left where a store of format 1 keeps its metadata.
 */
class StorePlansTest {

  @TempDir Path dir;

  @Test
  void aPlanIsWrittenWithTheFlagsItChangesAndReadBackAfterAReopen() throws Exception {
    Map<String, Object> wave = object("{\"flag\": \"ota\", \"wave\": 0, \"status\": \"baking\"}");
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(StoreFixtures.flag(toggle("ota", false)));
      long revision = store.write(new StoreWrite(null, "apply", new Actor("rollout/ota@1", "alice"),
          Map.of("ota", toggle("ota", true)), Map.of(), null, Map.of(), Map.of("rollout/ota@1", wave)));
      assertEquals(2, revision);
      assertEquals(Map.of("rollout/ota@1", wave), store.plans());
      HistoryEntry entry = store.history(1).get(0);
      assertEquals(List.of(Change.FLAG, Change.PLAN), entry.changes().stream().map(Change::kind).toList());
      assertNull(entry.changes().get(1).before());
      assertEquals(wave, entry.changes().get(1).after());
      assertEquals("rollout/ota@1", entry.actor().clientId());
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(Map.of("rollout/ota@1", wave), store.plans());
      assertEquals(toggle("ota", true), store.flags().document().flags().get("ota"));
      Map<String, @Nullable Object> removal = new LinkedHashMap<>();
      removal.put("rollout/ota@1", null);
      store.write(new StoreWrite(null, "rollout/end", OPERATOR, Map.of(), Map.of(), null, Map.of(), removal));
      assertEquals(Map.of(), store.plans());
      Change removed = store.history(1).get(0).changes().get(0);
      assertEquals(new Change(Change.PLAN, "rollout/ota@1", wave, null), removed);
      assertEquals(Map.of(), store.flags().document().metadata(), "plans are not the document's metadata");
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(Map.of(), store.plans());
      assertEquals(3, store.revision());
    }
  }

  @Test
  void aWriteOfPlansAloneIsAWriteAndChangesNoFlag() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(StoreFixtures.flag(toggle("ota", false)));
      var flagsBefore = store.flags().document();
      Map<String, Object> schedule = object("{\"at\": \"2030-01-01T00:00:00Z\"}");
      long revision = store.write(new StoreWrite(null, "schedule", OPERATOR, Map.of(), Map.of(), null, Map.of(),
          Map.of("schedule/7", schedule)));
      assertEquals(2, revision);
      assertTrue(flagsBefore == store.flags().document(), "the flags' document is the same object: nothing to recompile");
      assertEquals(List.of(new Change(Change.PLAN, "schedule/7", null, schedule)), store.changesOf(new StoreWrite(null, "x",
          OPERATOR, Map.of(), Map.of(), null, Map.of(), Map.of("schedule/7", schedule))).stream()
          .map(c -> new Change(c.kind(), c.key(), null, c.after())).toList());
    }
  }

  @Test
  void aWholeContentReplacesThePlans() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(new StoreWrite(null, "schedule", OPERATOR, Map.<String, @Nullable FlagDefinition>of(), Map.of(), null, Map.of(),
          Map.of("schedule/1", object("{\"n\": 1}"))));
      StoreContent content = new StoreContent(40, Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), List.of(), "etcd x",
          Map.of("rollout/a@3", object("{\"n\": 2}")));
      store.replaceAll(content);
      assertEquals(Map.of("rollout/a@3", object("{\"n\": 2}")), store.plans());
      assertEquals(Map.of("rollout/a@3", object("{\"n\": 2}")), store.content().plans());
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(Map.of("rollout/a@3", object("{\"n\": 2}")), store.plans());
    }
  }
}
