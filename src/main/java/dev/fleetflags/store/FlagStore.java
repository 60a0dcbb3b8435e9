package dev.fleetflags.store;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable store of flags, {@code $evaluators}, document metadata, the device registry and the
 * audit history: one RocksDB instance with a column family per concern.
 *
 * <p>Every write is one {@link WriteBatch} written with a synced WAL, so a write that returned
 * survives {@code kill -9} and power loss. Writes are serialized; each one gets a higher global
 * revision and appends a history entry in the same batch. A store on its own numbers its writes
 * one by one; a store that is one broker's copy of a shared state ({@link #commitThrough}) takes
 * the shared state's revisions, which have gaps. Reads are concurrent: the flags are held in
 * memory as an immutable {@link StoredFlags} replaced after each write, so a reader sees either the
 * state before a write or after it, never a mix. Each change is handed to the {@link
 * StoreListener}s once it is durable, in revision order.
 *
 * <p>Values are UTF-8 JSON; revisions and history keys are 8-byte big-endian so history iterates
 * in revision order.
 */
public final class FlagStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FlagStore.class);

  /** Bumped when the layout changes incompatibly; a store with a higher one is not opened. */
  static final long FORMAT_VERSION = 1;

  static final String META = "meta";
  static final String FLAGS = "flags";
  static final String EVALUATORS = "evaluators";
  static final String DEVICES = "devices";
  static final String HISTORY = "history";
  /** Reserved for delivery: per device the last delivered revision and state hash. */
  static final String DELIVERED = "delivered";

  /** Column families in handle order; RocksDB's own "default" comes first and stays empty. */
  static final List<String> COLUMN_FAMILIES =
      List.of(new String(RocksDB.DEFAULT_COLUMN_FAMILY, StandardCharsets.UTF_8), META, FLAGS, EVALUATORS, DEVICES, HISTORY, DELIVERED);

  static final byte[] FORMAT_KEY = bytes("format");
  static final byte[] REVISION_KEY = bytes("revision");
  static final byte[] METADATA_KEY = bytes("metadata");
  /** What the store is a copy of, for a broker that shares its state with others; absent otherwise. */
  static final byte[] ORIGIN_KEY = bytes("origin");
  /**
   * Rollouts and scheduled changes live in {@code meta} under this prefix and their id: few, small,
   * and read whole, and a store of format 1 keeps its layout (earlier versions read past them).
   */
  static final String PLAN_PREFIX = "plan/";
  /** Above every key of every family: keys are UTF-8 (never 0xFF) or positive 8-byte revisions. */
  private static final byte[] END_OF_KEYS = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};

  /**
   * What was written passed validation under the limits of its day; reading it back must not fail
   * because limits were lowered since, so only the hard ones apply.
   */
  private static final Limits STORED =
      new Limits(Integer.MAX_VALUE, 1_000, Integer.MAX_VALUE, Integer.MAX_VALUE, Limits.HARD_MAX_VARIANTS, Integer.MAX_VALUE);

  private final Path folder;
  private final StoreSettings settings;
  // RocksDB and its handles: replaced when the store is reopened after a failed write, under the
  // lifecycle's write lock; read under its read lock.
  private RocksDB db;
  private RocksOptions options;
  private List<ColumnFamilyHandle> handles;
  private ColumnFamilyHandle meta;
  private ColumnFamilyHandle flags;
  private ColumnFamilyHandle evaluators;
  private ColumnFamilyHandle devices;
  private ColumnFamilyHandle history;
  /**
   * Registry records read or written lately. Devices without a record have no entry (the loader
   * answers null, which Caffeine does not keep): most connected devices have none, and an entry
   * each would cost every one of them ~100 bytes to save a RocksDB miss on a connect.
   */
  private final LoadingCache<String, @Nullable Map<String, Object>> deviceCache;

  /** Held shared by everything that touches RocksDB, exclusively by close: no use after free. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  /** One write at a time: each validates the revision and reads its "before" values alone. */
  private final ReentrantLock writing = new ReentrantLock();

  private final List<StoreListener> listeners = new CopyOnWriteArrayList<>();
  private volatile @Nullable Committer committer;

  private volatile StoredFlags current;
  /** Rollouts and scheduled changes by id, as of the same write as {@link #current} (set just before it). */
  private volatile Map<String, Object> plans = Map.of();
  /** What the store is a copy of, or null; guarded by {@link #writing}. */
  private @Nullable String origin;
  /**
   * The revisions of the history entries, oldest first; guarded by {@link #writing}. Revisions may
   * have gaps (a copy of a shared state), so pruning counts entries instead of subtracting.
   */
  private final Deque<Long> historyRevisions = new ArrayDeque<>();
  /**
   * The cause of a failed write whose outcome on disk is unknown until the store is reopened; set
   * under {@link #writing}, cleared under the lifecycle's write lock.
   */
  private volatile @Nullable String failedWrite;
  /** Why RocksDB is open read-only, or not at all, after a reopen that could not write; guarded by lifecycle. */
  private @Nullable String unwritable;
  /** For tests: the next write reaches RocksDB and is then reported failed, as a disk may do. */
  private volatile boolean failNextWriteAfterWriting;
  /** For tests: the next reopen for writing fails, as on a disk that failed again after the check. */
  private volatile boolean failNextReopen;
  private boolean closed; // guarded by lifecycle

  private FlagStore(Path folder, StoreSettings settings, RocksDB db, RocksOptions options, List<ColumnFamilyHandle> handles) {
    this.folder = folder;
    this.settings = settings;
    attach(db, options, handles);
    this.deviceCache =
        Caffeine.newBuilder()
            .maximumSize(settings.registryCacheSize())
            // Eviction on the calling thread: no work on the common pool the broker shares.
            .executor(Runnable::run)
            .build(this::readDevice);
    this.current = new StoredFlags(0, FlagDocument.EMPTY, Map.of());
  }

  private void attach(RocksDB db, RocksOptions options, List<ColumnFamilyHandle> handles) {
    this.db = db;
    this.options = options;
    this.handles = List.copyOf(handles);
    this.meta = handles.get(COLUMN_FAMILIES.indexOf(META));
    this.flags = handles.get(COLUMN_FAMILIES.indexOf(FLAGS));
    this.evaluators = handles.get(COLUMN_FAMILIES.indexOf(EVALUATORS));
    this.devices = handles.get(COLUMN_FAMILIES.indexOf(DEVICES));
    this.history = handles.get(COLUMN_FAMILIES.indexOf(HISTORY));
  }

  /**
   * Opens the store in {@code folder}, creating the folder and an empty store if there is none.
   * A store that cannot be opened as it is (locked, damaged, unreadable, of a newer format, not a
   * FleetFlags store) is refused with a message saying why and what to do; its files are left as
   * they were: nothing is repaired, deleted or rewritten.
   */
  public static FlagStore open(Path folder, StoreSettings settings) throws StoreException {
    Path dir = folder.toAbsolutePath().normalize();
    StoreOpening opening = new StoreOpening(dir);
    RocksOptions options = opening.options();
    RocksDB db = null;
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      db = opening.open(handles);
      FlagStore store = new FlagStore(dir, settings, db, options, handles);
      store.load(opening);
      return store;
    } catch (StoreException | RuntimeException e) {
      handles.forEach(ColumnFamilyHandle::close);
      if (db != null) {
        db.close();
      }
      options.close();
      throw e;
    }
  }

  /** Everything needed to serve flags, as of the latest write. */
  public StoredFlags flags() {
    return current;
  }

  /**
   * Rollouts and scheduled changes by id (their state as JSON), as of the latest write: a reader
   * that sees a revision's flags sees its plans too.
   */
  public Map<String, Object> plans() {
    return plans;
  }

  /** The global revision: 0 for a store never written, then one more with every write. */
  public long revision() {
    return current.revision();
  }

  /** Tells {@code listener} of every change from now on (see {@link StoreListener}). */
  public void addListener(StoreListener listener) {
    listeners.add(listener);
  }

  /**
   * Makes this store one copy of a shared state: from now on writes are committed through {@code
   * committer} and come back through {@link #applyCommitted}.
   */
  public void commitThrough(Committer committer) {
    this.committer = committer;
  }

  /** What the store is a copy of (see {@link StoreContent#origin}), or null for a store on its own. */
  public @Nullable String origin() {
    writing.lock();
    try {
      return origin;
    } finally {
      writing.unlock();
    }
  }

  /** Like {@link #write(StoreWrite, long)} based on the current revision. */
  public long write(StoreWrite write) throws StoreException, RevisionConflictException {
    return write(write, current.revision());
  }

  /**
   * Applies one change atomically and durably: all of it is in one batch written with a synced
   * WAL, together with the new revision and its history entry. Returns the new revision. The
   * listeners have been told when this returns.
   *
   * <p>After a write failed, the next one first {@linkplain #recover() settles} it.
   *
   * @param basedOn the revision of the state the write was validated against
   * @throws RevisionConflictException if the store is no longer at {@code basedOn}, or the write
   *     expects a revision other than the current one, or a failed write it settled first turned
   *     out to have reached the disk; nothing is written
   * @throws StoreException if RocksDB could not read or write (nothing was acknowledged), or the
   *     shared state this store is a copy of could not take the write
   * @throws IllegalArgumentException if the write changes nothing, or holds text that is not valid
   *     Unicode (which could not be stored as it is)
   */
  public long write(StoreWrite write, long basedOn) throws StoreException, RevisionConflictException {
    if (write.isEmpty()) {
      throw new IllegalArgumentException("a store write must change something");
    }
    write.flags().forEach((key, definition) -> {
      if (definition != null && !definition.key().equals(key)) {
        throw new IllegalArgumentException("flag written as '" + key + "' has key '" + definition.key() + "'");
      }
    });
    Committer shared = committer;
    if (shared != null) {
      return shared.commit(write, basedOn);
    }
    if (failedWrite != null) {
      long before = current.revision();
      recover();
      if (current.revision() != before) {
        // The caller's write was made against the state before the failed one, which is gone.
        throw new RevisionConflictException(before, current.revision());
      }
    }
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      writing.lock();
      try {
        StoredFlags before = current;
        Long expected = write.expectedRevision();
        if (expected != null && expected != before.revision()) {
          throw new RevisionConflictException(expected, before.revision());
        }
        if (basedOn != before.revision()) {
          throw new RevisionConflictException(basedOn, before.revision());
        }
        return apply(write, before.revision() + 1, null);
      } finally {
        writing.unlock();
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Applies a change committed to the shared state this store is a copy of, at that state's
   * revision, with the history entry its writer recorded.
   *
   * @throws IllegalArgumentException if {@code revision} is not above the store's
   */
  public void applyCommitted(long revision, StoreWrite write, HistoryEntry entry) throws StoreException {
    recover();
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      writing.lock();
      try {
        if (revision <= current.revision()) {
          throw new IllegalArgumentException("revision " + revision + " is not above the store's " + current.revision());
        }
        apply(write, revision, entry);
      } finally {
        writing.unlock();
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * What {@code write} would change, with the values before (read now) and after, as its history
   * entry records them: a copy of a shared state records them before it commits.
   */
  public List<Change> changesOf(StoreWrite write) throws StoreException {
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      List<Change> changes = new ArrayList<>();
      for (Map.Entry<String, @Nullable FlagDefinition> e : write.flags().entrySet()) {
        String key = e.getKey();
        FlagDefinition definition = e.getValue();
        changes.add(new Change(Change.FLAG, key, storedDefinition(key, get(flags, bytes(key), FLAGS, key)),
            definition == null ? null : reread(definition.toJson(), FLAGS, key)));
      }
      for (Map.Entry<String, @Nullable Object> e : write.evaluators().entrySet()) {
        String name = e.getKey();
        changes.add(new Change(Change.EVALUATOR, name, parseStored(get(evaluators, bytes(name), EVALUATORS, name), EVALUATORS, name),
            e.getValue() == null ? null : reread(e.getValue(), EVALUATORS, name)));
      }
      if (write.documentMetadata() != null) {
        Object old = parseStored(get(meta, METADATA_KEY, META, "metadata"), META, "metadata");
        changes.add(new Change(Change.METADATA, Change.DOCUMENT, old == null ? Map.of() : old,
            reread(write.documentMetadata(), META, "metadata")));
      }
      for (Map.Entry<String, @Nullable Map<String, Object>> e : write.deviceAttributes().entrySet()) {
        String id = e.getKey();
        changes.add(new Change(Change.DEVICE, id, parseStored(get(devices, bytes(id), DEVICES, id), DEVICES, id),
            e.getValue() == null ? null : reread(e.getValue(), DEVICES, id)));
      }
      for (Map.Entry<String, @Nullable Object> e : write.plans().entrySet()) {
        String id = e.getKey();
        changes.add(new Change(Change.PLAN, id, plans.get(id), e.getValue() == null ? null : reread(e.getValue(), META, PLAN_PREFIX + id)));
      }
      return changes;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** A value as it reads back once stored. */
  private @Nullable Object reread(Object json, String family, String key) throws StoreException {
    return parseStored(bytes(Json.write(json)), family, key);
  }

  /**
   * The revision of the newest history entry that one more entry pushes out of the history
   * (entries up to it go), or 0 if none does.
   */
  public long historyPushedOut() {
    writing.lock();
    try {
      int over = historyRevisions.size() + 1 - settings.historyLimit();
      long last = 0;
      var it = historyRevisions.iterator();
      for (int i = 0; i < over && it.hasNext(); i++) {
        last = it.next();
      }
      return last;
    } finally {
      writing.unlock();
    }
  }

  /** Caller holds {@link #writing}; {@code given} is the history entry of a committed change, if any. */
  private long apply(StoreWrite write, long revision, @Nullable HistoryEntry given) throws StoreException {
    if (failedWrite != null) {
      // Another write failed since this one settled the last failure.
      throw new StoreException("cannot write to the flag store at " + folder + ": " + failedWrite + "; the change was not applied");
    }
    StoredFlags before = current;
    long time = settings.clock().millis();
    List<Change> changes = new ArrayList<>();
    Map<String, FlagDefinition> nextFlags = new TreeMap<>(before.document().flags());
    Map<String, Long> nextFlagRevisions = new TreeMap<>(before.flagRevisions());
    Map<String, Object> nextEvaluators = new TreeMap<>(before.document().evaluators());
    Map<String, Object> nextMetadata = before.document().metadata();
    Map<String, Map<String, Object>> deviceUpdates = new LinkedHashMap<>();
    List<String> devicesRemoved = new ArrayList<>();
    Map<String, Object> nextPlans = new TreeMap<>(plans);

    try (WriteBatch batch = new WriteBatch()) {
      for (Map.Entry<String, @Nullable FlagDefinition> e : write.flags().entrySet()) {
        String key = e.getKey();
        FlagDefinition definition = e.getValue();
        byte[] k = bytes(key);
        Object old = storedDefinition(key, get(flags, k, FLAGS, key));
        Object now = null;
        if (definition == null) {
          batch.delete(flags, k);
          nextFlags.remove(key);
          nextFlagRevisions.remove(key);
        } else {
          Map<String, Object> stored = new LinkedHashMap<>();
          stored.put("revision", revision);
          stored.put("definition", definition.toJson());
          byte[] value = bytes(Json.write(stored));
          batch.put(flags, k, value);
          now = storedDefinition(key, value);
          nextFlags.put(key, definition);
          nextFlagRevisions.put(key, revision);
        }
        changes.add(new Change(Change.FLAG, key, old, now));
      }
      for (Map.Entry<String, @Nullable Object> e : write.evaluators().entrySet()) {
        String name = e.getKey();
        byte[] k = bytes(name);
        Object old = parseStored(get(evaluators, k, EVALUATORS, name), EVALUATORS, name);
        Object now = null;
        if (e.getValue() == null) {
          batch.delete(evaluators, k);
          nextEvaluators.remove(name);
        } else {
          byte[] value = bytes(Json.write(e.getValue()));
          batch.put(evaluators, k, value);
          now = parseStored(value, EVALUATORS, name);
          nextEvaluators.put(name, now);
        }
        changes.add(new Change(Change.EVALUATOR, name, old, now));
      }
      if (write.documentMetadata() != null) {
        Object old = parseStored(get(meta, METADATA_KEY, META, "metadata"), META, "metadata");
        byte[] value = bytes(Json.write(write.documentMetadata()));
        batch.put(meta, METADATA_KEY, value);
        nextMetadata = object(parseStored(value, META, "metadata"), META, "metadata");
        changes.add(new Change(Change.METADATA, Change.DOCUMENT, old == null ? Map.of() : old, nextMetadata));
      }
      for (Map.Entry<String, @Nullable Map<String, Object>> e : write.deviceAttributes().entrySet()) {
        String id = e.getKey();
        byte[] k = bytes(id);
        Object old = parseStored(get(devices, k, DEVICES, id), DEVICES, id);
        Map<String, Object> now = null;
        if (e.getValue() == null) {
          batch.delete(devices, k);
        } else {
          byte[] value = bytes(Json.write(e.getValue()));
          batch.put(devices, k, value);
          now = object(parseStored(value, DEVICES, id), DEVICES, id);
        }
        if (now == null) {
          devicesRemoved.add(id);
        } else {
          deviceUpdates.put(id, now);
        }
        changes.add(new Change(Change.DEVICE, id, old, now));
      }
      for (Map.Entry<String, @Nullable Object> e : write.plans().entrySet()) {
        String id = e.getKey();
        byte[] k = bytes(PLAN_PREFIX + id);
        Object old = parseStored(get(meta, k, META, PLAN_PREFIX + id), META, PLAN_PREFIX + id);
        Object now = null;
        if (e.getValue() == null) {
          batch.delete(meta, k);
          nextPlans.remove(id);
        } else {
          byte[] value = bytes(Json.write(e.getValue()));
          batch.put(meta, k, value);
          now = parseStored(value, META, PLAN_PREFIX + id);
          nextPlans.put(id, now);
        }
        changes.add(new Change(Change.PLAN, id, old, now));
      }

      batch.put(meta, REVISION_KEY, longBytes(revision));
      HistoryEntry entry = given == null
          ? new HistoryEntry(revision, time, write.action(), write.actor(), changes)
          : new HistoryEntry(revision, given.timestampMillis(), given.action(), given.actor(), given.changes());
      batch.put(history, longBytes(revision), bytes(Json.write(entry.toJson())));
      // Counted, not computed from revisions: those of a copy of a shared state have gaps.
      List<Long> pushedOut = new ArrayList<>();
      var oldest = historyRevisions.iterator();
      for (int over = historyRevisions.size() + 1 - settings.historyLimit(); over > 0 && oldest.hasNext(); over--) {
        pushedOut.add(oldest.next());
      }
      if (pushedOut.size() == 1) {
        batch.delete(history, longBytes(pushedOut.get(0)));
      } else if (!pushedOut.isEmpty()) {
        batch.deleteRange(history, longBytes(pushedOut.get(0)), longBytes(pushedOut.get(pushedOut.size() - 1) + 1));
      }

      try {
        db.write(options.synced, batch);
        if (failNextWriteAfterWriting) {
          failNextWriteAfterWriting = false;
          throw new RocksDBException("IO error: the test said this write failed after it was written");
        }
      } catch (RocksDBException e) {
        // The batch may or may not be in the WAL: only a reopen tells. Writing on would risk two
        // histories for one revision, so the next write reopens the store first.
        failedWrite = StoreOpening.cause(describe(e));
        log.error("Writing revision {} ({} by client '{}') to the flag store at {} failed: {}; writes are taken again once the"
            + " disk works, and the next one finds out whether this one reached it", revision, entry.action(), entry.actor().clientId(),
            folder, failedWrite);
        throw new StoreException("cannot write to the flag store at " + folder + ": " + failedWrite + "; the change was not applied"
            + " (should it have reached the disk in part, the next write finds it and the history shows it); writes are taken again"
            + " once the cause is fixed, without a restart", e);
      }
      pushedOut.forEach(r -> historyRevisions.removeFirst());
      historyRevisions.addLast(revision);
    } catch (RocksDBException e) {
      // WriteBatch.delete reports failures this way; nothing has been written yet.
      throw new StoreException("cannot prepare a write to the flag store at " + folder + ": " + describe(e), e);
    }

    // After the write is durable: a reader that loads the old value before it is replaced here by
    // the new one (Caffeine orders put and invalidate after an in-flight load of the same key).
    deviceCache.putAll(deviceUpdates);
    deviceCache.invalidateAll(devicesRemoved);
    boolean sameDocument = write.flags().isEmpty() && write.evaluators().isEmpty() && write.documentMetadata() == null;
    if (!write.plans().isEmpty()) {
      plans = Collections.unmodifiableMap(nextPlans);
    }
    current = new StoredFlags(revision,
        sameDocument ? before.document() : new FlagDocument(nextFlags, nextEvaluators, nextMetadata), nextFlagRevisions);
    log.debug("Wrote revision {} to the flag store at {}: {} changes", revision, folder, changes.size());
    Set<String> changedDevices = new HashSet<>(deviceUpdates.keySet());
    changedDevices.addAll(devicesRemoved);
    tell(new StoreChange(before, current, changedDevices));
    return revision;
  }

  /**
   * Replaces everything the store holds with {@code content} in one synced batch: a copy of a
   * shared state that loads the state whole (on joining it, or when it missed too much to catch
   * up change by change).
   */
  public void replaceAll(StoreContent content) throws StoreException {
    recover();
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      writing.lock();
      try {
        replace(content);
      } finally {
        writing.unlock();
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private void replace(StoreContent content) throws StoreException {
    if (failedWrite != null) {
      throw new StoreException("cannot write to the flag store at " + folder + ": " + failedWrite + "; its content was not replaced");
    }
    StoredFlags before = current;
    List<HistoryEntry> entries = new ArrayList<>(content.history());
    entries.sort(Comparator.comparingLong(HistoryEntry::revision));
    entries = entries.subList(Math.max(0, entries.size() - settings.historyLimit()), entries.size());
    Set<String> changedDevices = new HashSet<>();
    try (WriteBatch batch = new WriteBatch()) {
      // Devices whose record differs: the old ones read as the batch is built.
      try (RocksIterator it = db.newIterator(devices)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          String id = string(it.key(), DEVICES);
          Object old = parseStored(it.value(), DEVICES, id);
          if (!Objects.equals(old, content.devices().get(id))) {
            changedDevices.add(id);
          }
        }
        it.status();
      }
      for (String id : content.devices().keySet()) {
        if (db.get(devices, bytes(id)) == null) {
          changedDevices.add(id);
        }
      }
      for (ColumnFamilyHandle family : List.of(flags, evaluators, devices, history)) {
        batch.deleteRange(family, new byte[0], END_OF_KEYS);
      }
      batch.delete(meta, METADATA_KEY);
      for (String id : plans.keySet()) {
        batch.delete(meta, bytes(PLAN_PREFIX + id));
      }
      for (Map.Entry<String, Object> e : content.plans().entrySet()) {
        batch.put(meta, bytes(PLAN_PREFIX + e.getKey()), bytes(Json.write(e.getValue())));
      }
      for (Map.Entry<String, Object> e : content.flags().entrySet()) {
        Map<String, Object> stored = new LinkedHashMap<>();
        stored.put("revision", content.flagRevisions().getOrDefault(e.getKey(), content.revision()));
        stored.put("definition", e.getValue());
        batch.put(flags, bytes(e.getKey()), bytes(Json.write(stored)));
      }
      for (Map.Entry<String, Object> e : content.evaluators().entrySet()) {
        batch.put(evaluators, bytes(e.getKey()), bytes(Json.write(e.getValue())));
      }
      if (!content.metadata().isEmpty()) {
        batch.put(meta, METADATA_KEY, bytes(Json.write(content.metadata())));
      }
      for (Map.Entry<String, Map<String, Object>> e : content.devices().entrySet()) {
        batch.put(devices, bytes(e.getKey()), bytes(Json.write(e.getValue())));
      }
      for (HistoryEntry entry : entries) {
        batch.put(history, longBytes(entry.revision()), bytes(Json.write(entry.toJson())));
      }
      batch.put(meta, REVISION_KEY, longBytes(content.revision()));
      batch.put(meta, ORIGIN_KEY, bytes(content.origin()));
      db.write(options.synced, batch);
    } catch (RocksDBException e) {
      failedWrite = StoreOpening.cause(describe(e));
      throw new StoreException("cannot replace the content of the flag store at " + folder + ": " + failedWrite
          + "; it is tried again once the disk takes writes", e);
    }
    historyRevisions.clear();
    entries.forEach(entry -> historyRevisions.addLast(entry.revision()));
    origin = content.origin();
    deviceCache.invalidateAll();
    Map<String, Object> documentJson = new LinkedHashMap<>();
    documentJson.put("flags", content.flags());
    documentJson.put("$evaluators", content.evaluators());
    documentJson.put("metadata", content.metadata());
    plans = Collections.unmodifiableMap(new TreeMap<>(content.plans()));
    current = parsed(content.revision(), documentJson, content.flagRevisions(), content.evaluators(), content.metadata());
    log.info("Replaced the content of the flag store at {} with {} at revision {}: {} flags, {} evaluators, {} devices in the registry",
        folder, content.origin(), content.revision(), current.document().flags().size(), current.document().evaluators().size(),
        content.devices().size());
    tell(new StoreChange(before, current, changedDevices));
  }

  private void tell(StoreChange change) {
    for (StoreListener listener : listeners) {
      try {
        listener.applied(change);
      } catch (RuntimeException e) {
        log.error("Acting on revision {} of the flag store at {} failed; the change is stored", change.after().revision(), folder, e);
      }
    }
  }

  /**
   * Settles a write that failed with its outcome unknown, once the disk takes writes again: RocksDB
   * is closed and opened again, which replays what reached its log, and everything is read back
   * from it, so that what is held in memory is exactly what is durable (the failed write included,
   * if it had reached the disk: the revision then tells, and the listeners are told of it as of any
   * change). Does nothing if no write failed. Readers wait while the store is reopened.
   *
   * @throws StoreException if the disk still refuses writes (nothing was touched), or the store
   *     could not be opened for writing again (it is then open for reading, or not at all, and the
   *     next write tries again)
   */
  public void recover() throws StoreException {
    if (failedWrite == null) {
      return;
    }
    StoreChange landed = null;
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("the flag store at " + folder + " is closed");
      }
      String cause = failedWrite;
      if (cause == null) {
        return;
      }
      checkDiskWrites(cause);
      log.info("Reopening the flag store at {} to settle a failed write ({})", folder, cause);
      StoredFlags beforeFlags = current;
      long before = beforeFlags.revision();
      try {
        reopen();
      } catch (StoreException e) {
        throw new StoreException("cannot write to the flag store at " + folder + ": it could not be reopened to settle a failed"
            + " write (" + e.getMessage() + "); " + (db == null ? "" : "it serves reads meanwhile, and ")
            + "the next write tries again, without a restart", e);
      }
      failedWrite = null;
      if (current.revision() != before) {
        log.warn("The write of revision {} to the flag store at {}, reported failed, had reached the disk: it is in the store"
            + " and its history", current.revision(), folder);
        Set<String> changedDevices = new HashSet<>();
        for (HistoryEntry entry : history(settings.historyLimit())) {
          if (entry.revision() > before) {
            entry.changes().stream().filter(c -> c.kind().equals(Change.DEVICE)).forEach(c -> changedDevices.add(c.key()));
          }
        }
        landed = new StoreChange(beforeFlags, current, changedDevices);
      }
      log.info("The flag store at {} takes writes again, at revision {}", folder, current.revision());
    } finally {
      lifecycle.writeLock().unlock();
    }
    if (landed != null) {
      tell(landed); // served now, as any other change
    }
  }

  /** Whether a write failed and the store has not yet been settled by {@link #recover()}. */
  public boolean writeFailed() {
    return failedWrite != null;
  }

  /**
   * Writes and syncs 64 KiB beside the store and removes it: a disk that is still full or read-only
   * says so here, before readers wait for a reopen that could not succeed.
   */
  private void checkDiskWrites(String cause) throws StoreException {
    Path check = folder.resolve(".fleetflags-write-check");
    try {
      try (FileChannel channel = FileChannel.open(check, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer block = ByteBuffer.allocate(64 * 1024);
        while (block.hasRemaining()) {
          channel.write(block);
        }
        channel.force(true);
      } finally {
        Files.deleteIfExists(check);
      }
    } catch (IOException e) {
      throw new StoreException("cannot write to the flag store at " + folder + ": " + StoreOpening.cause(e)
          + "; the change was not applied; writes are taken again once the cause is fixed (an earlier write failed: " + cause
          + "), without a restart", e);
    }
  }

  /**
   * Closes RocksDB and opens it again. If it cannot be opened for writing, it is opened for reading,
   * so that devices are still served, and the next write tries again.
   */
  private void reopen() throws StoreException {
    closeRocks();
    try {
      if (failNextReopen) {
        failNextReopen = false;
        throw new StoreException("the test said this reopen failed");
      }
      openRocks(true);
      unwritable = null;
    } catch (StoreException e) {
      unwritable = e.getMessage();
      try {
        openRocks(false);
        log.warn("The flag store at {} is open for reading only until a write can reopen it: {}", folder, unwritable);
      } catch (StoreException readOnly) {
        log.error("The flag store at {} cannot be opened, even for reading, until a write can reopen it: {}", folder,
            readOnly.getMessage());
      }
      throw e;
    } finally {
      deviceCache.invalidateAll();
    }
  }

  /** Opens RocksDB on the folder (for writing, or only reading) and loads what it holds. */
  private void openRocks(boolean forWriting) throws StoreException {
    StoreOpening opening = new StoreOpening(folder, forWriting);
    List<ColumnFamilyHandle> opened = new ArrayList<>();
    RocksDB rocks = null;
    try {
      rocks = forWriting ? opening.open(opened) : opening.openReadOnly(opened);
      attach(rocks, opening.options(), opened);
      load(opening);
    } catch (StoreException | RuntimeException e) {
      opened.forEach(ColumnFamilyHandle::close);
      if (rocks != null) {
        rocks.close();
      }
      opening.options().close();
      db = null;
      throw e instanceof StoreException failure ? failure : new StoreException("cannot open the flag store at " + folder + ": " + e, e);
    }
  }

  /** Closes RocksDB after flushing what it can; a failed flush loses nothing (the WAL holds it). */
  private void closeRocks() {
    if (db == null) {
      return;
    }
    if (unwritable == null) {
      try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        db.flush(flush, handles);
      } catch (RocksDBException e) {
        // Nothing is lost: every write is in the synced WAL, which the next open replays.
        log.warn("Could not flush the flag store at {}; the next open replays its log instead: {}", folder, describe(e));
      }
    }
    handles.forEach(ColumnFamilyHandle::close);
    try {
      db.closeE();
    } catch (RocksDBException e) {
      log.warn("Closing the flag store at {} reported a problem: {}", folder, describe(e));
    }
    options.close();
    db = null;
  }

  /**
   * Records in the history entry of {@code revision} how many connected devices of this broker the
   * change affected (known once delivery has planned it). An entry no longer kept is left alone.
   * Not synced: the figure informs, and a crash that loses it loses nothing else.
   */
  public void recordDevicesAffected(long revision, long devices) throws StoreException {
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      writing.lock();
      try {
        byte[] key = longBytes(revision);
        byte[] value = db.get(history, key);
        if (value == null) {
          return;
        }
        HistoryEntry entry = historyEntry(key, value);
        db.put(history, key, bytes(Json.write(entry.withDevicesAffected(devices).toJson())));
      } catch (RocksDBException e) {
        throw new StoreException("cannot record the devices revision " + revision + " affected in the flag store at " + folder
            + ": " + describe(e), e);
      } finally {
        writing.unlock();
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** The revision of the oldest history entry kept, or -1 if the history is empty. */
  public long oldestHistoryRevision() {
    writing.lock();
    try {
      return historyRevisions.isEmpty() ? -1 : historyRevisions.getFirst();
    } finally {
      writing.unlock();
    }
  }

  /** The history entries from the newest down to {@code revision} (inclusive), newest first. */
  public List<HistoryEntry> historyDownTo(long revision) {
    List<HistoryEntry> entries = new ArrayList<>();
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      try (RocksIterator it = db.newIterator(history)) {
        for (it.seekToLast(); it.isValid() && ByteBuffer.wrap(it.key()).getLong() >= revision; it.prev()) {
          entries.add(historyEntry(it.key(), it.value()));
        }
        it.status();
      } catch (RocksDBException e) {
        throw new IllegalStateException("cannot read the history from the flag store at " + folder + ": " + describe(e), e);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
    return entries;
  }

  /** The newest {@code limit} history entries, newest first. */
  public List<HistoryEntry> history(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, was " + limit);
    }
    List<HistoryEntry> entries = new ArrayList<>(Math.min(limit, 1024));
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      try (RocksIterator it = db.newIterator(history)) {
        for (it.seekToLast(); it.isValid() && entries.size() < limit; it.prev()) {
          entries.add(historyEntry(it.key(), it.value()));
        }
        it.status();
      } catch (RocksDBException e) {
        throw new IllegalStateException("cannot read the history from the flag store at " + folder + ": " + describe(e), e);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
    return entries;
  }

  /**
   * Everything the store holds, read now: what a broker that joins others publishes of its own
   * state (the history stays behind).
   */
  public StoreContent content() throws StoreException {
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      writing.lock();
      try {
        StoredFlags flagsNow = current;
        Map<String, Object> definitions = new TreeMap<>();
        flagsNow.document().flags().forEach((key, definition) -> definitions.put(key, definition.toJson()));
        Map<String, Map<String, Object>> registry = new TreeMap<>();
        try (RocksIterator it = db.newIterator(devices)) {
          for (it.seekToFirst(); it.isValid(); it.next()) {
            String id = string(it.key(), DEVICES);
            registry.put(id, object(parseStored(it.value(), DEVICES, id), DEVICES, id));
          }
          it.status();
        } catch (RocksDBException e) {
          throw new StoreException("cannot read the registry of the flag store at " + folder + ": " + describe(e), e);
        }
        return new StoreContent(flagsNow.revision(), definitions, flagsNow.flagRevisions(), flagsNow.document().evaluators(),
            flagsNow.document().metadata(), registry, List.of(), origin == null ? "" : origin, plans);
      } finally {
        writing.unlock();
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** A device's registry attributes, empty if it has none; through a cache bounded by size. */
  public Map<String, Object> deviceAttributes(String deviceId) {
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      Map<String, Object> attributes = deviceCache.get(deviceId);
      return attributes == null ? Map.of() : attributes;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Flushes the memtables so the next open need not replay the WAL, then frees everything. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      closeRocks();
      deviceCache.invalidateAll();
      log.info("Closed the flag store at {} at revision {}", folder, current.revision());
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  // --- loading ---------------------------------------------------------------------------------

  private void load(StoreOpening opening) throws StoreException {
    try {
      if (opening.checkFormat(db, meta) && unwritable == null) {
        // A new store, or one whose creation was cut short before this first write.
        try (WriteBatch batch = new WriteBatch()) {
          batch.put(meta, FORMAT_KEY, longBytes(FORMAT_VERSION));
          batch.put(meta, REVISION_KEY, longBytes(0));
          db.write(options.synced, batch);
        }
        log.info("Created an empty flag store at {}", folder);
      }
      long revision = revisionOf(db.get(meta, REVISION_KEY));
      Map<String, Object> metadata = Map.of();
      byte[] metadataBytes = db.get(meta, METADATA_KEY);
      if (metadataBytes != null) {
        metadata = object(parseStored(metadataBytes, META, "metadata"), META, "metadata");
      }

      Map<String, Object> flagJson = new LinkedHashMap<>();
      Map<String, Long> flagRevisions = new TreeMap<>();
      try (RocksIterator it = db.newIterator(flags)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          String key = string(it.key(), FLAGS);
          Map<String, Object> stored = object(parseStored(it.value(), FLAGS, key), FLAGS, key);
          if (!(stored.get("revision") instanceof Long flagRevision) || !(stored.get("definition") instanceof Map<?, ?> definition)) {
            throw corrupt(FLAGS, key, "not a {\"revision\", \"definition\"} object");
          }
          flagJson.put(key, definition);
          flagRevisions.put(key, flagRevision);
        }
        it.status();
      }
      Map<String, Object> evaluatorJson = new LinkedHashMap<>();
      try (RocksIterator it = db.newIterator(evaluators)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          String name = string(it.key(), EVALUATORS);
          evaluatorJson.put(name, parseStored(it.value(), EVALUATORS, name));
        }
        it.status();
      }
      historyRevisions.clear();
      try (RocksIterator it = db.newIterator(history)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          historyRevisions.addLast(revisionOf(it.key()));
        }
        it.status();
      }
      byte[] originBytes = db.get(meta, ORIGIN_KEY);
      origin = originBytes == null ? null : string(originBytes, META);
      Map<String, Object> planJson = new TreeMap<>();
      try (RocksIterator it = db.newIterator(meta)) {
        byte[] prefix = bytes(PLAN_PREFIX);
        for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
          String key = string(it.key(), META);
          planJson.put(key.substring(PLAN_PREFIX.length()), parseStored(it.value(), META, key));
        }
        it.status();
      }
      plans = Collections.unmodifiableMap(planJson);

      Map<String, Object> documentJson = new LinkedHashMap<>();
      documentJson.put("flags", flagJson);
      documentJson.put("$evaluators", evaluatorJson);
      documentJson.put("metadata", metadata);
      current = parsed(revision, documentJson, flagRevisions, evaluatorJson, metadata);
      FlagDocument document = current.document();
      log.info("Opened the flag store at {}: revision {}, {} flags, {} evaluators", folder, revision, document.flags().size(), document.evaluators().size());
    } catch (RocksDBException e) {
      throw new StoreException("cannot read the flag store at " + folder + ": " + describe(e), e);
    }
  }

  /** The served flags of a document read back from storage: what no longer parses is left out. */
  private StoredFlags parsed(long revision, Map<String, Object> documentJson, Map<String, Long> flagRevisions,
      Map<String, Object> evaluatorJson, Map<String, Object> metadata) {
    FlagDocumentParser.Result parsed = new FlagDocumentParser(STORED).parse(documentJson);
    for (Problem problem : parsed.problems()) {
      // Stored flags were valid when written; a problem now means the rules changed since.
      log.warn("A stored flag definition in {} does not parse and is left out of the served flags: {}", folder, problem);
    }
    Map<String, Long> revisions = new TreeMap<>(flagRevisions);
    revisions.keySet().retainAll(parsed.document().flags().keySet());
    FlagDocument document = new FlagDocument(new TreeMap<>(parsed.document().flags()), evaluatorJson, metadata);
    return new StoredFlags(revision, document, revisions);
  }

  // --- reading ---------------------------------------------------------------------------------

  /** A device's registry record, or null (not cached) if it has none. */
  private @Nullable Map<String, Object> readDevice(String deviceId) {
    try {
      byte[] value = db.get(devices, bytes(deviceId));
      return value == null ? null : object(parseStored(value, DEVICES, deviceId), DEVICES, deviceId);
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot read the attributes of device '" + deviceId + "' from the flag store at " + folder + ": " + describe(e), e);
    } catch (StoreException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private byte @Nullable [] get(ColumnFamilyHandle family, byte[] key, String familyName, String keyName) throws StoreException {
    try {
      return db.get(family, key);
    } catch (RocksDBException e) {
      throw new StoreException("cannot read " + familyName + " '" + keyName + "' from the flag store at " + folder + ": " + describe(e), e);
    }
  }

  private @Nullable Object storedDefinition(String key, byte @Nullable [] value) throws StoreException {
    if (value == null) {
      return null;
    }
    return object(parseStored(value, FLAGS, key), FLAGS, key).get("definition");
  }

  private @Nullable Object parseStored(byte @Nullable [] value, String family, String key) throws StoreException {
    if (value == null) {
      return null;
    }
    try {
      return Json.parse(value, STORED);
    } catch (InvalidDocumentException e) {
      throw corrupt(family, key, "unreadable JSON (" + e.getMessage() + ")");
    }
  }

  private Map<String, Object> object(@Nullable Object json, String family, String key) throws StoreException {
    if (!(json instanceof Map<?, ?> map)) {
      throw corrupt(family, key, "expected a JSON object, found " + Json.kind(json));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> object = (Map<String, Object>) map;
    return object;
  }

  private HistoryEntry historyEntry(byte[] key, byte[] value) {
    long revision = -1;
    try {
      revision = revisionOf(key);
      return HistoryEntry.fromJson(revision, object(parseStored(value, HISTORY, Long.toString(revision)), HISTORY, Long.toString(revision)));
    } catch (StoreException | IllegalArgumentException e) {
      throw new IllegalStateException("cannot read history entry " + revision + " of the flag store at " + folder + ": " + e.getMessage(), e);
    }
  }

  private StoreException corrupt(String family, String key, String what) {
    return new StoreException("the flag store at " + folder + " is damaged: " + family + " '" + key + "' holds " + what
        + "; restore the folder from a backup, or move it aside to start with an empty store");
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the flag store at " + folder + " is closed");
    }
    if (db == null) {
      throw new IllegalStateException("the flag store at " + folder + " could not be opened again after a failed write: " + unwritable);
    }
  }

  /** For tests: the next write reaches RocksDB, then fails as a disk that could not confirm it would. */
  void failNextWriteAfterWriting() {
    failNextWriteAfterWriting = true;
  }

  /** For tests: the next reopen for writing fails, and the store is opened for reading meanwhile. */
  void failNextReopen() {
    failNextReopen = true;
  }

  /** Entries in the device cache after pending evictions; for tests of its bound. */
  long cachedDevices() {
    deviceCache.cleanUp();
    return deviceCache.estimatedSize();
  }

  // --- encoding --------------------------------------------------------------------------------

  /**
   * UTF-8, refusing text that is not valid Unicode: {@code getBytes} would write a lone surrogate
   * as '?', and the store would hold another key or value than the one written.
   */
  static byte[] bytes(String s) {
    try {
      ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(s));
      byte[] bytes = new byte[encoded.remaining()];
      encoded.get(bytes);
      return bytes;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("not valid Unicode, so it cannot be stored as it is: " + Json.quote(s), e);
    }
  }

  /** A key as it was written; bytes that are not UTF-8 are damage, not text to guess at. */
  private String string(byte[] b, String family) throws StoreException {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw corrupt(family, HexFormat.of().formatHex(b, 0, Math.min(b.length, 32)), "a key that is not UTF-8");
    }
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  static byte[] longBytes(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  private long revisionOf(byte @Nullable [] value) throws StoreException {
    if (value == null) {
      return 0;
    }
    if (value.length != Long.BYTES) {
      throw new StoreException("the flag store at " + folder + " is damaged: a revision of " + value.length
          + " bytes instead of 8; restore the folder from a backup, or move it aside to start with an empty store");
    }
    return ByteBuffer.wrap(value).getLong();
  }

  static String describe(RocksDBException e) {
    return StoreOpening.describe(e);
  }
}
