package dev.fleetflags.replication;

import dev.fleetflags.delivery.FleetCompliance;
import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.Committer;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.HistoryEntry;
import dev.fleetflags.store.RevisionConflictException;
import dev.fleetflags.store.StoreContent;
import dev.fleetflags.store.StoreException;
import dev.fleetflags.store.StoreWrite;
import dev.fleetflags.store.WriteRefusedException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This broker's store as one copy of the flag state that several brokers share through etcd.
 *
 * <p><b>Writes</b> ({@link #commit}, on the admin thread): one etcd transaction, guarded on the
 * mod revision of {@code <prefix>/head} being the revision the write was validated against, puts
 * and deletes what the write changes, its history entry and the head; the answer waits until this
 * broker's watch has applied the committed revision. A failed guard is a {@link
 * RevisionConflictException} once the store has caught up with the newer state.
 *
 * <p><b>Propagation</b> (one thread of its own, the applier): a watch on the prefix from the
 * revision the store holds; the events of each revision are one change, applied to the store
 * atomically (which makes it live and fans it out to this broker's devices). If etcd compacted
 * past that revision, the whole state is loaded at a current revision and replaces the store's.
 *
 * <p><b>Availability</b>: devices are served from the store whatever etcd does. A probe reads the
 * head every {@code probeInterval}; while it fails the broker is cut off: a log line says so and
 * which revision it serves, and {@link #cutOffSeconds} says for how long. The watch resumes by
 * itself, and a broker whose head lags the probed one for three probes restarts its watch.
 */
public final class ClusterReplica implements Committer, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ClusterReplica.class);

  /** What was written passed validation; reading it back applies only the hard limits. */
  private static final Limits STORED =
      new Limits(Integer.MAX_VALUE, 1_000, Integer.MAX_VALUE, Integer.MAX_VALUE, Limits.HARD_MAX_VARIANTS, Integer.MAX_VALUE);

  /** Keys per read when the whole state is loaded. */
  private static final int PAGE = 1_000;
  /** Per operation in a transaction, beyond its key and value: etcd's framing, roughly. */
  private static final int OP_OVERHEAD_BYTES = 16;
  private static final Duration CUT_OFF_LOG_INTERVAL = Duration.ofSeconds(30);
  private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(2);
  private static final int STUCK_PROBES = 3;
  private static final int SIZE_EVERY_PROBES = 10;
  /** Migration and loading may hold large registries; responses beyond gRPC's 4 MiB default. */
  private static final int MAX_INBOUND_BYTES = 256 * 1024 * 1024;

  private final FlagStore store;
  private final ClusterSettings settings;
  private final EtcdLayout layout;
  private final Client client;
  private final KV kv;
  private final Clock clock;
  private final String where;
  /** Applies every change, one at a time, in revision order; also syncs, loads and watches. */
  private final ScheduledExecutorService applier;
  private final ScheduledExecutorService prober;
  private final Object appliedMonitor = new Object();
  private final CountDownLatch firstSync = new CountDownLatch(1);

  // The applier's own state.
  private Watch.@Nullable Watcher watcher;
  private long generation;
  /** The next revision the watch must deliver. */
  private long watchFrom;
  private int retries;
  private @Nullable String origin;

  // Written by the probe, read anywhere.
  private volatile boolean synced;
  /**
   * The revision of the last change applied and made live: the store's revision is set a moment
   * earlier, before its listeners have run, and a write validated then would meet the old state.
   */
  private volatile long appliedRevision;
  private volatile long lastContactMillis;
  private volatile long cutOffSinceMillis;
  private volatile long lastCutOffLogMillis;
  private volatile long headRevision;
  private volatile long databaseBytes;
  private volatile boolean closed;
  private int stuckProbes; // probe thread only
  private int probedMember; // probe thread only
  private long probes; // probe thread only
  private long lastProbedRevision; // probe thread only

  private ClusterReplica(FlagStore store, ClusterSettings settings, Client client, Clock clock) {
    this.store = store;
    this.settings = settings;
    this.layout = new EtcdLayout(settings.keyPrefix());
    this.client = client;
    this.kv = client.getKVClient();
    this.clock = clock;
    this.where = "etcd at " + settings.describeEndpoints() + ", prefix " + settings.keyPrefix();
    this.applier = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "fleetflags-replication"));
    this.prober = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "fleetflags-cluster-probe"));
    this.lastContactMillis = clock.millis();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /**
   * Makes {@code store} a copy of the state in etcd: its writes are committed there from now on.
   * Nothing is read or written in etcd until {@link #start}.
   *
   * @throws StoreException if the client cannot be set up (an unreadable password file, bad TLS
   *     files)
   */
  public static ClusterReplica connect(FlagStore store, ClusterSettings settings) throws StoreException {
    ClientBuilder builder =
        Client.builder()
            .endpoints(settings.endpoints().toArray(URI[]::new))
            .connectTimeout(settings.requestTimeout())
            // fail at once when no member can be reached: every call has a bound of ours anyway
            .waitForReady(false)
            .retryMaxDuration(settings.requestTimeout())
            .keepaliveTime(Duration.ofSeconds(10))
            .keepaliveTimeout(Duration.ofSeconds(5))
            .maxInboundMessageSize(MAX_INBOUND_BYTES);
    if (settings.username() != null && settings.passwordFile() != null) {
      String password;
      try {
        password = Files.readAllLines(settings.passwordFile(), StandardCharsets.UTF_8).stream().findFirst().orElse("");
      } catch (IOException e) {
        throw new StoreException("cannot read the etcd password file " + settings.passwordFile() + ": " + e.getMessage(), e);
      }
      builder.user(EtcdLayout.bytes(settings.username())).password(EtcdLayout.bytes(password));
    }
    if (settings.endpoints().get(0).getScheme().equals("https")) {
      try {
        builder.sslContext(ssl -> {
          if (settings.caFile() != null) {
            ssl.trustManager(settings.caFile().toFile());
          }
          if (settings.certFile() != null && settings.keyFile() != null) {
            ssl.keyManager(settings.certFile().toFile(), settings.keyFile().toFile());
          }
        });
      } catch (SSLException | IllegalArgumentException e) {
        throw new StoreException("cannot set up TLS to etcd from cluster/tls: " + e.getMessage(), e);
      }
    }
    ClusterReplica replica = new ClusterReplica(store, settings, builder.build(), Clock.systemUTC());
    store.commitThrough(replica);
    return replica;
  }

  /**
   * Joins the shared state: the first sync (resume, migrate or load) and then the watch, on the
   * applier; probes begin. Waits up to {@code wait} for the first sync, so that a broker which
   * reaches etcd starts with the current state; one that does not serves its store's revision and
   * syncs as soon as etcd answers.
   */
  public void start(Duration wait) {
    long probe = settings.probeInterval().toMillis();
    // The first probe after the first sync's own request has had its time.
    prober.scheduleWithFixedDelay(this::probe, Math.max(probe, settings.requestTimeout().toMillis()), probe, TimeUnit.MILLISECONDS);
    onApplier(this::sync);
    try {
      if (!firstSync.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("The cluster store ({}) did not answer within {} ms: serving revision {} from the flag store until it does;"
            + " admin writes are answered with an error until then", where, wait.toMillis(), store.revision());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Which broker drives rollouts and scheduled changes, and the whole fleet's figures for their
   * gates, through this replica's etcd client (see {@link ClusterDriving}); close it before this.
   *
   * @param broker this broker's name among the others, unique to this run
   */
  public ClusterDriving driving(String broker, FleetCompliance compliance) {
    return new ClusterDriving(client, settings.keyPrefix(), broker, compliance, settings.requestTimeout(), clock);
  }

  /** The revision this broker serves (etcd's revision of the last change it applied). */
  public long revision() {
    return store.revision();
  }

  /** The newest revision of the shared state the probe saw in etcd. */
  public long headRevision() {
    return Math.max(headRevision, store.revision());
  }

  /** How long this broker has not reached etcd, in seconds; 0 while it does. */
  public long cutOffSeconds() {
    long since = cutOffSinceMillis;
    return since == 0 ? 0 : Math.max(0, (clock.millis() - lastContactMillis) / 1000);
  }

  // --- writes (admin thread) -------------------------------------------------------------------

  @Override
  public long commit(StoreWrite write, long basedOn) throws StoreException, RevisionConflictException {
    long deadline = System.nanoTime() + settings.writeTimeout().toNanos();
    if (!synced) {
      throw new StoreException(unreachable("this broker has not reached it since it started") + "; nothing was changed");
    }
    String writeId = UUID.randomUUID().toString();
    Map<String, Object> entry = new HistoryEntry(0, clock.millis(), write.action(), write.actor(), store.changesOf(write)).toJson();
    entry.remove("revision"); // it is the mod revision of the entry's key
    entry.put("writeId", writeId);
    List<Op> ops = new ArrayList<>();
    long[] bytes = {0};
    put(ops, bytes, layout.head(), Map.of("writeId", writeId));
    write.flags().forEach((key, definition) -> putOrDelete(ops, bytes, layout.key(EtcdLayout.FLAGS, key), definition == null ? null : definition.toJson()));
    write.evaluators().forEach((name, rule) -> putOrDelete(ops, bytes, layout.key(EtcdLayout.EVALUATORS, name), rule));
    if (write.documentMetadata() != null) {
      put(ops, bytes, layout.key(EtcdLayout.METADATA, ""), write.documentMetadata());
    }
    write.deviceAttributes().forEach((id, attributes) -> putOrDelete(ops, bytes, layout.key(EtcdLayout.DEVICES, id), attributes));
    write.plans().forEach((id, plan) -> putOrDelete(ops, bytes, layout.key(EtcdLayout.PLANS, id), plan));
    put(ops, bytes, layout.history(basedOn), entry);
    long pushedOut = store.historyPushedOut();
    if (pushedOut > 0) {
      // The next entry's key is the revision of the one before it, so this keeps it and drops the rest.
      ops.add(Op.delete(layout.key(EtcdLayout.HISTORY, ""), DeleteOption.builder().withRange(layout.history(pushedOut)).build()));
    }
    checkLimits(ops.size(), bytes[0]);

    Cmp guard = basedOn == 0
        ? new Cmp(layout.head(), Cmp.Op.EQUAL, CmpTarget.version(0))
        : new Cmp(layout.head(), Cmp.Op.EQUAL, CmpTarget.modRevision(basedOn));
    TxnResponse response = await(
        kv.txn().If(guard).Then(ops.toArray(Op[]::new))
            .Else(Op.get(layout.head(), GetOption.DEFAULT), Op.get(layout.history(basedOn), GetOption.DEFAULT))
            .commit(),
        deadline);
    if (response.isSucceeded()) {
      long revision = response.getHeader().getRevision();
      awaitApplied(revision, deadline, true);
      return revision;
    }
    List<KeyValue> ours = response.getGetResponses().get(1).getKvs();
    if (!ours.isEmpty() && writeId.equals(writeIdOf(ours.get(0)))) {
      // An earlier attempt of this very transaction took effect (the client retried it).
      long revision = ours.get(0).getModRevision();
      awaitApplied(revision, deadline, true);
      return revision;
    }
    List<KeyValue> head = response.getGetResponses().get(0).getKvs();
    long now = head.isEmpty() ? 0 : head.get(0).getModRevision();
    try {
      awaitApplied(now, deadline, false); // so that the write is validated again on the newer state
    } catch (StoreException e) {
      // not caught up in time: the retry meets the same conflict and says so
    }
    Long expected = write.expectedRevision();
    throw new RevisionConflictException(expected == null ? basedOn : expected, now);
  }

  private void put(List<Op> ops, long[] bytes, ByteSequence key, Object json) {
    ByteSequence value = ByteSequence.from(Json.write(json), StandardCharsets.UTF_8);
    bytes[0] += key.size() + value.size() + OP_OVERHEAD_BYTES;
    ops.add(Op.put(key, value, PutOption.DEFAULT));
  }

  private void putOrDelete(List<Op> ops, long[] bytes, ByteSequence key, @Nullable Object json) {
    if (json == null) {
      bytes[0] += key.size() + OP_OVERHEAD_BYTES;
      ops.add(Op.delete(key, DeleteOption.DEFAULT));
    } else {
      put(ops, bytes, key, json);
    }
  }

  /** What etcd would refuse, refused here first with the setting to change. */
  private void checkLimits(int operations, long bytes) throws WriteRefusedException {
    if (operations > settings.maxTxnOps()) {
      throw new WriteRefusedException("this change takes " + operations + " operations in one etcd transaction, more than the "
          + settings.maxTxnOps() + " the cluster store takes (etcd's max-txn-ops, cluster/max-txn-ops); split it into"
          + " smaller requests, or raise both limits");
    }
    if (bytes > settings.maxRequestBytes()) {
      throw new WriteRefusedException("this change is about " + bytes + " bytes in etcd, more than the " + settings.maxRequestBytes()
          + " bytes the cluster store takes in one request (etcd's max-request-bytes, cluster/max-request-bytes); split it"
          + " into smaller requests, or raise both limits");
    }
    long size = databaseBytes;
    if (settings.quotaBytes() > 0 && size > 0 && size + bytes > settings.quotaBytes()) {
      throw new WriteRefusedException("the cluster store's database is " + size + " bytes; this change of about " + bytes
          + " bytes would take it past the quota of " + settings.quotaBytes() + " bytes (cluster/quota-bytes): remove"
          + " registry records no longer needed, compact and defragment etcd, or raise etcd's quota-backend-bytes and"
          + " cluster/quota-bytes together");
    }
  }

  private static @Nullable String writeIdOf(KeyValue kv) {
    try {
      return Json.parse(kv.getValue().getBytes(), STORED) instanceof Map<?, ?> m && m.get("writeId") instanceof String id ? id : null;
    } catch (InvalidDocumentException e) {
      return null;
    }
  }

  /** Waits until the store holds {@code revision} and has made it live. */
  private void awaitApplied(long revision, long deadline, boolean committed) throws StoreException {
    synchronized (appliedMonitor) {
      while (appliedRevision < revision) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new StoreException(committed
              ? "the cluster store committed the change at revision " + revision + ", but this broker has not applied it within "
                  + settings.writeTimeout().toMillis() + " ms (it serves revision " + store.revision()
                  + "); it will show here once this broker has caught up"
              : "this broker did not catch up with revision " + revision + " within " + settings.writeTimeout().toMillis() + " ms");
        }
        try {
          appliedMonitor.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StoreException("interrupted while waiting for revision " + revision, e);
        }
      }
    }
  }

  /** After the store applied a change or a whole content, and its listeners have run. */
  private void applied() {
    synchronized (appliedMonitor) {
      appliedRevision = store.revision();
      appliedMonitor.notifyAll();
    }
  }

  private <T> T await(CompletableFuture<T> future, long deadline) throws StoreException {
    long left = deadline - System.nanoTime();
    try {
      return future.get(Math.max(0, left), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new StoreException(unreachable("no answer within " + settings.writeTimeout().toMillis() + " ms")
          + "; the change was not confirmed and is not applied here (if etcd committed it after all, every broker applies it)");
    } catch (ExecutionException e) {
      String reason = describe(e.getCause());
      if (reason.contains("too many operations") || reason.contains("request is too large") || reason.contains("space exceeded")) {
        throw new WriteRefusedException("the cluster store (" + where + ") refused the change: " + reason
            + "; raise etcd's limits (max-txn-ops, max-request-bytes, quota-backend-bytes) or make the change smaller", e.getCause());
      }
      throw new StoreException(unreachable(reason) + "; nothing was changed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while writing to the cluster store", e);
    }
  }

  private String unreachable(String detail) {
    return "the cluster store (" + where + ") is unreachable or has no quorum: " + detail;
  }

  private static String describe(@Nullable Throwable t) {
    if (t == null) {
      return "unknown failure";
    }
    String message = t.getMessage();
    return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
  }

  // --- the applier -----------------------------------------------------------------------------

  private void onApplier(Runnable task) {
    if (closed) {
      return;
    }
    try {
      applier.execute(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          log.error("Replication from the cluster store ({}) failed; retrying", where, e);
          retryLater(this::resume);
        }
      });
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  private void retryLater(Runnable task) {
    if (closed) {
      return;
    }
    long delay = Math.min(MAX_RETRY_DELAY.toMillis(), 250L << Math.min(retries++, 3));
    try {
      applier.schedule(() -> onApplier(task), delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  /** Syncs if the first sync has not happened yet, else watches again from where the store is. */
  private void resume() {
    if (!synced) {
      sync();
    } else {
      watch();
    }
  }

  /**
   * The first contact: resume the watch where the store is, publish the store's state to an empty
   * prefix once, or load etcd's state in place of the store's.
   */
  private void sync() {
    if (closed || synced) {
      return;
    }
    GetResponse head;
    try {
      head = get(layout.head(), GetOption.DEFAULT);
    } catch (StoreException e) {
      log.debug("Cannot reach the cluster store yet: {}", e.getMessage());
      retryLater(this::sync);
      return;
    }
    try {
      String at = "etcd cluster " + Long.toHexString(head.getHeader().getClusterId()) + ", prefix " + settings.keyPrefix();
      long headNow = head.getKvs().isEmpty() ? 0 : head.getKvs().get(0).getModRevision();
      String local = store.origin();
      if (at.equals(local) && (headNow > 0 || store.revision() == 0)) {
        watchFrom = store.revision() + 1;
        log.info("This broker's flag store is a copy of the cluster store ({}) at revision {}; catching up from there", where, store.revision());
      } else if (headNow == 0) {
        if (store.revision() > 0) {
          publish(at);
        } else {
          store.replaceAll(new StoreContent(0, Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), List.of(), at));
          watchFrom = head.getHeader().getRevision() + 1;
          log.info("Joined the empty cluster store ({}) with an empty flag store", where);
        }
      } else {
        if (local == null && store.revision() > 0) {
          log.warn("The flag store holds the state of a single broker (revision {}, {} flags), but the cluster store ({}) already"
              + " holds a flag state (revision {}): this broker takes the cluster's state, and its own is replaced",
              store.revision(), store.flags().document().flags().size(), where, headNow);
        } else if (local != null && !local.equals(at)) {
          log.warn("The flag store was a copy of {} (revision {}); it is now configured for {}: this broker takes that cluster's"
              + " state (revision {}), and its own is replaced", local, store.revision(), at, headNow);
        } else {
          log.info("Joining the cluster store ({}): loading its state at revision {}", where, headNow);
        }
        load(at);
      }
      origin = at;
      applied();
      synced = true;
      retries = 0;
      firstSync.countDown();
      watch();
    } catch (StoreException e) {
      log.warn("Joining the cluster store ({}) failed, retrying: {}", where, e.getMessage());
      retryLater(this::sync);
    }
  }

  /**
   * Publishes a single broker's state to the empty prefix, once: in one transaction guarded on the
   * prefix having no head (several if it takes more operations than etcd takes in one), then loads
   * it back, so that the store holds etcd's revisions.
   */
  private void publish(String at) throws StoreException {
    StoreContent local = store.content();
    List<List<Op>> chunks = new ArrayList<>();
    List<Op> chunk = new ArrayList<>();
    long[] bytes = {0};
    String writeId = UUID.randomUUID().toString();
    Map<String, Object> entry = new HistoryEntry(0, clock.millis(), "migrate", new Actor("fleetflags-migration", null), List.of()).toJson();
    entry.remove("revision");
    entry.put("writeId", writeId);
    put(chunk, bytes, layout.history(0), entry);
    List<Object[]> items = new ArrayList<>();
    local.flags().forEach((key, json) -> items.add(new Object[] {layout.key(EtcdLayout.FLAGS, key), json}));
    local.evaluators().forEach((name, json) -> items.add(new Object[] {layout.key(EtcdLayout.EVALUATORS, name), json}));
    if (!local.metadata().isEmpty()) {
      items.add(new Object[] {layout.key(EtcdLayout.METADATA, ""), local.metadata()});
    }
    local.devices().forEach((id, json) -> items.add(new Object[] {layout.key(EtcdLayout.DEVICES, id), json}));
    local.plans().forEach((id, json) -> items.add(new Object[] {layout.key(EtcdLayout.PLANS, id), json}));
    for (Object[] item : items) {
      if (chunk.size() + 2 > settings.maxTxnOps() || bytes[0] > settings.maxRequestBytes() / 2) {
        chunks.add(chunk);
        chunk = new ArrayList<>();
        bytes[0] = 0;
      }
      put(chunk, bytes, (ByteSequence) item[0], item[1]);
    }
    chunks.add(chunk);
    long revision = 0;
    for (List<Op> ops : chunks) {
      List<Op> all = new ArrayList<>(ops);
      put(all, new long[1], layout.head(), Map.of("writeId", writeId));
      Cmp guard = revision == 0
          ? new Cmp(layout.head(), Cmp.Op.EQUAL, CmpTarget.version(0))
          : new Cmp(layout.head(), Cmp.Op.EQUAL, CmpTarget.modRevision(revision));
      TxnResponse response = await(kv.txn().If(guard).Then(all.toArray(Op[]::new)).commit(),
          System.nanoTime() + settings.writeTimeout().toNanos());
      if (!response.isSucceeded()) {
        log.warn("Another broker published its state to the cluster store ({}) first: this broker takes that state, and its own"
            + " (revision {}) is replaced", where, store.revision());
        load(at);
        return;
      }
      revision = response.getHeader().getRevision();
    }
    log.info("Published this broker's single-broker flag state (revision {}: {} flags, {} evaluators, {} registry records) to the"
        + " empty cluster store ({}) in {} transaction(s), at etcd revision {}; every broker of the cluster serves it from now on",
        local.revision(), local.flags().size(), local.evaluators().size(), local.devices().size(), where, chunks.size(), revision);
    load(at);
  }

  /**
   * Loads the whole state at one revision (in pages, all read at that revision) and replaces the
   * store's content with it; the watch then starts after that revision.
   */
  private void load(String at) throws StoreException {
    long readAt = 0;
    long headAt = 0;
    Map<String, Object> flags = new TreeMap<>();
    Map<String, Long> flagRevisions = new TreeMap<>();
    Map<String, Object> evaluators = new TreeMap<>();
    Map<String, Object> metadata = Map.of();
    Map<String, Map<String, Object>> devices = new TreeMap<>();
    Map<String, Object> plans = new TreeMap<>();
    List<HistoryEntry> history = new ArrayList<>();
    ByteSequence from = layout.all();
    while (true) {
      GetOption.Builder option = GetOption.builder().withRange(layout.end()).withLimit(PAGE);
      if (readAt > 0) {
        option.withRevision(readAt);
      }
      GetResponse page = get(from, option.build());
      if (readAt == 0) {
        readAt = page.getHeader().getRevision();
      }
      KeyValue last = null;
      for (KeyValue kv : page.getKvs()) {
        last = kv;
        EtcdLayout.Key key = layout.parse(kv.getKey());
        if (key == null) {
          continue;
        }
        Object json = json(kv);
        if (key.kind().equals(EtcdLayout.HEAD)) {
          headAt = kv.getModRevision();
        } else if (json == null) {
          continue;
        } else if (key.kind().equals(EtcdLayout.FLAGS)) {
          flags.put(key.name(), json);
          flagRevisions.put(key.name(), kv.getModRevision());
        } else if (key.kind().equals(EtcdLayout.EVALUATORS)) {
          evaluators.put(key.name(), json);
        } else if (key.kind().equals(EtcdLayout.METADATA) && json instanceof Map<?, ?>) {
          metadata = object(json);
        } else if (key.kind().equals(EtcdLayout.DEVICES) && json instanceof Map<?, ?>) {
          devices.put(key.name(), object(json));
        } else if (key.kind().equals(EtcdLayout.PLANS)) {
          plans.put(key.name(), json);
        } else if (key.kind().equals(EtcdLayout.HISTORY)) {
          try {
            history.add(HistoryEntry.fromJson(kv.getModRevision(), withoutWriteId(json)));
          } catch (IllegalArgumentException e) {
            log.warn("History entry {} in the cluster store is unreadable and left out: {}", key.name(), e.getMessage());
          }
        }
      }
      if (!page.isMore() || last == null) {
        break;
      }
      from = last.getKey().concat(ByteSequence.from(new byte[] {0}));
    }
    store.replaceAll(new StoreContent(headAt, flags, flagRevisions, evaluators, metadata, devices, history, at, plans));
    watchFrom = readAt + 1;
    applied();
  }

  /** Watches the prefix from {@link #watchFrom}; a watch already running is closed first. */
  private void watch() {
    if (closed) {
      return;
    }
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
    long mine = ++generation;
    WatchOption option = WatchOption.builder().isPrefix(true).withRevision(watchFrom).withRequireLeader(true).build();
    watcher = client.getWatchClient().watch(layout.all(), option, Watch.listener(
        response -> onApplier(() -> events(mine, response)),
        error -> onApplier(() -> watchFailed(mine, error)),
        () -> onApplier(() -> watchEnded(mine))));
  }

  private void events(long watch, WatchResponse response) {
    if (watch != generation) {
      return; // from a watch since replaced
    }
    retries = 0;
    List<WatchEvent> events = response.getEvents();
    int i = 0;
    while (i < events.size()) {
      long revision = events.get(i).getKeyValue().getModRevision();
      int j = i;
      while (j < events.size() && events.get(j).getKeyValue().getModRevision() == revision) {
        j++;
      }
      // At or below the store's revision: applied already (a write reported failed that had
      // reached the disk, found when the store settled it).
      if (revision >= watchFrom && revision > store.revision()) {
        apply(revision, events.subList(i, j));
        watchFrom = revision + 1;
      }
      i = j;
    }
  }

  /** One revision's events: one change, applied atomically. */
  private void apply(long revision, List<WatchEvent> events) {
    Map<String, @Nullable FlagDefinition> flags = new LinkedHashMap<>();
    Map<String, @Nullable Object> evaluators = new LinkedHashMap<>();
    Map<String, Object> metadata = null;
    Map<String, @Nullable Map<String, Object>> devices = new LinkedHashMap<>();
    Map<String, @Nullable Object> plans = new LinkedHashMap<>();
    HistoryEntry entry = null;
    boolean head = false;
    for (WatchEvent event : events) {
      KeyValue kv = event.getKeyValue();
      EtcdLayout.Key key = layout.parse(kv.getKey());
      if (key == null) {
        continue;
      }
      boolean deleted = event.getEventType() == WatchEvent.EventType.DELETE;
      Object json = deleted ? null : json(kv);
      switch (key.kind()) {
        case EtcdLayout.HEAD -> head = !deleted;
        case EtcdLayout.FLAGS -> flags.put(key.name(), json == null ? null : definition(key.name(), json));
        case EtcdLayout.EVALUATORS -> evaluators.put(key.name(), json);
        case EtcdLayout.METADATA -> metadata = json instanceof Map<?, ?> ? object(json) : Map.of();
        case EtcdLayout.DEVICES -> devices.put(key.name(), json instanceof Map<?, ?> ? object(json) : null);
        case EtcdLayout.PLANS -> plans.put(key.name(), json);
        case EtcdLayout.HISTORY -> {
          if (!deleted && json != null) {
            try {
              entry = HistoryEntry.fromJson(revision, withoutWriteId(json));
            } catch (IllegalArgumentException e) {
              log.warn("The history entry of revision {} in the cluster store is unreadable: {}", revision, e.getMessage());
            }
          }
        }
        default -> { }
      }
    }
    if (!head) {
      // Not a change of FleetFlags' (every one writes the head): someone wrote under the prefix.
      log.warn("Revision {} changed keys under the cluster store's prefix ({}) without its head; not a FleetFlags change, ignored",
          revision, where);
      return;
    }
    if (entry == null) {
      entry = new HistoryEntry(revision, clock.millis(), "unknown", new Actor("unknown", null), List.of());
    }
    try {
      store.applyCommitted(revision, new StoreWrite(null, entry.action(), entry.actor(), flags, evaluators, metadata, devices, plans),
          entry);
    } catch (StoreException e) {
      log.error("Cannot apply revision {} of the cluster store to the flag store: {}", revision, e.getMessage());
      throw new IllegalStateException(e.getMessage(), e);
    } finally {
      applied();
    }
  }

  private void watchFailed(long watch, Throwable error) {
    if (watch != generation) {
      return;
    }
    if (error instanceof CompactedException compacted) {
      log.warn("The cluster store ({}) has compacted its history up to revision {}, past revision {} that this broker holds:"
          + " loading the whole state", where, compacted.getCompactedRevision(), store.revision());
      try {
        load(Objects.requireNonNullElse(origin, ""));
        retries = 0;
      } catch (StoreException e) {
        log.warn("Loading the cluster store's state failed, retrying: {}", e.getMessage());
      }
      retryLater(this::watch);
      return;
    }
    // jetcd resumes the watch itself after most errors, and ends it (watchEnded) after the others.
    log.debug("The watch on the cluster store ({}) failed: {}", where, describe(error));
  }

  private void watchEnded(long watch) {
    if (watch == generation && !closed) {
      generation++;
      watcher = null;
      retryLater(this::watch);
    }
  }

  // --- probing -------------------------------------------------------------------------------

  private void probe() {
    if (closed) {
      return;
    }
    try {
      GetResponse head = get(layout.head(), GetOption.DEFAULT);
      long now = clock.millis();
      long since = cutOffSinceMillis;
      long latest = head.getKvs().isEmpty() ? 0 : head.getKvs().get(0).getModRevision();
      headRevision = latest;
      if (since != 0) {
        log.info("In touch with the cluster store ({}) again after {} s cut off; serving revision {}, catching up to {}",
            where, (now - lastContactMillis) / 1000, store.revision(), latest);
        cutOffSinceMillis = 0;
      }
      lastContactMillis = now;
      long serving = store.revision();
      if (serving > lastProbedRevision) {
        stuckProbes = 0; // catching up: the watch works
      }
      lastProbedRevision = serving;
      if (synced && latest > serving) {
        if (++stuckProbes >= STUCK_PROBES) {
          stuckProbes = 0;
          log.info("The watch on the cluster store has not brought revision {} (this broker serves {}); watching again", latest, store.revision());
          onApplier(() -> {
            if (headRevision > store.revision()) {
              watch();
            }
          });
        }
      } else {
        stuckProbes = 0;
      }
      // The database's size, for the quota: a status call opens a channel of its own, so not every probe.
      if (settings.quotaBytes() > 0 && probes++ % SIZE_EVERY_PROBES == 0) {
        URI member = settings.endpoints().get(probedMember++ % settings.endpoints().size());
        databaseBytes = client.getMaintenanceClient().statusMember(member.getHost() + ":" + member.getPort())
            .get(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS).getDbSize();
      }
    } catch (StoreException e) {
      cutOff(e.getMessage());
    } catch (ExecutionException | TimeoutException e) {
      log.debug("Reading the size of etcd's database failed: {}", describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("Probing the cluster store failed", e);
    }
  }

  private void cutOff(String reason) {
    long now = clock.millis();
    if (cutOffSinceMillis == 0) {
      cutOffSinceMillis = now;
      lastCutOffLogMillis = now;
      log.warn("Cut off from the cluster store: {}. Serving revision {} from the flag store; devices are served as usual,"
          + " admin writes are answered with an error until it is back", reason, store.revision());
    } else if (now - lastCutOffLogMillis >= CUT_OFF_LOG_INTERVAL.toMillis()) {
      lastCutOffLogMillis = now;
      log.warn("Still cut off from the cluster store ({}) for {} s, serving revision {}: {}", where, (now - lastContactMillis) / 1000,
          store.revision(), reason);
    }
  }

  // --- reading -------------------------------------------------------------------------------

  private GetResponse get(ByteSequence key, GetOption option) throws StoreException {
    CompletableFuture<GetResponse> future = kv.get(key, option);
    try {
      return future.get(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new StoreException(unreachable("no answer within " + settings.requestTimeout().toMillis() + " ms"));
    } catch (ExecutionException e) {
      throw new StoreException(unreachable(describe(e.getCause())), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while reading the cluster store", e);
    }
  }

  private @Nullable Object json(KeyValue kv) {
    try {
      return Json.parse(kv.getValue().getBytes(), STORED);
    } catch (InvalidDocumentException e) {
      log.warn("Key {} in the cluster store holds no readable JSON and is left out: {}", kv.getKey(), e.getMessage());
      return null;
    }
  }

  private @Nullable FlagDefinition definition(String key, Object json) {
    Map<String, Object> document = Map.of("flags", Map.of(key, json));
    FlagDocumentParser.Result parsed = new FlagDocumentParser(STORED).parse(document);
    FlagDefinition definition = parsed.document().flags().get(key);
    if (definition == null) {
      log.warn("Flag {} in the cluster store does not parse with this version and is left out: {}", key, parsed.problems());
    }
    return definition;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object json) {
    return (Map<String, Object>) json;
  }

  private static Object withoutWriteId(Object json) {
    if (json instanceof Map<?, ?> map && map.containsKey("writeId")) {
      Map<Object, Object> copy = new LinkedHashMap<>(map);
      copy.remove("writeId");
      return copy;
    }
    return json;
  }

  @Override
  public void close() {
    closed = true;
    prober.shutdownNow();
    applier.shutdown();
    try {
      applier.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    applier.shutdownNow();
    if (watcher != null) {
      watcher.close();
    }
    client.close();
  }
}
