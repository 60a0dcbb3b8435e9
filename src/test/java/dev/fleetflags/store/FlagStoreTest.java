package dev.fleetflags.store;

import static dev.fleetflags.store.StoreFixtures.NOW;
import static dev.fleetflags.store.StoreFixtures.OPERATOR;
import static dev.fleetflags.store.StoreFixtures.counter;
import static dev.fleetflags.store.StoreFixtures.deleteFlag;
import static dev.fleetflags.store.StoreFixtures.devices;
import static dev.fleetflags.store.StoreFixtures.flag;
import static dev.fleetflags.store.StoreFixtures.flags;
import static dev.fleetflags.store.StoreFixtures.json;
import static dev.fleetflags.store.StoreFixtures.object;
import static dev.fleetflags.store.StoreFixtures.settings;
import static dev.fleetflags.store.StoreFixtures.toggle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocument;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading and writing: revisions, history, the registry cache, and durability across reopen. */
class FlagStoreTest {

  @TempDir Path dir;

  private static final FlagDefinition BETA = flag("beta", """
      {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
       "targeting": {"if": [{"$ref": "is-th100"}, "on", "off"]}, "metadata": {"owner": "fw-team"}}""");
  private static final FlagDefinition COLOR = flag("color", """
      {"state": "DISABLED", "variants": {"red": {"r": 255, "g": 0.5}, "blue": {"b": [1, 2]}}}""");

  private static StoreWrite everything() {
    Map<String, @Nullable Object> evaluators = new LinkedHashMap<>();
    evaluators.put("is-th100", json("{\"==\": [{\"var\": \"model\"}, \"th-100\"]}"));
    Map<String, @Nullable Map<String, Object>> devices = new LinkedHashMap<>();
    devices.put("dev-1", object("{\"model\": \"th-100\", \"fw\": 3, \"tags\": [\"a\", \"b\"]}"));
    return new StoreWrite(null, "replace", OPERATOR, Map.of("beta", BETA, "color", COLOR), evaluators,
        object("{\"version\": \"2025-06\", \"flagSetId\": \"fleet\"}"), devices);
  }

  private static void assertHoldsEverything(FlagStore store) {
    StoredFlags stored = store.flags();
    assertEquals(1, stored.revision());
    assertEquals(1, store.revision());
    FlagDocument document = stored.document();
    assertEquals(Map.of("beta", BETA, "color", COLOR), document.flags());
    assertEquals(List.of("beta", "color"), List.copyOf(document.flags().keySet()), "flags are ordered by key");
    assertEquals(Map.of("is-th100", json("{\"==\": [{\"var\": \"model\"}, \"th-100\"]}")), document.evaluators());
    assertEquals(object("{\"version\": \"2025-06\", \"flagSetId\": \"fleet\"}"), document.metadata());
    assertEquals(Map.of("beta", 1L, "color", 1L), stored.flagRevisions());
    assertEquals(object("{\"model\": \"th-100\", \"fw\": 3, \"tags\": [\"a\", \"b\"]}"), store.deviceAttributes("dev-1"));
    assertEquals(Map.of(), store.deviceAttributes("dev-2"));
  }

  @Test
  void aNewStoreIsEmptyAtRevisionZero() throws Exception {
    try (FlagStore store = FlagStore.open(dir.resolve("not/yet/there"), settings())) {
      assertEquals(0, store.revision());
      assertEquals(FlagDocument.EMPTY, store.flags().document());
      assertEquals(Map.of(), store.flags().flagRevisions());
      assertEquals(List.of(), store.history(10));
    }
  }

  @Test
  void writesFlagsEvaluatorsMetadataAndDevicesAndReadsThemBack() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(1, store.write(everything()));
      assertHoldsEverything(store);
    }
  }

  @Test
  void aReopenedStoreHoldsEverythingThatWasWritten() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(everything());
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertHoldsEverything(store);
      assertEquals(1, store.history(10).size());
      assertEquals(2, store.write(flag(toggle("late", true))), "the revision carries on after a reopen");
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(2, store.revision());
      assertEquals(2L, store.flags().flagRevisions().get("late"));
      assertEquals(1L, store.flags().flagRevisions().get("beta"));
    }
  }

  @Test
  void eachWriteIncreasesTheRevisionAndEachFlagKeepsTheRevisionItLastChangedAt() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(1, store.write(flag(toggle("a", true))));
      assertEquals(2, store.write(flag(toggle("b", true))));
      assertEquals(3, store.write(flag(toggle("a", false))));
      assertEquals(4, store.write(devices("dev-1", Map.of("model", "x"))));
      assertEquals(4, store.revision());
      assertEquals(Map.of("a", 3L, "b", 2L), store.flags().flagRevisions());
      assertEquals("off", store.flags().document().flags().get("a").defaultVariant());
    }
  }

  @Test
  void deletesRemoveFlagsEvaluatorsAndDevices() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(everything());
      Map<String, @Nullable FlagDefinition> flags = new LinkedHashMap<>();
      flags.put("beta", null);
      Map<String, @Nullable Object> evaluators = new LinkedHashMap<>();
      evaluators.put("is-th100", null);
      Map<String, @Nullable Map<String, Object>> devices = new LinkedHashMap<>();
      devices.put("dev-1", null);
      assertEquals(2, store.write(new StoreWrite(null, "delete", OPERATOR, flags, evaluators, Map.of(), devices)));

      assertEquals(Map.of("color", COLOR), store.flags().document().flags());
      assertEquals(Map.of("color", 1L), store.flags().flagRevisions());
      assertEquals(Map.of(), store.flags().document().evaluators());
      assertEquals(Map.of(), store.flags().document().metadata());
      assertEquals(Map.of(), store.deviceAttributes("dev-1"));
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(Map.of("color", COLOR), store.flags().document().flags());
      assertEquals(Map.of(), store.flags().document().evaluators());
      assertEquals(Map.of(), store.flags().document().metadata());
      assertEquals(Map.of(), store.deviceAttributes("dev-1"));
    }
  }

  @Test
  void aWriteAgainstAStaleRevisionIsRefusedAndWritesNothing() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flag(toggle("a", true)));
      store.write(flag(toggle("a", false)));
      StoreWrite stale = new StoreWrite(1L, "apply", OPERATOR, Map.of("a", toggle("a", true), "b", toggle("b", true)),
          Map.of(), object("{\"x\": 1}"), Map.of("dev-1", Map.of("model", "x")));

      RevisionConflictException conflict = assertThrows(RevisionConflictException.class, () -> store.write(stale));

      assertEquals(2, conflict.currentRevision());
      assertEquals(1, conflict.expectedRevision());
      assertEquals(2, store.revision());
      assertEquals(Map.of("a", toggle("a", false)), store.flags().document().flags());
      assertEquals(Map.of(), store.flags().document().metadata());
      assertEquals(Map.of(), store.deviceAttributes("dev-1"));
      assertEquals(2, store.history(10).size());

      StoreWrite current = new StoreWrite(2L, "apply", OPERATOR, Map.of("b", toggle("b", true)), Map.of(), null, Map.of());
      assertEquals(3, store.write(current), "a write against the current revision is accepted");
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(3, store.revision());
      assertEquals(Map.of(), store.deviceAttributes("dev-1"));
      assertEquals(Map.of(), store.flags().document().metadata());
    }
  }

  @Test
  void historyRecordsWhoWhenAndWhatBeforeAndAfter() throws Exception {
    List<HistoryEntry> written;
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flag(toggle("a", true)));
      store.write(new StoreWrite(null, "apply", new Actor("ci-bot", null), Map.of("a", toggle("a", false)), Map.of(),
          object("{\"v\": 2}"), Map.of()));
      store.write(deleteFlag("a"));
      store.write(devices("dev-1", Map.of("model", "x")));
      store.write(devices("dev-1", null));

      List<HistoryEntry> history = store.history(10);
      assertEquals(List.of(5L, 4L, 3L, 2L, 1L), history.stream().map(HistoryEntry::revision).toList());
      Object on = toggle("a", true).toJson();
      Object off = toggle("a", false).toJson();

      HistoryEntry created = history.get(4);
      assertEquals("apply", created.action());
      assertEquals(OPERATOR, created.actor());
      assertEquals(NOW.toEpochMilli(), created.timestampMillis());
      assertEquals(List.of(new Change("flag", "a", null, on)), created.changes());

      HistoryEntry updated = history.get(3);
      assertEquals(new Actor("ci-bot", null), updated.actor());
      assertEquals(List.of(new Change("flag", "a", on, off), new Change("metadata", "document", Map.of(), object("{\"v\": 2}"))),
          updated.changes());

      HistoryEntry deleted = history.get(2);
      assertEquals("delete", deleted.action());
      assertEquals(List.of(new Change("flag", "a", off, null)), deleted.changes());

      assertEquals(List.of(new Change("device", "dev-1", null, Map.of("model", "x"))), history.get(1).changes());
      assertEquals(List.of(new Change("device", "dev-1", Map.of("model", "x"), null)), history.get(0).changes());

      assertEquals(history.subList(0, 2), store.history(2));
      assertEquals(List.of(), store.history(0));
      written = history;
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(written, store.history(10));
    }
  }

  @Test
  void historyKeepsOnlyTheNewestEntriesUpToItsLimit() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings(100, 3))) {
      for (long i = 1; i <= 7; i++) {
        store.write(flag(counter("n", i)));
        assertEquals(Math.min(i, 3), store.history(100).size());
      }
      assertEquals(List.of(7L, 6L, 5L), store.history(100).stream().map(HistoryEntry::revision).toList());
    }
    try (FlagStore store = FlagStore.open(dir, settings(100, 3))) {
      assertEquals(List.of(7L, 6L, 5L), store.history(100).stream().map(HistoryEntry::revision).toList());
    }
    // A lower limit after a restart prunes everything beyond it with the next write.
    try (FlagStore store = FlagStore.open(dir, settings(100, 1))) {
      assertEquals(3, store.history(100).size(), "pruning happens in writes, not on open");
      store.write(flag(counter("n", 8)));
      assertEquals(List.of(8L), store.history(100).stream().map(HistoryEntry::revision).toList());
    }
    try (FlagStore store = FlagStore.open(dir, settings(100, 10))) {
      assertEquals(List.of(8L), store.history(100).stream().map(HistoryEntry::revision).toList());
      store.write(flag(counter("n", 9)));
      assertEquals(List.of(9L, 8L), store.history(100).stream().map(HistoryEntry::revision).toList());
    }
  }

  @Test
  void aRegistryReadAfterAWriteSeesTheWrite() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(Map.of(), store.deviceAttributes("dev-1"), "absent devices are cached too");
      store.write(devices("dev-1", Map.of("model", "x")));
      assertEquals(Map.of("model", "x"), store.deviceAttributes("dev-1"));
      store.write(devices("dev-1", Map.of("model", "y", "fw", 4L)));
      assertEquals(Map.of("model", "y", "fw", 4L), store.deviceAttributes("dev-1"));
      store.write(devices("dev-1", null));
      assertEquals(Map.of(), store.deviceAttributes("dev-1"));
    }
  }

  @Test
  void theRegistryCacheIsBoundedBySize() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings(10, 100))) {
      Map<String, @Nullable Map<String, Object>> devices = new LinkedHashMap<>();
      for (int i = 0; i < 100; i++) {
        devices.put("dev-" + i, Map.of("n", (long) i));
      }
      store.write(new StoreWrite(null, "devices/attributes", OPERATOR, Map.of(), Map.of(), null, devices));
      assertTrue(store.cachedDevices() <= 10, "cache holds " + store.cachedDevices() + " devices");
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 100; i++) {
          assertEquals(Map.of("n", (long) i), store.deviceAttributes("dev-" + i), "read through the cache");
          assertEquals(Map.of(), store.deviceAttributes("absent-" + i));
        }
      }
      assertTrue(store.cachedDevices() <= 10, "cache holds " + store.cachedDevices() + " devices");
    }
  }

  @Test
  void devicesWithoutARegistryRecordTakeNoCacheEntry() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings(10, 100))) {
      for (int i = 0; i < 5; i++) {
        assertEquals(Map.of(), store.deviceAttributes("absent-" + i));
      }
      assertEquals(0, store.cachedDevices());
      store.write(devices("dev-1", Map.of("model", "y")));
      assertEquals(Map.of("model", "y"), store.deviceAttributes("dev-1"));
      assertEquals(1, store.cachedDevices());
      store.write(devices("dev-1", null));
      assertEquals(0, store.cachedDevices(), "a removed record leaves no entry");
      assertEquals(Map.of(), store.deviceAttributes("dev-1"));
      assertEquals(0, store.cachedDevices());
    }
  }

  @Test
  void closeIsIdempotentAndAClosedStoreRefusesUse() throws Exception {
    FlagStore store = FlagStore.open(dir, settings());
    store.write(flag(toggle("a", true)));
    store.close();
    store.close();
    assertThrows(IllegalStateException.class, () -> store.write(flag(toggle("b", true))));
    assertThrows(IllegalStateException.class, () -> store.history(1));
    assertThrows(IllegalStateException.class, () -> store.deviceAttributes("dev-1"));
    assertEquals(1, store.revision(), "what was last read stays readable");
    try (FlagStore reopened = FlagStore.open(dir, settings())) {
      assertEquals(1, reopened.revision());
    }
  }

  @Test
  void writesThatAreMalformedAreRefusedBeforeTouchingTheStore() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertThrows(IllegalArgumentException.class,
          () -> store.write(new StoreWrite(null, "apply", OPERATOR, Map.of(), Map.of(), null, Map.of())));
      assertThrows(IllegalArgumentException.class, () -> store.write(flags(Map.of("a", toggle("b", true)))));
      assertEquals(0, store.revision());
      assertEquals(List.of(), store.history(10));
    }
  }

  @Test
  void concurrentReadersSeeEitherTheStateBeforeAWriteOrAfterIt() throws Exception {
    int writes = 100;
    try (FlagStore store = FlagStore.open(dir, settings(1_000, 1_000))) {
      List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
      Runnable reader = () -> {
        long lastRevision = 0;
        long lastDevice = -1;
        while (!done.get()) {
          StoredFlags seen = store.flags();
          Map<String, FlagDefinition> flags = seen.document().flags();
          long revision = seen.revision();
          if (revision < lastRevision) {
            failures.add("revision went back from " + lastRevision + " to " + revision);
          }
          lastRevision = revision;
          if (revision > 0) {
            // Every write sets both flags to its own revision: one state never mixes two writes.
            Object a = flags.get("a").variants().get("v");
            Object b = flags.get("b").variants().get("v");
            if (!a.equals(revision) || !b.equals(revision)
                || seen.flagRevisions().get("a") != revision || seen.flagRevisions().get("b") != revision) {
              failures.add("revision " + revision + " with a=" + a + ", b=" + b + ", " + seen.flagRevisions());
            }
          }
          Object n = store.deviceAttributes("dev").get("n");
          long device = n == null ? -1 : (Long) n;
          if (device < lastDevice) {
            failures.add("device attribute went back from " + lastDevice + " to " + device);
          }
          lastDevice = device;
          List<HistoryEntry> newest = store.history(1);
          if (!newest.isEmpty() && newest.get(0).revision() < revision) {
            failures.add("history at " + newest.get(0).revision() + " behind the flags at " + revision);
          }
        }
      };
      List<Thread> readers = List.of(new Thread(reader), new Thread(reader));
      readers.forEach(Thread::start);
      try {
        for (long i = 1; i <= writes; i++) {
          store.write(new StoreWrite(i - 1, "apply", OPERATOR, Map.of("a", counter("a", i), "b", counter("b", i)), Map.of(),
              null, Map.of("dev", Map.of("n", i))));
        }
      } finally {
        done.set(true);
        for (Thread t : readers) {
          t.join();
        }
      }
      assertEquals(List.of(), failures);
      assertEquals(writes, store.revision());
    }
  }

  @Test
  void unicodeKeysAndValuesAndNumbersAtTheEdgesSurviveAReopenByteForByte() throws Exception {
    Map<String, @Nullable FlagDefinition> written = new LinkedHashMap<>();
    for (FlagDefinition f : List.of(
        flag("ota-\u00fc-\uD83D\uDE80", "{\"state\": \"ENABLED\", \"variants\": {\"\u00e9t\u00e9\": \"\u65e5\u672c\\u0000\\n\\u2028\uD83D\uDE80\"},"
            + " \"defaultVariant\": \"\u00e9t\u00e9\", \"metadata\": {\"\u00f6wner\": \"\u00e5\"}}"),
        flag("\u65e5\u672c\u8a9e", "{\"state\": \"ENABLED\", \"variants\": {\"max\": 9223372036854775807, \"min\": -9223372036854775808},"
            + " \"defaultVariant\": \"min\"}"),
        flag("doubles", "{\"state\": \"ENABLED\", \"variants\": {\"a\": 4.9e-324, \"b\": -0.0, \"c\": 1.7976931348623157e308,"
            + " \"d\": 0.1}, \"defaultVariant\": \"b\"}"),
        flag("object", "{\"state\": \"ENABLED\", \"variants\": {\"o\": {\"\uD83D\uDE80\": [1, 2.5, \"\u00fc\"], \"a\": null}},"
            + " \"defaultVariant\": \"o\"}"))) {
      written.put(f.key(), f);
    }
    Map<String, String> bytes = new LinkedHashMap<>();
    Map<String, Integer> hashes = new LinkedHashMap<>();
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flags(written));
      store.write(devices("\uD83D\uDE80-dev", Map.of("r\u00e9gion", "\u00e9u", "fw", Long.MIN_VALUE)));
      for (FlagDefinition f : store.flags().document().flags().values()) {
        bytes.put(f.key(), new String(dev.fleetflags.rules.Json.canonicalBytes(f.toJson()), java.nio.charset.StandardCharsets.UTF_8));
        hashes.put(f.key(), entryHash(f));
      }
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      Map<String, FlagDefinition> read = store.flags().document().flags();
      assertEquals(written.keySet(), read.keySet());
      for (FlagDefinition f : read.values()) {
        assertEquals(written.get(f.key()), f);
        assertEquals(bytes.get(f.key()), new String(dev.fleetflags.rules.Json.canonicalBytes(f.toJson()),
            java.nio.charset.StandardCharsets.UTF_8), "the same bytes");
        assertEquals(hashes.get(f.key()), entryHash(f), "the same state hash entry");
      }
      assertEquals(-0.0, read.get("doubles").variants().get("b"));
      assertEquals(Map.of("r\u00e9gion", "\u00e9u", "fw", Long.MIN_VALUE), store.deviceAttributes("\uD83D\uDE80-dev"));
    }
  }

  /** The state hash entry of a flag's default variant, as a device would hash it. */
  private static int entryHash(FlagDefinition f) {
    Object value = f.variants().get(f.defaultVariant());
    return dev.fleetflags.eval.StateHash.entryHash(f.key(), f.type(), value);
  }

  @Test
  void textThatIsNotUnicodeIsRefusedRatherThanStoredAsAnotherText() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
          () -> store.write(flag(new FlagDefinition("ota\ud800", toggle("x", true).state(), toggle("x", true).variants(), "on", null,
              Map.of()))));
      assertTrue(key.getMessage().contains("not valid Unicode"), key.getMessage());
      assertThrows(IllegalArgumentException.class, () -> store.write(devices("dev-1", Map.of("model", "x\udc00"))));
      assertThrows(IllegalArgumentException.class, () -> store.write(devices("dev\ud800", Map.of("model", "x"))));
      assertEquals(0, store.revision());
      assertEquals(List.of(), store.history(10));
      assertEquals(1, store.write(flag(toggle("ota?", true))), "the store takes writes after a refused one");
    }
  }

  @Test
  void aStoredKeyThatIsNotUtf8IsDamageNotTextToGuessAt() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flag(toggle("a", true)));
    }
    try (org.rocksdb.DBOptions options = new org.rocksdb.DBOptions();
        org.rocksdb.ColumnFamilyOptions cf = new org.rocksdb.ColumnFamilyOptions()) {
      List<org.rocksdb.ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (String name : FlagStore.COLUMN_FAMILIES) {
        descriptors.add(new org.rocksdb.ColumnFamilyDescriptor(name.getBytes(java.nio.charset.StandardCharsets.UTF_8), cf));
      }
      List<org.rocksdb.ColumnFamilyHandle> handles = new ArrayList<>();
      try (org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(options, dir.toString(), descriptors, handles)) {
        byte[] value = db.get(handles.get(2), FlagStore.bytes("a"));
        db.put(handles.get(2), new byte[] {'o', (byte) 0xC0, (byte) 0x80}, value);
        handles.forEach(org.rocksdb.ColumnFamilyHandle::close);
      }
    }
    StoreException e = assertThrows(StoreException.class, () -> FlagStore.open(dir, settings()));
    assertTrue(e.getMessage().contains("is damaged: flags '6fc080' holds a key that is not UTF-8"), e.getMessage());
  }

  @Test
  void integersAndDoublesKeepTheirJsonTypes() throws Exception {
    FlagDefinition numbers = flag("numbers", "{\"state\": \"ENABLED\", \"variants\": {\"a\": 1.0, \"b\": 2.5}, \"defaultVariant\": \"a\"}");
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flag(numbers));
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(numbers, store.flags().document().flags().get("numbers"));
      assertNull(store.flags().document().flags().get("absent"));
    }
  }
}
