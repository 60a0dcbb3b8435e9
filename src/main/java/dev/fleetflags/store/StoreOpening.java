package dev.fleetflags.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;

/**
 * Opening a store without ever changing one that cannot be opened. Checks run from cheapest to
 * dearest, and everything that could fail on a damaged or foreign store (reading CURRENT, the
 * MANIFEST, every table file, the WAL, the format version) is first done by a read-only open, which
 * writes nothing. Only then is the store opened for writing.
 */
final class StoreOpening {

  private final Path dir;
  private final boolean isNew;
  private final RocksOptions options;

  /** Checks the folder (creating it if missing) and loads RocksDB. */
  StoreOpening(Path dir) throws StoreException {
    this(dir, true);
  }

  /**
   * Checks the folder and loads RocksDB; {@code forWriting} false checks only what reading needs
   * (a store reopened after a failed write is read while the disk refuses writes).
   */
  StoreOpening(Path dir, boolean forWriting) throws StoreException {
    this.dir = dir;
    loadLibrary();
    prepareFolder(forWriting);
    isNew = !Files.exists(dir.resolve("CURRENT"));
    if (isNew) {
      refuseRemains();
    }
    options = new RocksOptions();
  }

  boolean isNew() {
    return isNew;
  }

  RocksOptions options() {
    return options;
  }

  /** Opens the store for writing; {@code handles} receives one handle per column family. */
  RocksDB open(List<ColumnFamilyHandle> handles) throws StoreException {
    RocksDBException deferred = null;
    if (!isNew) {
      deferred = probe();
    }
    options.db.setCreateIfMissing(isNew).setCreateMissingColumnFamilies(isNew).setErrorIfExists(isNew);
    try {
      return RocksDB.open(options.db, dir.toString(), descriptors(FlagStore.COLUMN_FAMILIES), handles);
    } catch (RocksDBException e) {
      // A lock held by another process is the real reason even when the probe failed first.
      throw failure(isLock(e) || deferred == null ? e : deferred);
    }
  }

  /** Opens the store for reading only; {@code handles} receives one handle per column family. */
  RocksDB openReadOnly(List<ColumnFamilyHandle> handles) throws StoreException {
    try {
      return RocksDB.openReadOnly(options.db, dir.toString(), descriptors(FlagStore.COLUMN_FAMILIES), handles);
    } catch (RocksDBException e) {
      throw failure(e);
    }
  }

  /**
   * Reads the whole store without writing: column families, format version, table files, WAL.
   * Returns a failure that may come from another process writing the store as it is read (so
   * the read-write open decides whether the store is in fact locked); throws the definite ones.
   */
  private @Nullable RocksDBException probe() throws StoreException {
    List<String> found = new ArrayList<>();
    try (Options listing = new Options()) {
      for (byte[] name : RocksDB.listColumnFamilies(listing, dir.toString())) {
        found.add(new String(name, StandardCharsets.UTF_8));
      }
    } catch (RocksDBException e) {
      if (isCorruption(e)) {
        throw failure(e);
      }
      return e;
    }
    // Listing reads the MANIFEST leniently (a damaged one lists too few families), so the names
    // are judged only once the read-only open, which checks everything, has succeeded.
    String defaultFamily = FlagStore.COLUMN_FAMILIES.get(0);
    if (!found.contains(defaultFamily)) {
      found.add(0, defaultFamily);
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (RocksDB readOnly = RocksDB.openReadOnly(options.db, dir.toString(), descriptors(found), handles)) {
      try {
        checkColumnFamilies(found);
        checkFormat(readOnly, handles.get(found.indexOf(FlagStore.META)));
        // Damage inside a table's blocks shows only when they are read. What serving flags needs
        // is read now, before the read-write open rolls the MANIFEST and WAL; the registry and
        // history, which can be large, report damage when an entry is read.
        for (String family : List.of(FlagStore.META, FlagStore.FLAGS, FlagStore.EVALUATORS)) {
          readAll(readOnly, handles.get(found.indexOf(family)));
        }
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
    } catch (RocksDBException e) {
      if (isCorruption(e)) {
        throw failure(e);
      }
      return e;
    }
    return null;
  }

  private static void readAll(RocksDB db, ColumnFamilyHandle family) throws RocksDBException {
    try (RocksIterator it = db.newIterator(family)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        // Reading the blocks is the check; their checksums are verified as they load.
      }
      it.status();
    }
  }

  private void checkColumnFamilies(List<String> found) throws StoreException {
    Set<String> unknown = new TreeSet<>(found);
    FlagStore.COLUMN_FAMILIES.forEach(unknown::remove);
    Set<String> missing = new LinkedHashSet<>(FlagStore.COLUMN_FAMILIES);
    missing.removeAll(found);
    if (!unknown.isEmpty()) {
      throw new StoreException(cannot() + "it holds column families this version does not know (" + String.join(", ", unknown)
          + "): it was written by a newer FleetFlags, or it is not a FleetFlags store (does the data folder point at another"
          + " application's RocksDB?); it was left as it is: upgrade the extension or configure another data folder");
    }
    if (!missing.isEmpty()) {
      throw new StoreException(cannot() + "it is a RocksDB store but not a FleetFlags one (column families " + String.join(", ", missing)
          + " are missing; does the data folder point at another application's RocksDB, such as the broker's own?);"
          + " it was left as it is: configure a data folder of its own for FleetFlags");
    }
  }

  /**
   * Checks the store's format version. Returns true if the store has none yet and is empty: one
   * whose creation was cut short before the first write, to be initialised.
   */
  boolean checkFormat(RocksDB db, ColumnFamilyHandle meta) throws RocksDBException, StoreException {
    byte[] value = db.get(meta, FlagStore.FORMAT_KEY);
    if (value == null) {
      try (RocksIterator it = db.newIterator(meta)) {
        it.seekToFirst();
        boolean empty = !it.isValid();
        it.status();
        if (empty) {
          return true;
        }
      }
      throw new StoreException(cannot() + "it has FleetFlags' column families but no format version, so it is damaged"
          + " or was not written by FleetFlags; it was left as it is: restore it from a backup, or move it aside to start with an empty store");
    }
    long format = value.length == Long.BYTES ? ByteBuffer.wrap(value).getLong() : -1;
    if (format > FlagStore.FORMAT_VERSION) {
      throw new StoreException(cannot() + "it was written by a newer FleetFlags (store format " + format + "; this version reads format "
          + FlagStore.FORMAT_VERSION + "); it was left as it is: upgrade the extension, or configure another data folder");
    }
    if (format < 1) {
      throw new StoreException(cannot() + "its format version is unreadable, so it is damaged; it was left as it is:"
          + " restore it from a backup, or move it aside to start with an empty store");
    }
    return false;
  }

  private List<ColumnFamilyDescriptor> descriptors(List<String> names) {
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (String name : names) {
      descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), options.columnFamily));
    }
    return descriptors;
  }

  // --- before RocksDB --------------------------------------------------------------------------

  private void loadLibrary() throws StoreException {
    try {
      RocksDB.loadLibrary();
    } catch (RuntimeException | LinkageError e) {
      throw new StoreException(cannot() + "the RocksDB native library does not load (" + e
          + "); it is unpacked into java.io.tmpdir (" + System.getProperty("java.io.tmpdir")
          + "), which must be writable and not mounted noexec", e);
    }
  }

  private void prepareFolder(boolean forWriting) throws StoreException {
    if (Files.exists(dir)) {
      if (!Files.isDirectory(dir)) {
        throw new StoreException(cannot() + "it is not a folder; configure a folder for the flag store");
      }
    } else {
      try {
        Files.createDirectories(dir);
      } catch (AccessDeniedException e) {
        throw new StoreException(cannot() + "the folder does not exist and cannot be created: permission denied at "
            + e.getFile() + " for user '" + System.getProperty("user.name") + "'", e);
      } catch (IOException e) {
        throw new StoreException(cannot() + "the folder does not exist and cannot be created: " + cause(e), e);
      }
    }
    if (forWriting && readOnlyFileSystem(dir)) {
      throw new StoreException(cannot() + "the folder is on a read-only file system (" + fileSystem(dir) + "); mount it"
          + " read-write, or configure a data folder on a writable file system");
    }
    List<String> lacking = new ArrayList<>();
    if (!Files.isReadable(dir)) {
      lacking.add("read");
    }
    if (forWriting && !Files.isWritable(dir)) {
      lacking.add("write");
    }
    if (!Files.isExecutable(dir)) {
      lacking.add("open (execute)");
    }
    if (!lacking.isEmpty()) {
      throw new StoreException(cannot() + "the broker's user '" + System.getProperty("user.name") + "' may not "
          + String.join(" or ", lacking) + " the folder (" + ownership(dir) + "); give it read and write access to the"
          + " folder and the files in it");
    }
  }

  /** A folder with RocksDB's files but no CURRENT is damaged: creating a store there would delete them. */
  private void refuseRemains() throws StoreException {
    List<String> remains = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.startsWith("MANIFEST-") || name.startsWith("OPTIONS-") || name.endsWith(".sst") || name.endsWith(".log")
            || name.endsWith(".blob")) {
          remains.add(name);
        }
      }
    } catch (IOException e) {
      throw new StoreException(cannot() + "its files cannot be listed: " + cause(e), e);
    }
    if (!remains.isEmpty()) {
      remains.sort(null);
      throw new StoreException(cannot() + "it holds RocksDB files (" + String.join(", ", remains.subList(0, Math.min(5, remains.size())))
          + (remains.size() > 5 ? ", ..." : "") + ") but no CURRENT file, so it is incomplete or damaged; it was left as it is:"
          + " restore it from a backup, or move it aside to start with an empty store");
    }
  }

  // --- failures --------------------------------------------------------------------------------

  private StoreException failure(RocksDBException e) {
    String detail = describe(e);
    if (isLock(e)) {
      if (detail.contains("current process")) {
        return new StoreException(cannot() + "it is locked: this process has it open already (LOCK file held);"
            + " is the extension started twice, or another store open on this folder?", e);
      }
      return new StoreException(cannot() + "it is locked by another process (LOCK file held); is another broker using this"
          + " data folder? (" + detail + ")", e);
    }
    if (detail.contains("Read-only file system")) {
      return new StoreException(cannot() + "the file system is read-only (" + detail + "); mount it read-write, or configure"
          + " a data folder on a writable file system", e);
    }
    if (detail.contains("No space left on device")) {
      return new StoreException(cannot() + "the disk is full (" + detail + "); it was left as it is: make room and start again", e);
    }
    if (detail.contains("Permission denied")) {
      return new StoreException(cannot() + "permission denied (" + detail + "); give the broker's user '"
          + System.getProperty("user.name") + "' read and write access to the folder and every file in it", e);
    }
    if (isCorruption(e)) {
      return new StoreException(cannot() + "it is corrupt (" + detail + "); it was left as it is: restore it from a"
          + " backup, or move it aside to start with an empty store (the flags must then be applied again)", e);
    }
    Status status = e.getStatus();
    if (status != null && status.getCode() == Status.Code.NotFound
        || detail.contains("No such file")) {
      return new StoreException(cannot() + "files it refers to are missing (" + detail + "), so it is damaged; it was left"
          + " as it is: restore it from a backup, or move it aside to start with an empty store", e);
    }
    return new StoreException(cannot() + detail + "; it was left as it is", e);
  }

  private static boolean isLock(RocksDBException e) {
    String detail = describe(e);
    return detail.contains("LOCK") && (detail.contains("While lock file") || detail.contains("lock hold by"));
  }

  private static boolean isCorruption(RocksDBException e) {
    Status status = e.getStatus();
    return status != null && status.getCode() == Status.Code.Corruption || describe(e).startsWith("Corruption");
  }

  private String cannot() {
    return "cannot open the flag store at " + dir + ": ";
  }

  static String describe(RocksDBException e) {
    String message = e.getMessage();
    if (message != null && !message.isEmpty()) {
      return message;
    }
    Status status = e.getStatus();
    return status == null ? e.toString() : status.getCodeString();
  }

  /**
   * An I/O failure as an operator needs to read it: what it means (a full disk, a read-only file
   * system, ...) first, then RocksDB's or the system's own words.
   */
  static String cause(String detail) {
    for (String[] meaning : MEANINGS) {
      if (detail.contains(meaning[0])) {
        return meaning[1] + " (" + detail + ")";
      }
    }
    return detail;
  }

  static String cause(IOException e) {
    return cause(e instanceof FileSystemException fs && fs.getReason() != null ? fs.getFile() + ": " + fs.getReason()
        : e.getMessage() != null ? e.getMessage() : e.toString());
  }

  /** What the system's words for a failed file operation mean (errno ENOSPC, EROFS, EDQUOT, EIO, EACCES). */
  private static final String[][] MEANINGS = {
    {"No space left on device", "the disk is full"},
    {"Read-only file system", "the file system is read-only"},
    {"Disk quota exceeded", "the disk quota is used up"},
    {"Input/output error", "the disk reports an I/O error"},
    {"Permission denied", "permission denied"},
  };

  private static boolean readOnlyFileSystem(Path dir) {
    try {
      return Files.getFileStore(dir).isReadOnly();
    } catch (IOException | SecurityException e) {
      return false; // the permission checks that follow say what is wrong
    }
  }

  private static String fileSystem(Path dir) {
    try {
      FileStore store = Files.getFileStore(dir);
      return store.name() + ", " + store.type();
    } catch (IOException e) {
      return "unknown file system";
    }
  }

  private static String ownership(Path dir) {
    try {
      PosixFileAttributes attributes = Files.readAttributes(dir, PosixFileAttributes.class);
      return "owner " + attributes.owner().getName() + ", permissions " + PosixFilePermissions.toString(attributes.permissions());
    } catch (IOException | UnsupportedOperationException e) {
      return "ownership unknown";
    }
  }
}
