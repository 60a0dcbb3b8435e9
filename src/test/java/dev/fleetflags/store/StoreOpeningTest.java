package dev.fleetflags.store;

import static dev.fleetflags.store.StoreFixtures.devices;
import static dev.fleetflags.store.StoreFixtures.files;
import static dev.fleetflags.store.StoreFixtures.flag;
import static dev.fleetflags.store.StoreFixtures.settings;
import static dev.fleetflags.store.StoreFixtures.toggle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

/**
 * Stores that cannot be opened: each is refused with a message saying why, and its files are left
 * byte for byte as they were.
 */
class StoreOpeningTest {

  @TempDir Path dir;

  /** A closed store with flags, a device and history, flushed to table files. */
  private void writeStore() throws Exception {
    try (FlagStore store = FlagStore.open(dir, settings())) {
      store.write(flag(toggle("a", true)));
      store.write(devices("dev-1", Map.of("model", "x")));
    }
  }

  private StoreException refused() {
    Map<String, String> before = files(dir);
    StoreException e = assertThrows(StoreException.class, () -> FlagStore.open(dir, settings()));
    assertEquals(before, files(dir), "a store that cannot be opened is left as it was");
    assertTrue(e.getMessage().startsWith("cannot open the flag store at " + dir.toAbsolutePath() + ": "), e.getMessage());
    return e;
  }

  private static void assertMentions(StoreException e, String... phrases) {
    for (String phrase : phrases) {
      assertTrue(e.getMessage().contains(phrase), "'" + phrase + "' missing in: " + e.getMessage());
    }
  }

  @Test
  void aStoreOpenInThisProcessIsLockedAndTheOpenOneKeepsWorking() throws Exception {
    try (FlagStore first = FlagStore.open(dir, settings())) {
      first.write(flag(toggle("a", true)));

      StoreException e = assertThrows(StoreException.class, () -> FlagStore.open(dir, settings()));

      assertMentions(e, "locked", "LOCK file held");
      assertEquals(2, first.write(flag(toggle("b", true))));
      assertEquals(2, first.flags().document().flags().size());
      assertEquals(2, first.history(10).size());
    }
    try (FlagStore reopened = FlagStore.open(dir, settings())) {
      assertEquals(2, reopened.revision());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"CURRENT", "MANIFEST-", ".sst"})
  void aCorruptStoreIsRefusedAndLeftAsItWas(String damaged) throws Exception {
    writeStore();
    Path file = fileNamed(damaged);
    byte[] original = Files.readAllBytes(file);
    byte[] garbage = new byte[original.length];
    Arrays.fill(garbage, (byte) 0x5a);
    Files.write(file, garbage);

    StoreException e = refused();

    assertMentions(e, "corrupt", "left as it is", "backup");
    Files.write(file, original);
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(2, store.revision(), "with the file restored the store opens as before");
      assertEquals(Map.of("model", "x"), store.deviceAttributes("dev-1"));
    }
  }

  @Test
  void aDamagedBlockOfFlagDataIsRefusedAndLeftAsItWas() throws Exception {
    writeStore();
    // The table file of the flags column family, damaged inside its first data block: the file
    // itself is intact (sizes, footer), only reading the block finds the damage.
    Path file = tableHolding("\"definition\"");
    byte[] original = Files.readAllBytes(file);
    byte[] damaged = original.clone();
    damaged[8] ^= (byte) 0xff;
    Files.write(file, damaged);

    StoreException e = refused();

    assertMentions(e, "corrupt", "block checksum mismatch", "left as it is");
    Files.write(file, original);
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(1, store.flags().document().flags().size());
    }
  }

  @Test
  void rocksDbFilesWithoutCurrentAreRefusedRatherThanReplacedByANewStore() throws Exception {
    writeStore();
    Files.delete(dir.resolve("CURRENT"));

    StoreException e = refused();

    assertMentions(e, "no CURRENT file", ".sst", "left as it is");
  }

  @Test
  void anotherApplicationsRocksDbIsRefused() throws Exception {
    createRocksDb(List.of("default", "sessions"));

    StoreException e = refused();

    assertMentions(e, "does not know (sessions)", "not a FleetFlags store");
  }

  @Test
  void aRocksDbWithoutFleetFlagsColumnFamiliesIsRefused() throws Exception {
    createRocksDb(List.of("default"));

    StoreException e = refused();

    assertMentions(e, "not a FleetFlags one", "meta, flags, evaluators, devices, history, delivered");
  }

  @Test
  void aStoreOfANewerFormatIsRefused() throws Exception {
    writeStore();
    try (RawStore raw = new RawStore(FlagStore.COLUMN_FAMILIES)) {
      raw.db.put(raw.handles.get(1), FlagStore.FORMAT_KEY, FlagStore.longBytes(FlagStore.FORMAT_VERSION + 1));
    }

    StoreException e = refused();

    assertMentions(e, "newer FleetFlags (store format 2; this version reads format 1)", "upgrade");
  }

  @Test
  void aStoreWithDataButNoFormatVersionIsRefused() throws Exception {
    writeStore();
    try (RawStore raw = new RawStore(FlagStore.COLUMN_FAMILIES)) {
      raw.db.delete(raw.handles.get(1), FlagStore.FORMAT_KEY);
    }

    StoreException e = refused();

    assertMentions(e, "no format version");
  }

  @Test
  void aStoreWhoseCreationWasCutShortBeforeItsFirstWriteIsCompleted() throws Exception {
    new RawStore(FlagStore.COLUMN_FAMILIES).close();

    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(0, store.revision());
      assertEquals(1, store.write(flag(toggle("a", true))));
    }
    try (FlagStore store = FlagStore.open(dir, settings())) {
      assertEquals(1, store.revision());
    }
  }

  @Test
  void aFileWhereTheFolderShouldBeIsRefused() throws Exception {
    Path file = dir.resolve("store");
    Files.writeString(file, "not a folder");

    StoreException e = assertThrows(StoreException.class, () -> FlagStore.open(file, settings()));

    assertMentions(e, "it is not a folder");
    assertEquals("not a folder", Files.readString(file));
  }

  @Test
  void aFolderTheBrokerMayNotWriteIsRefused() throws Exception {
    writeStore();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assumeFalse(canWrite(dir), "permissions do not bind this user (root): nothing to test");

      StoreException e = refused();

      assertMentions(e, "may not write the folder", "r-xr-xr-x", "give it read and write access");
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void aStoreFileTheBrokerMayNotReadIsRefused() throws Exception {
    writeStore();
    Path current = dir.resolve("CURRENT");
    Files.setPosixFilePermissions(current, PosixFilePermissions.fromString("---------"));
    try {
      assumeFalse(Files.isReadable(current), "permissions do not bind this user (root): nothing to test");

      StoreException e = refused();

      assertMentions(e, "permission denied", "read and write access");
    } finally {
      Files.setPosixFilePermissions(current, PosixFilePermissions.fromString("rw-r--r--"));
    }
  }

  private static boolean canWrite(Path dir) {
    try {
      Files.delete(Files.createFile(dir.resolve("probe")));
      return true;
    } catch (AccessDeniedException e) {
      return false;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private Path fileNamed(String part) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      // The largest match: for tables, one that holds data rather than an empty column family's.
      Path file = files
          .filter(p -> p.getFileName().toString().contains(part))
          .max((x, y) -> Long.compare(x.toFile().length(), y.toFile().length()))
          .orElseThrow(() -> new AssertionError("no " + part + " file in " + files(dir).keySet()));
      assertNotEquals(0, Files.size(file));
      return file;
    }
  }

  private Path tableHolding(String text) throws IOException {
    byte[] wanted = text.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (p.getFileName().toString().endsWith(".sst") && indexOf(Files.readAllBytes(p), wanted) >= 0) {
          return p;
        }
      }
    }
    throw new AssertionError("no table file holds " + text + ": " + files(dir).keySet());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private void createRocksDb(List<String> columnFamilies) throws Exception {
    try (RawStore raw = new RawStore(columnFamilies)) {
      raw.db.put(raw.handles.get(columnFamilies.size() - 1), "k".getBytes(StandardCharsets.UTF_8), new byte[] {1});
    }
  }

  /** RocksDB opened directly, creating what is missing, to shape a store as FlagStore never would. */
  private final class RawStore implements AutoCloseable {
    final DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    final ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
    final List<ColumnFamilyHandle> handles = new ArrayList<>();
    final RocksDB db;

    RawStore(List<String> columnFamilies) throws Exception {
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (String name : columnFamilies) {
        descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), cfOptions));
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
