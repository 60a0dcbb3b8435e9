package dev.fleetflags.store;

import static dev.fleetflags.store.StoreFixtures.flag;
import static dev.fleetflags.store.StoreFixtures.settings;
import static dev.fleetflags.store.StoreFixtures.toggle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

/**
 * The store's format version: a store written in format 1 by an earlier FleetFlags is read by this
 * one, and a store of a format this one does not know is refused with a clear message. The format-1
 * store is written here byte for byte with RocksDB alone, as format 1 lays it out (below), not with
 * {@link FlagStore}: when the layout changes, this test still holds what old stores look like.
 *
 * <p>Format 1: column families {@code default} (empty), {@code meta}, {@code flags}, {@code
 * evaluators}, {@code devices}, {@code history}, {@code delivered} (empty). {@code meta} holds
 * {@code format} and {@code revision} (8-byte big-endian) and {@code metadata} (a JSON object);
 * {@code flags} holds per UTF-8 key {@code {"revision": n, "definition": {...}}}; {@code
 * evaluators} per name its rule; {@code devices} per id a JSON object of attributes; {@code
 * history} per 8-byte big-endian revision {@code {"revision", "time", "action", "clientId",
 * "username", "changes": [{"kind", "key", "before", "after"}]}}. All JSON is UTF-8.
 */
class StoreFormatTest {

  @TempDir Path dir;

  @Test
  void aStoreWrittenInFormatOneIsReadAndWrittenOn() throws Exception {
    writeFormatOne();

    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(3, store.revision());
      assertEquals(Set.of("ota-v2", "legacy-big", "ota?"), store.flags().document().flags().keySet(),
          "flags that earlier versions let in and this one refuses (a NUL in the key, a null variant) are left out, not fatal");
      assertEquals(flag("ota-v2", """
          {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
           "targeting": {"if": [{"$ref": "is-th100"}, "on", "off"]}}"""), store.flags().document().flags().get("ota-v2"));
      assertEquals(9.223372036854776E18, store.flags().document().flags().get("legacy-big").variants().get("v"),
          "2^63 as earlier versions stored it: a double");
      assertEquals(Map.of("ota-v2", 2L, "legacy-big", 3L, "ota?", 3L), store.flags().flagRevisions());
      assertEquals(Set.of("is-th100"), store.flags().document().evaluators().keySet());
      assertEquals(Map.of("flagSetId", "fleet"), store.flags().document().metadata());
      assertEquals(Map.of("model", "th-100", "fw", 3L), store.deviceAttributes("dev-1"));
      List<HistoryEntry> history = store.history(10);
      assertEquals(List.of(3L, 2L, 1L), history.stream().map(HistoryEntry::revision).toList());
      assertEquals(new Actor("ops-1", "alice"), history.get(1).actor());
      assertEquals(List.of(new Change("flag", "ota-v2", null, store.flags().document().flags().get("ota-v2").toJson())),
          history.get(1).changes());

      assertEquals(4, store.write(flag(toggle("new", true))));
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(4, store.revision());
      assertEquals(Set.of("ota-v2", "legacy-big", "ota?", "new"), store.flags().document().flags().keySet());
    }
    try (Raw raw = new Raw()) {
      assertEquals(1, ByteBuffer.wrap(raw.db.get(raw.handles.get(1), bytes("format"))).getLong(),
          "reading and writing an older store does not change its format");
    }
  }

  @Test
  void aStoreOfAFormatThisVersionCannotReadIsRefusedAndLeftAsItIs() throws Exception {
    writeFormatOne();
    try (Raw raw = new Raw()) {
      raw.db.put(raw.handles.get(1), bytes("format"), longBytes(FlagStore.FORMAT_VERSION + 1));
    }
    Map<String, String> before = StoreFixtures.files(dir);

    StoreException e = assertThrows(StoreException.class, () -> FlagStore.open(dir, settings()));

    assertTrue(e.getMessage().contains("it was written by a newer FleetFlags (store format " + (FlagStore.FORMAT_VERSION + 1)
        + "; this version reads format " + FlagStore.FORMAT_VERSION + "); it was left as it is: upgrade the extension"), e.getMessage());
    assertEquals(before, StoreFixtures.files(dir));
  }

  /** Three revisions as a format-1 FleetFlags wrote them, with what earlier versions let in. */
  private void writeFormatOne() throws Exception {
    try (Raw raw = new Raw()) {
      ColumnFamilyHandle meta = raw.handles.get(1);
      ColumnFamilyHandle flags = raw.handles.get(2);
      ColumnFamilyHandle evaluators = raw.handles.get(3);
      ColumnFamilyHandle devices = raw.handles.get(4);
      ColumnFamilyHandle history = raw.handles.get(5);
      raw.db.put(meta, bytes("format"), longBytes(1));
      raw.db.put(meta, bytes("revision"), longBytes(3));
      raw.db.put(meta, bytes("metadata"), bytes("{\"flagSetId\":\"fleet\"}"));
      raw.db.put(evaluators, bytes("is-th100"), bytes("{\"==\":[{\"var\":\"model\"},\"th-100\"]}"));
      String ota = "{\"state\":\"ENABLED\",\"variants\":{\"on\":true,\"off\":false},\"defaultVariant\":\"off\","
          + "\"targeting\":{\"if\":[{\"$ref\":\"is-th100\"},\"on\",\"off\"]}}";
      raw.db.put(flags, bytes("ota-v2"), bytes("{\"revision\":2,\"definition\":" + ota + "}"));
      // 2^63, which earlier versions read as a double.
      raw.db.put(flags, bytes("legacy-big"), bytes("{\"revision\":3,\"definition\":{\"state\":\"ENABLED\","
          + "\"variants\":{\"v\":9.223372036854776E18},\"defaultVariant\":\"v\"}}"));
      // 1e400, which earlier versions read as infinity and wrote as null.
      raw.db.put(flags, bytes("legacy-inf"), bytes("{\"revision\":3,\"definition\":{\"state\":\"ENABLED\","
          + "\"variants\":{\"v\":null},\"defaultVariant\":\"v\"}}"));
      // An overlong NUL (C0 80) in a key, which earlier versions read as NUL; and "ota\ud800",
      // which they wrote as "ota?".
      raw.db.put(flags, bytes("ota\u0000"), bytes("{\"revision\":3,\"definition\":{\"state\":\"ENABLED\","
          + "\"variants\":{\"on\":true},\"defaultVariant\":\"on\"}}"));
      raw.db.put(flags, bytes("ota?"), bytes("{\"revision\":3,\"definition\":{\"state\":\"ENABLED\","
          + "\"variants\":{\"on\":true},\"defaultVariant\":\"on\"}}"));
      raw.db.put(devices, bytes("dev-1"), bytes("{\"model\":\"th-100\",\"fw\":3}"));
      raw.db.put(history, longBytes(1), bytes("{\"revision\":1,\"time\":1748779200000,\"action\":\"devices/attributes\","
          + "\"clientId\":\"ops-1\",\"username\":\"alice\",\"changes\":[{\"kind\":\"device\",\"key\":\"dev-1\",\"before\":null,"
          + "\"after\":{\"model\":\"th-100\",\"fw\":3}}]}"));
      raw.db.put(history, longBytes(2), bytes("{\"revision\":2,\"time\":1748779201000,\"action\":\"apply\",\"clientId\":\"ops-1\","
          + "\"username\":\"alice\",\"changes\":[{\"kind\":\"flag\",\"key\":\"ota-v2\",\"before\":null,\"after\":" + ota + "}]}"));
      raw.db.put(history, longBytes(3), bytes("{\"revision\":3,\"time\":1748779202000,\"action\":\"apply\",\"clientId\":\"ops-2\","
          + "\"username\":null,\"changes\":[]}"));
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] longBytes(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  /** RocksDB on the folder with format 1's column families, created if missing. */
  private final class Raw implements AutoCloseable {
    final DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    final ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
    final List<ColumnFamilyHandle> handles = new ArrayList<>();
    final RocksDB db;

    Raw() throws Exception {
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (String name : List.of("default", "meta", "flags", "evaluators", "devices", "history", "delivered")) {
        descriptors.add(new ColumnFamilyDescriptor(bytes(name), cfOptions));
      }
      db = RocksDB.open(options, dir.toString(), descriptors, handles);
    }

    @Override
    public void close() {
      handles.forEach(ColumnFamilyHandle::close);
      db.close();
      cfOptions.close();
      options.close();
    }
  }
}
