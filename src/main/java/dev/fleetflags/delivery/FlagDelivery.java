package dev.fleetflags.delivery;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.fleetflags.eval.AttributeInterner;
import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagProbe;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.Flag;
import dev.fleetflags.eval.FlagSet;
import java.time.Clock;
import dev.fleetflags.protocol.ProgressEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets every connected device its flags, and after each change exactly the devices whose flags
 * changed a delta with the net difference.
 *
 * <p>The broker's callbacks only record facts and queue devices. A device is in the queue at most
 * once: work that arrives while it waits merges into it, so it receives one message with the net
 * result and never a stale intermediate one. Worker threads of our own evaluate, encode and publish
 * through a {@link PacedPublisher} that bounds what the broker holds of ours.
 *
 * <p>Per device the extension remembers what it last sent (revision, state hash, attributes). A change
 * is planned by the {@link FanOutPlanner}, on a thread of its own, in revision order: for every
 * indexed device the changed flags are evaluated before and after; unaffected devices just move
 * to the new revision, affected ones are queued, and the operator is told how many. A worker then
 * recomputes what the device holds from the recent revisions, checks it against the hash it was
 * sent, and sends the difference, or the whole set when it cannot prove what the device holds.
 * Devices are served the newest set whose planning has begun ({@link #serving}), which may trail
 * the live set while changes wait to be planned.
 */
public final class FlagDelivery implements ChangeListener, ConnectedFleet, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FlagDelivery.class);
  /** A SUBACK can be seen a moment before the broker's topic tree has the subscription. */
  private static final int MAX_NOT_SUBSCRIBED_RETRIES = 5;
  private static final long RETRY_DELAY_MILLIS = 20;
  /** How long a SUBACK no connection took waits for its connection's start (see {@link #unclaimed}). */
  private static final Duration UNCLAIMED_FOR = Duration.ofSeconds(10);
  /** The reason a device whose subscription the broker lost is asked to connect again with. */
  private static final String LOST_SUBSCRIPTION =
      "the broker lost this client's subscription to its flag topic; connect and subscribe again";
  /**
   * A device whose update could not be worked out (evaluation, encoding) is retried this often, a
   * snapshot each time, after {@value #FAILURE_DELAY_MILLIS} ms doubling; then it is counted and
   * left until it resubscribes, asks for a resync, or a later change affects it.
   */
  private static final int MAX_FAILURE_RETRIES = 3;
  private static final long FAILURE_DELAY_MILLIS = 100;
  /** How often a running fan-out reports its progress to operators (ProgressEvent). */
  private static final long PROGRESS_EVENT_MILLIS = 500;

  /**
   * @param workerThreads threads that evaluate and publish
   * @param maxInFlight publishes the broker may hold for us at once
   * @param publishRate publishes per second at most; 0 for no limit
   * @param historyRevisions recent flag sets kept to compute deltas from
   * @param offlineDevices devices remembered after they disconnect (what they were last sent)
   * @param progressInterval how often a running fan-out logs its progress
   */
  public record Settings(int workerThreads, int maxInFlight, int publishRate, int historyRevisions,
      int offlineDevices, Duration progressInterval) {

    public static final Settings DEFAULT = new Settings(2, 50_000, 0, 32, 100_000, Duration.ofSeconds(5));
  }

  private final DeviceContexts contexts;
  private final FlagUpdates updates;
  private final PacedPublisher publisher;
  private final DeliveryMetrics metrics;
  private final RevisionHistory history;
  private final AttributeInterner interner = new AttributeInterner(Set.of(DeviceContexts.USERNAME));
  private final DeviceIndex devices = new DeviceIndex();
  /**
   * The state hash a device says it holds (CONNECT or resync) until its next update is worked out,
   * and how often in a row its update found no subscription. Beside the records rather than in
   * them: few devices have either at a time, and the fields would make every record 56 bytes
   * instead of 48. Changed under the record's monitor.
   */
  private final ConcurrentMap<DeviceRecord, Integer> presentedHashes = new ConcurrentHashMap<>();
  private final ConcurrentMap<DeviceRecord, Integer> attempts = new ConcurrentHashMap<>();
  /**
   * The payload bytes an update may take, for devices that stated a maximum packet size (few do):
   * beside the records, which would grow for every device.
   */
  private final ConcurrentMap<DeviceRecord, Integer> payloadLimits = new ConcurrentHashMap<>();
  /** How often in a row working out a device's update failed (see {@link #MAX_FAILURE_RETRIES}). */
  private final ConcurrentMap<DeviceRecord, Integer> failures = new ConcurrentHashMap<>();
  private final LogLimit logLimit = LogLimit.perMinute();
  /** What disconnected devices were last sent: a hint that saves a search when they return. */
  private final Cache<String, Long> offline;
  /**
   * Client ids whose subscription to their flag topic may be a connection's whose start is not
   * reported yet. The broker reports a SUBACK on the connection's event loop and its start on an
   * extension thread, so in a takeover the new connection's SUBACK can come while no connection of
   * its client id is indexed; the new connection would never be served. When the next connection
   * of such a client id starts within {@link #UNCLAIMED_FOR} (the cache's expiry), the broker is
   * asked whether it holds the subscription. (Not kept: a SUBACK that lands on the old
   * connection's record just before that one ends as the last. Its successor could not be told
   * from an ordinary reconnect, which the broker may still hold the old subscription for: the load
   * harness's connects to another topic right after a fan-out were sent flags that way.)
   */
  private final Cache<String, Boolean> unclaimed;
  private final LinkedBlockingQueue<DeviceRecord> queue = new LinkedBlockingQueue<>();
  /**
   * Devices queued, being worked on, or waiting to be retried: counted from enqueue to the end of
   * their processing.
   */
  private final AtomicInteger outstanding = new AtomicInteger();
  /**
   * Publishes handed to the broker whose outcome is not recorded yet: a fan-out is complete only
   * when these are done too, or it would end before its last updates are sent and counted.
   */
  private final AtomicInteger unconfirmed = new AtomicInteger();
  private final FanOutProgress progress;
  private final List<Consumer<ProgressEvent>> progressListeners = new CopyOnWriteArrayList<>();
  private final FleetQueries queries;
  private final FanOutPlanner planner = new FanOutPlanner(this::planChange);
  /**
   * The set devices are served: the newest whose planning has begun. A change's plan and the
   * workers then agree on what is current, as when planning was part of making a change live.
   */
  private volatile FlagSetRevision serving;
  /**
   * The change planned last: a device it affects that held the set before it is sent the update of
   * the changed flags alone, without evaluating its whole set twice (see {@link #updateFromPlan}).
   */
  private volatile @Nullable PlannedChange planned;

  private record PlannedChange(long before, long after, FanOutPlan plan) {}
  /** The worker threads; a worker that dies is replaced in its slot. Guarded by itself. */
  private final List<Thread> workers = new ArrayList<>();
  private final ScheduledExecutorService scheduler;
  private volatile boolean running = true;
  /** The time targeting sees as {@code $flagd.timestamp}, in epoch seconds. */
  private volatile LongSupplier epochSeconds = () -> System.currentTimeMillis() / 1000;
  /** The time boundaries passed lately, newest first (see {@link #timeBoundary}). */
  private volatile long[] boundariesPassed = new long[0];
  private static final int BOUNDARIES_KEPT = 8;
  /** Where the devices each recent change targeted stand: told at a few points below. */
  private final ComplianceTracker compliance;

  public FlagDelivery(LiveFlags live, DeviceContexts contexts, FlagUpdates updates, DevicePublisher publisher,
      Settings settings, DeliveryMetrics metrics) {
    this(live, contexts, updates, publisher, settings, metrics, ComplianceTracker.Settings.DEFAULT);
  }

  public FlagDelivery(LiveFlags live, DeviceContexts contexts, FlagUpdates updates, DevicePublisher publisher,
      Settings settings, DeliveryMetrics metrics, ComplianceTracker.Settings complianceSettings) {
    this.serving = live.current();
    this.contexts = contexts;
    this.updates = updates;
    this.publisher = new PacedPublisher(publisher, settings.maxInFlight(), settings.publishRate());
    this.metrics = metrics;
    this.history = new RevisionHistory(settings.historyRevisions(), live.current());
    this.offline = Caffeine.newBuilder().maximumSize(settings.offlineDevices()).build();
    this.unclaimed = Caffeine.newBuilder().maximumSize(settings.offlineDevices()).expireAfterWrite(UNCLAIMED_FOR).build();
    this.progress = new FanOutProgress(() -> outstanding.get() + unconfirmed.get(), metrics,
        event -> progressListeners.forEach(listener -> listener.accept(event)));
    this.queries = new FleetQueries(devices, updates.includesVariants());
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "fleetflags-delivery-timer"));
    this.compliance = new ComplianceTracker(devices, history, () -> serving, this::fit, complianceSettings, metrics,
        scheduler);
    long interval = settings.progressInterval().toMillis();
    scheduler.scheduleWithFixedDelay(() -> progress.tick(true), interval, interval, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(progress::report, PROGRESS_EVENT_MILLIS, PROGRESS_EVENT_MILLIS, TimeUnit.MILLISECONDS);
    synchronized (workers) {
      for (int i = 0; i < settings.workerThreads(); i++) {
        workers.add(startWorker(i));
      }
    }
  }

  private Thread startWorker(int slot) {
    Thread t = daemon(this::work, "fleetflags-delivery-" + slot);
    t.setUncaughtExceptionHandler((dead, e) -> replaceWorker(slot, dead, e));
    t.start();
    return t;
  }

  /**
   * A worker ended by something thrown where nothing could catch it (handling a failure failed in
   * turn): another takes its place, so delivery never runs out of workers.
   */
  private void replaceWorker(int slot, Thread dead, Throwable e) {
    synchronized (workers) {
      if (!running || workers.get(slot) != dead) {
        return;
      }
      log.error("Delivery worker {} ended unexpectedly ({}); starting another", dead.getName(), e.toString());
      workers.set(slot, startWorker(slot));
    }
  }

  /** The worker threads now (tests: a dead one is replaced). */
  List<Thread> workerThreads() {
    synchronized (workers) {
      return List.copyOf(workers);
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  // --- broker events (broker threads: record and queue only) -----------------------------------

  /**
   * A device connected: {@code d} is this connection's record, new (see {@link
   * DeviceRecord}); {@code presentedHash} is the state hash the device says it holds (CONNECT user
   * property), or null. It is served from now on; a record of another connection with the same
   * client id is set aside until that connection's end is reported (see {@link DeviceIndex}: the
   * broker may report the starts of overlapping connections out of order).
   */
  public void connected(String clientId, DeviceRecord d, ConnectionFacts facts, @Nullable Integer presentedHash) {
    if (!d.clientId.isEmpty()) {
      throw new IllegalArgumentException("a connection's record is used once: " + d.clientId);
    }
    d.clientId = clientId;
    d.facts = interner.intern(contexts.connection(facts));
    if (presentedHash != null) {
      presentedHashes.put(d, presentedHash);
    }
    if (facts.maxPayloadBytes() < ConnectionFacts.NO_LIMIT) {
      payloadLimits.put(d, facts.maxPayloadBytes());
    }
    devices.put(d);
    compliance.connected(d);
    if (unclaimed.asMap().remove(clientId) != null) { // null once expired, too
      claimSubscription(d);
    }
  }

  /**
   * Serves a connection that started after a SUBACK of its client id no indexed connection took,
   * if the broker holds the subscription (see {@link #unclaimed}).
   */
  private void claimSubscription(DeviceRecord d) {
    publisher.holdsSubscription(d.clientId).whenComplete((holds, failure) -> {
      if (failure != null || !Boolean.TRUE.equals(holds)) {
        return; // served when it subscribes
      }
      synchronized (d) {
        if (d.subscribed || devices.get(d.clientId) != d) {
          return; // its own SUBACK came meanwhile, or it ended
        }
        subscriptionAcknowledged(d); // the broker's word stands for its SUBACK
      }
      log.debug("Device '{}': its SUBACK came before its connection's start was reported; the broker holds its"
          + " subscription, so it is served", d.clientId);
    });
  }

  /**
   * A device's connection ended. Returns whether the device is gone: false if another connection
   * with its client id is live (it is served from now on if it was set aside), or if this one was
   * never connected.
   */
  public boolean disconnected(String clientId, DeviceRecord connection) {
    if (!connection.clientId.equals(clientId)) {
      return false;
    }
    DeviceIndex.Removal removal;
    boolean subscribed;
    synchronized (connection) {
      // Under the record's monitor: a subscription reported meanwhile is either this record's, and
      // carried over below, or finds the successor indexed (see withIndexed).
      removal = devices.remove(connection);
      subscribed = connection.subscribed;
    }
    switch (removal) {
      case NOT_HELD -> {
        return false;
      }
      case DISPLACED -> forget(connection, false);
      case LAST -> {
        forget(connection, true);
        return true;
      }
      case REPLACED -> {
        forget(connection, false);
        withIndexed(clientId, successor -> takeOver(successor, subscribed));
      }
    }
    return false;
  }

  /**
   * A connection set aside is served again, as its client id's indexed one ended: it starts afresh
   * with a snapshot if the client id's subscription exists (a SUBACK reported while another record
   * was indexed is the session's, so it counts for this connection too). What it presented and what
   * it was sent before are not relied on: publishes to the client id reached whichever connection
   * was live meanwhile. Caller holds its monitor.
   */
  private void takeOver(DeviceRecord d, boolean subscribed) {
    d.subscribed |= subscribed;
    presentedHashes.remove(d);
    attempts.remove(d);
    failures.remove(d);
    d.sentRevision = DeviceRecord.NOTHING_SENT;
    d.sentAttributes = null;
    DeviceContext attributes = d.attributes;
    if (attributes != null && attributes != d.facts) {
      interner.release(attributes);
    }
    d.attributes = null; // built again from the registry on its next delivery
    if (d.subscribed) {
      d.wantSnapshot = true;
      enqueue(d);
    }
  }

  /** Releases what a connection's record holds; once per record, when its connection ended. */
  private void forget(DeviceRecord d, boolean deviceGone) {
    long sent;
    DeviceContext attributes;
    synchronized (d) {
      sent = d.sentRevision;
      d.subscribed = false;
      attributes = d.attributes;
      // Nothing of its own left to release: a late worker reads these, and builds nothing new.
      d.attributes = d.facts;
      presentedHashes.remove(d);
      attempts.remove(d);
      failures.remove(d);
      payloadLimits.remove(d);
    }
    if (deviceGone && sent != DeviceRecord.NOTHING_SENT) {
      offline.put(d.clientId, sent);
    }
    compliance.gone(d, devices.get(d.clientId), sent != DeviceRecord.NOTHING_SENT);
    interner.release(d.facts);
    if (attributes != null && attributes != d.facts) {
      interner.release(attributes);
    }
  }

  /**
   * Runs {@code action} on the client id's indexed record, under its monitor, while it is the
   * indexed one: an event of a device never lands on a record that has just been replaced.
   * Returns whether a record was indexed.
   */
  private boolean withIndexed(String clientId, Consumer<DeviceRecord> action) {
    for (DeviceRecord d = devices.get(clientId); d != null; d = devices.get(clientId)) {
      synchronized (d) {
        if (devices.get(clientId) == d) {
          action.accept(d);
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The device's subscription to its own flag topic exists. If no connection of the client id is
   * indexed, it is kept a few seconds for the connection whose start is still to be reported.
   */
  public void subscribed(String clientId) {
    if (!withIndexed(clientId, this::subscriptionAcknowledged)) {
      unclaimed.put(clientId, Boolean.TRUE);
    }
  }

  /** The connection's subscription exists: it is sent its set. Caller holds its monitor. */
  private void subscriptionAcknowledged(DeviceRecord d) {
    d.subscribed = true;
    d.subscriptionAcknowledged = true;
    d.subscriptionRestored = false;
    d.wantSnapshot = true;
    attempts.remove(d);
    failures.remove(d);
    enqueue(d);
  }

  /** The device unsubscribed from its flag topic. */
  public void unsubscribed(String clientId) {
    withIndexed(clientId, d -> {
      d.subscribed = false;
      d.subscriptionAcknowledged = false;
      d.wantSnapshot = false;
      d.wantSync = false;
      d.sentRevision = DeviceRecord.NOTHING_SENT;
    });
  }

  /**
   * The device asked for its set, saying which state hash it holds (null: none). If it is not
   * subscribed yet, the hash is kept for its subscription.
   */
  public void resync(String clientId, @Nullable Integer presentedHash) {
    withIndexed(clientId, d -> {
      if (presentedHash == null) {
        presentedHashes.remove(d);
      } else {
        presentedHashes.put(d, presentedHash);
      }
      if (d.subscribed) {
        d.wantSnapshot = true;
        attempts.remove(d);
        enqueue(d);
      }
    });
  }

  /**
   * What a connected device's connection says about it (allowed user properties, username), as
   * attributes without a targeting key; null if it is not connected.
   */
  public @Nullable DeviceContext connectionAttributes(String clientId) {
    DeviceRecord d = devices.get(clientId);
    return d == null ? null : d.facts;
  }

  // --- changes (handed over by the admin thread, planned on the planner's) ----------------------

  /** Hands the change to the planner and returns at once; the future completes when it is planned. */
  @Override
  public CompletableFuture<Integer> onChange(FlagChange change) {
    return planner.submit(change);
  }

  @Override
  public int changesWaiting() {
    return planner.waiting();
  }

  /**
   * Tells {@code listener} of every fan-out's progress: at most every 500 ms while it runs, and
   * once when it is complete. Called on delivery's threads; it must return at once.
   */
  public void addProgressListener(Consumer<ProgressEvent> listener) {
    progressListeners.add(listener);
  }

  @Override
  public CompletableFuture<Affected> affectedBy(FlagChange change, int sample) {
    return queries.affectedBy(change, sample);
  }

  @Override
  public CompletableFuture<DevicePage> devices(DeviceQuery query) {
    return queries.devices(query);
  }

  /** Plans one change (planner thread): from now on it is what devices are served. */
  private int planChange(FlagChange change) {
    history.add(change.after());
    compliance.planning(change);
    serving = change.after();
    long after = change.after().revision();
    progress.planning(after);
    int affected = 0;
    try {
      affected = plan(change);
    } finally {
      progress.planned(after, affected, devices.size());
    }
    return affected;
  }

  /** Queues the devices a change affects, marks the others current; returns how many it affects. */
  private int plan(FlagChange change) {
    long before = change.before().revision();
    long after = change.after().revision();
    long now = epochSeconds.getAsLong();
    int affected = 0;
    PlanFailures failed = new PlanFailures(after);
    for (String id : change.changedDevices()) {
      DeviceRecord d = devices.get(id);
      try {
        if (d != null && refreshContext(d, change.after())) {
          affected++;
          compliance.targeted(d);
        }
      } catch (Throwable e) {
        failed.add(d, e);
      }
    }
    FanOutPlan plan = new FanOutPlan(change.before().flagSet(), change.after().flagSet(),
        change.changedFlags(), change.removedFlags(), updates.includesVariants());
    planned = plan.coversWholeSet() ? new PlannedChange(before, after, plan) : null;
    Walk walk = new Walk(plan, before, after, now, failed);
    Set<String> refreshed = change.changedDevices();
    boolean anyRefreshed = !refreshed.isEmpty();
    for (DeviceRecord d : devices.values()) {
      if (anyRefreshed && refreshed.contains(d.clientId)) {
        continue; // refreshed above; its sync covers this change too
      }
      if (planDevice(d, walk)) {
        affected++;
      }
    }
    failed.log();
    return affected;
  }

  /** What a plan's walk over the fleet shares between its devices. */
  private static final class Walk {
    final FanOutPlan plan;
    final long before;
    final long after;
    final long now;
    final PlanFailures failed;
    /** One probe for the whole walk, made again after an evaluation that threw. */
    FlagProbe probe;

    Walk(FanOutPlan plan, long before, long after, long now, PlanFailures failed) {
      this.plan = plan;
      this.before = before;
      this.after = after;
      this.now = now;
      this.failed = failed;
      this.probe = new FlagProbe(DeviceContext.empty(), now);
    }
  }

  /**
   * One device of a plan's walk: queued if the change affects it or it is behind, marked current
   * if not; returns whether the change alters its flags. A method of its own, small, so that the JIT
   * compiles it from the first change (it runs once per device), where the walk's loop, run once
   * per change, would wait for many changes.
   */
  private boolean planDevice(DeviceRecord d, Walk walk) {
    DeviceContext attributes;
    boolean holdsBefore;
    synchronized (d) {
      if (!d.subscribed || d.sentRevision == DeviceRecord.NOTHING_SENT || d.sentRevision >= walk.after) {
        return false; // nothing sent yet, or already sent this revision or a newer one
      }
      attributes = d.attributes;
      holdsBefore = !d.hasWork() && d.sentRevision == walk.before && attributes != null
          && d.sentAttributes == attributes;
      if (!holdsBefore && !d.hasWork()) {
        d.wantSync = true; // behind: its sync covers this change too
        enqueue(d);
      }
    }
    // Also for devices already queued, which this change merges into: the operator is told how
    // many devices the change itself alters, not how many happen to be waiting.
    boolean hit;
    FanOutPlan plan = walk.plan;
    PayloadFit fit = fit(d);
    List<String> unfit = List.of();
    try {
      hit = attributes != null && !plan.isEmpty()
          && plan.affects(walk.probe.moveTo(attributes, d.clientId, walk.now), fit);
      if (fit.limited() && !hit && holdsBefore && !plan.isEmpty()) {
        unfit = plan.leftOut(walk.probe, fit); // reported below if no worker does (it sends nothing)
      }
    } catch (Throwable e) {
      // Not counted: a worker works it out from here (or fails, retries and counts it).
      walk.failed.add(d, e);
      walk.probe = new FlagProbe(DeviceContext.empty(), walk.now);
      synchronized (d) {
        if (d.subscribed && !d.hasWork()) {
          d.wantSync = true;
          enqueue(d);
        }
      }
      return false;
    }
    if (hit) {
      compliance.targeted(d); // before its update can be queued below
    }
    if (!holdsBefore) {
      return hit;
    }
    synchronized (d) {
      if (d.hasWork() || d.sentRevision != walk.before || d.sentAttributes != attributes) {
        if (!d.hasWork() && d.sentRevision != walk.after && d.subscribed) {
          d.wantSync = true;
          enqueue(d);
        }
      } else if (hit) {
        d.wantSync = true;
        enqueue(d);
      } else {
        d.sentRevision = walk.after; // nothing it holds changed
      }
      if (d.hasWork()) {
        unfit = List.of(); // its worker reports what it leaves out
      }
    }
    reportLeftOut(d, fit, unfit);
    return hit;
  }

  /** Devices whose evaluation threw while a change was planned: logged once per plan. */
  private static final class PlanFailures {
    private final long revision;
    private int count;
    private @Nullable String first;

    PlanFailures(long revision) {
      this.revision = revision;
    }

    void add(@Nullable DeviceRecord d, Throwable e) {
      if (count++ == 0) {
        first = (d == null ? "?" : d.clientId) + ": " + e;
      }
    }

    void log() {
      if (count > 0) {
        log.error("Planning revision {}: {} devices could not be evaluated (first {}); they are not counted"
            + " as affected and are queued for a worker to work out", revision, count, first);
      }
    }
  }

  /** Rebuilds a device's context after its registry attributes changed; true if they alter its set. */
  private boolean refreshContext(DeviceRecord d, FlagSetRevision after) {
    synchronized (d) {
      DeviceContext old = d.attributes;
      if (old == null) {
        return false; // built on its first delivery, from the new attributes
      }
      if (devices.get(d.clientId) != d) {
        return false; // gone (being forgotten): it holds nothing more
      }
      DeviceContext fresh = ownAttributes(d);
      d.attributes = fresh;
      if (old != d.facts) {
        interner.release(old);
      }
      if (!d.subscribed || d.sentRevision == DeviceRecord.NOTHING_SENT) {
        return false;
      }
      d.wantSync = true;
      enqueue(d);
      // Whether the attributes alter its flags; an update it waits for anyway does not count.
      FlagSet flags = after.flagSet();
      PayloadFit fit = fit(d);
      return fit.stateHash(flags.evaluate(fresh.withTargetingKey(d.clientId)))
          != fit.stateHash(flags.evaluate(old.withTargetingKey(d.clientId)));
    }
  }

  // --- the queue and its workers ---------------------------------------------------------------

  /** Caller holds the record's monitor. */
  private void enqueue(DeviceRecord d) {
    if (!d.queued) {
      d.queued = true;
      outstanding.incrementAndGet();
      queue.add(d);
    }
  }

  /** Devices queued, being worked on, or waiting to be retried. */
  public int pending() {
    return outstanding.get();
  }

  /** Connected devices known to delivery. */
  public int deviceCount() {
    return devices.size();
  }

  /** Publishes handed to the broker and not yet completed. */
  public int inFlight() {
    return publisher.inFlight();
  }

  /** Distinct attribute values held for connected devices (each stored once, shared among them). */
  public int attributeValues() {
    return interner.values();
  }

  /**
   * Waits until no change waits to be planned and no device is queued, being worked on, or awaiting
   * its publish; false on timeout.
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (planner.waiting() > 0 || pending() > 0 || unconfirmed.get() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(2);
    }
    return true;
  }

  private void work() {
    FlagProbe probe = new FlagProbe(DeviceContext.empty(), 0); // this worker's, for updates from a plan
    while (running) {
      DeviceRecord d;
      try {
        d = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      boolean worked = false;
      try {
        process(d, probe);
        worked = true;
      } catch (InterruptedException e) {
        return;
      } catch (Throwable e) {
        // Whatever evaluating or encoding one device's update throws (OutOfMemoryError too) is
        // that device's failure: the worker goes on with the others.
        failed(d, e);
      } finally {
        done(d, worked);
        if (outstanding.decrementAndGet() == 0) {
          progress.tick(false);
        }
      }
    }
  }

  /**
   * A worker is done with the device: work that arrived meanwhile queues it again (never another
   * worker at the same time, so two of its updates are never worked out or published at once).
   * So does a newer set served meanwhile, once {@code worked} out: its plan may have passed the
   * device while the worker worked out an update from the set before (a device sent nothing yet
   * is left to its worker), and nothing else would bring it the change. A device whose update
   * failed waits for its retry instead.
   */
  private void done(DeviceRecord d, boolean worked) {
    synchronized (d) {
      d.queued = false;
      if (worked && !d.hasWork() && d.sentRevision != DeviceRecord.NOTHING_SENT
          && d.sentRevision < serving.revision()) {
        d.wantSync = true;
      }
      if (d.hasWork() && d.subscribed && devices.get(d.clientId) == d) {
        enqueue(d);
      }
    }
  }

  /** Working out the device's update threw: retry it (bounded), then count it and leave it. */
  private void failed(DeviceRecord d, Throwable e) {
    int failed;
    synchronized (d) {
      if (!d.subscribed || devices.get(d.clientId) != d) {
        return; // gone meanwhile: nothing to retry
      }
      failed = failures.merge(d, 1, Integer::sum);
      if (failed > MAX_FAILURE_RETRIES) {
        failures.remove(d);
      }
    }
    if (failed <= MAX_FAILURE_RETRIES) {
      // What it holds is uncertain now; a snapshot is always right.
      retryLater(d, FAILURE_DELAY_MILLIS << (failed - 1));
      return;
    }
    metrics.deliveryFailed();
    if (logLimit.admit(d.clientId) != null) {
      String cause = e instanceof VirtualMachineError ? e.toString() : e.toString() + " at " + firstFrame(e);
      log.error("Could not work out the flags of device '{}' ({} attempts): {}; it gets its set when it"
          + " resubscribes, asks for a resync, or a later change affects it", d.clientId, failed, cause);
    }
  }

  private static String firstFrame(Throwable e) {
    StackTraceElement[] trace = e.getStackTrace();
    return trace.length == 0 ? "(no stack trace)" : trace[0].toString();
  }

  /**
   * Queues the device for a snapshot after a pause, if it is still subscribed then. Until then it
   * counts as outstanding: delivery is not idle, nor a fan-out complete, while a retry waits.
   */
  private void retryLater(DeviceRecord d, long delayMillis) {
    outstanding.incrementAndGet();
    try {
      scheduler.schedule(() -> {
        try {
          synchronized (d) {
            if (d.subscribed && devices.get(d.clientId) == d) {
              d.wantSnapshot = true;
              enqueue(d);
            }
          }
        } finally {
          if (outstanding.decrementAndGet() == 0) {
            progress.tick(false);
          }
        }
      }, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      outstanding.decrementAndGet();
    }
  }

  private void process(DeviceRecord d, FlagProbe probe) throws InterruptedException {
    boolean snapshot;
    Integer presented;
    long sentRevision;
    int sentHash;
    DeviceContext sentAttributes;
    synchronized (d) {
      if (!d.subscribed || devices.get(d.clientId) != d || !d.hasWork()) {
        d.wantSnapshot = false;
        d.wantSync = false;
        return;
      }
      snapshot = d.wantSnapshot;
      d.wantSnapshot = false;
      d.wantSync = false;
      presented = presentedHashes.remove(d);
      sentRevision = d.sentRevision;
      sentHash = d.sentHash;
      sentAttributes = d.sentAttributes;
    }
    FlagSetRevision current = serving;
    PayloadFit fit = fit(d);
    DeviceContext attributes = attributes(d);
    long now = epochSeconds.getAsLong();
    if (!snapshot && attributes == sentAttributes && fit == PayloadFit.ANY
        && updateFromPlan(d, probe, presented, current.revision(), sentRevision, sentHash, attributes, now)) {
      return;
    }
    DeviceContext context = attributes.withTargetingKey(d.clientId);
    Evaluation target = current.flagSet().evaluate(context, now);
    int hash = fit.stateHash(target);

    // What the device holds, if it can be shown; else it gets the whole set.
    Evaluation held = null;
    if (snapshot) {
      if (presented != null) {
        held = presented == hash ? target : recall(d.clientId, presented, context, now, fit);
      }
    } else {
      FlagSetRevision sent = history.get(sentRevision);
      if (sent != null && sentAttributes != null) {
        held = heldAt(sent.flagSet(), sentAttributes.withTargetingKey(d.clientId), sentHash, now, fit);
      }
    }

    List<FlagUpdates.FlagValue> changed = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    Kind kind;
    if (held == null) {
      kind = Kind.SNAPSHOT;
    } else {
      diff(held, target, changed, removed, fit);
      if (changed.isEmpty() && removed.isEmpty()) {
        if (!snapshot) {
          synchronized (d) {
            d.sentRevision = current.revision();
            d.sentAttributes = attributes;
          }
          compliance.unchanged(d, current.revision());
          return; // nothing it holds changed
        }
        kind = Kind.CONFIRMATION;
      } else {
        kind = Kind.DELTA;
      }
    }
    List<byte[]> parts = fit.limited()
        ? limitedUpdate(d, fit, current.revision(), kind, held, target, changed, removed, hash)
        : List.of(switch (kind) {
          case SNAPSHOT -> updates.snapshot(current.revision(), target);
          case CONFIRMATION -> updates.current(current.revision(), hash);
          case DELTA -> updates.delta(current.revision(), changed, removed, hash);
        });
    synchronized (d) {
      d.sentRevision = current.revision();
      d.sentHash = hash;
      d.sentAttributes = attributes;
    }
    if (parts.size() > 1) {
      metrics.split(parts.size());
    }
    for (int i = 0; i < parts.size(); i++) {
      publish(d, presented, i == 0 ? kind : Kind.DELTA, parts.get(i), i == parts.size() - 1 ? current.revision() : -1);
    }
  }

  /**
   * The update of a device that holds the set before the change planned last and is served the set
   * after it, worked out from the plan: only the changed flags are evaluated, and the state hash
   * follows from the one it was sent (a whole-set evaluation, twice, costs a fan-out most of its
   * CPU otherwise). Returns false, doing nothing, where that does not apply.
   */
  private boolean updateFromPlan(DeviceRecord d, FlagProbe probe, @Nullable Integer presented, long revision,
      long sentRevision, int sentHash, DeviceContext attributes, long now) throws InterruptedException {
    PlannedChange change = planned;
    if (change == null || change.before() != sentRevision || change.after() != revision) {
      return false;
    }
    List<FlagUpdates.FlagValue> changed = new ArrayList<>(2);
    List<String> removed = new ArrayList<>(0);
    int hash = sentHash + change.plan().update(probe.moveTo(attributes, d.clientId, now), changed, removed);
    if (changed.isEmpty() && removed.isEmpty()) {
      synchronized (d) {
        d.sentRevision = revision; // nothing it holds changed
      }
      compliance.unchanged(d, revision);
      return true;
    }
    byte[] delta = updates.delta(revision, changed, removed, hash);
    synchronized (d) {
      d.sentRevision = revision;
      d.sentHash = hash;
    }
    publish(d, presented, Kind.DELTA, delta, revision);
    return true;
  }

  /**
   * Hands one update to the publisher; its outcome is recorded when the broker has it. {@code
   * revision} is that of the update's last part, -1 for the others.
   */
  private void publish(DeviceRecord d, @Nullable Integer presented, Kind kind, byte[] payload, long revision)
      throws InterruptedException {
    unconfirmed.incrementAndGet();
    CompletableFuture<Boolean> published;
    try {
      published = publisher.publish(d.clientId, payload);
    } catch (InterruptedException e) {
      unconfirmed.decrementAndGet();
      throw e;
    }
    published.whenComplete((taken, failure) -> {
      try {
        recordOutcome(d, presented, kind, payload.length, taken, failure);
        if (revision >= 0 && failure == null && Boolean.TRUE.equals(taken)) {
          compliance.delivered(d, revision);
        }
      } finally {
        if (unconfirmed.decrementAndGet() == 0) {
          progress.tick(false);
        }
      }
    });
  }

  /** What the device can receive: everything, unless it stated a maximum packet size. */
  private PayloadFit fit(DeviceRecord d) {
    if (payloadLimits.isEmpty()) {
      return PayloadFit.ANY;
    }
    Integer limit = payloadLimits.get(d);
    return limit == null ? PayloadFit.ANY : PayloadFit.of(limit, updates);
  }

  /** Counts the values a device cannot get for its payload limit, and logs them (once a minute). */
  private void reportLeftOut(DeviceRecord d, PayloadFit fit, List<String> leftOut) {
    if (leftOut.isEmpty()) {
      return;
    }
    metrics.leftOut(leftOut.size());
    if (logLimit.admit(d.clientId) != null) {
      log.warn("Device '{}' can take updates of {} bytes of payload (its maximum packet size less the PUBLISH"
          + " header): flag{} {} cannot fit and {} left out of its updates; it uses its own default{}",
          d.clientId, fit.limit(), leftOut.size() == 1 ? "" : "s", leftOut, leftOut.size() == 1 ? "is" : "are",
          leftOut.size() == 1 ? "" : "s");
    }
  }

  /**
   * The update of a device with a payload limit, in as many parts as it takes (see {@link
   * UpdateParts}); values that cannot fit at all are left out, counted and logged. None if not even
   * an update without flags fits.
   */
  private List<byte[]> limitedUpdate(DeviceRecord d, PayloadFit fit, long revision, Kind kind, @Nullable Evaluation held,
      Evaluation target, List<FlagUpdates.FlagValue> changed, List<String> removed, int hash) {
    reportLeftOut(d, fit, fit.leftOut(held, target));
    List<byte[]> parts;
    if (kind == Kind.CONFIRMATION) {
      byte[] confirmation = updates.current(revision, hash);
      parts = confirmation.length <= fit.limit() ? List.of(confirmation) : List.of();
    } else if (kind == Kind.SNAPSHOT) {
      for (int i = 0; i < target.size(); i++) {
        int v = fit.variant(target, i);
        if (v >= 0) {
          changed.add(new FlagUpdates.FlagValue(target.flag(i), v));
        }
      }
      parts = UpdateParts.of(updates, revision, true, changed, removed, 0, key -> 0, fit.limit());
    } else {
      Evaluation before = Objects.requireNonNull(held);
      int heldHash = fit.stateHash(before);
      parts = UpdateParts.of(updates, revision, false, changed, removed, heldHash, key -> {
        int i = before.flagSet().indexOf(key);
        int v = i < 0 ? -1 : fit.variant(before, i);
        return v < 0 ? 0 : before.flag(i).entryHash(v);
      }, fit.limit());
    }
    if (parts.isEmpty()) {
      metrics.deliveryFailed();
      if (logLimit.admit(d.clientId) != null) {
        log.warn("Device '{}' can take updates of {} bytes of payload (its maximum packet size less the PUBLISH"
            + " header): not even an update without flags fits; it gets none", d.clientId, fit.limit());
      }
    }
    return parts;
  }

  private void recordOutcome(DeviceRecord d, @Nullable Integer presented, Kind kind, int bytes,
      @Nullable Boolean taken, @Nullable Throwable failure) {
    if (failure != null) {
      if (logLimit.admit(d.clientId) != null) {
        log.warn("Could not publish flags to device '{}': {}", d.clientId, failure.toString());
      }
      metrics.failed();
      if (!lost(d, null)) {
        metrics.deliveryFailed();
      }
    } else if (!Boolean.TRUE.equals(taken)) {
      if (!lost(d, presented)) {
        subscriptionGone(d);
      }
    } else {
      attempts.remove(d);
      failures.remove(d);
      progress.sent();
      switch (kind) {
        case SNAPSHOT -> metrics.snapshot(bytes);
        case DELTA -> metrics.delta(bytes);
        case CONFIRMATION -> metrics.confirmed(bytes);
      }
    }
  }

  private enum Kind { SNAPSHOT, DELTA, CONFIRMATION }

  /**
   * The broker did not take the update (no subscription yet, or any more, or the publish failed):
   * retry a snapshot briefly. Returns whether it is retried, false if it was retried enough (or
   * the device unsubscribed).
   */
  private boolean lost(DeviceRecord d, @Nullable Integer presented) {
    synchronized (d) {
      d.sentRevision = DeviceRecord.NOTHING_SENT;
      if (!d.subscribed || attempts.merge(d, 1, Integer::sum) > MAX_NOT_SUBSCRIBED_RETRIES) {
        return false;
      }
      if (presented != null) {
        presentedHashes.put(d, presented);
      }
    }
    retryLater(d, RETRY_DELAY_MILLIS);
    return true;
  }

  /**
   * The broker took none of a subscribed device's updates, also when retried. If the broker had
   * acknowledged the device's own subscription, it has lost it since: HiveMQ's clean-up of a
   * clean session that ended runs on its persistence threads and, when it runs late, removes the
   * subscription a reconnected connection with the same client id has just made. The device
   * would wait for its set forever. Its subscription is added again on the broker's side, which
   * the device does not notice; if the broker still takes nothing, the device is asked to connect
   * again, and subscribes again. Once per acknowledged subscription.
   */
  private void subscriptionGone(DeviceRecord d) {
    boolean restore;
    synchronized (d) {
      if (!d.subscribed || !d.subscriptionAcknowledged || devices.get(d.clientId) != d) {
        return;
      }
      restore = !d.subscriptionRestored;
      d.subscriptionRestored = true;
      d.subscriptionAcknowledged = restore;
    }
    metrics.subscriptionLost();
    if (!restore) {
      if (logLimit.admit(d.clientId) != null) {
        log.warn("Device '{}': the broker still holds no subscription to its flag topic after it was added again;"
            + " the device is asked to connect again, and gets its set when it subscribes again", d.clientId);
      }
      publisher.reconnect(d.clientId, LOST_SUBSCRIPTION);
      return;
    }
    if (logLimit.admit(d.clientId) != null) {
      log.warn("Device '{}' subscribed to its flag topic and the broker acknowledged it, but the broker holds no"
          + " subscription for it now (as when its clean-up of the client id's previous session removes it):"
          + " adding it again", d.clientId);
    }
    publisher.restoreSubscription(d.clientId).whenComplete((restored, failure) -> {
      boolean holds = failure == null && Boolean.TRUE.equals(restored);
      synchronized (d) {
        if (!d.subscribed || devices.get(d.clientId) != d) {
          return;
        }
        attempts.remove(d);
        if (holds) {
          d.wantSnapshot = true;
          enqueue(d);
          return;
        }
        d.subscriptionAcknowledged = false;
      }
      log.warn("Device '{}': its subscription could not be added again ({}); it is asked to connect again",
          d.clientId, failure != null ? failure.toString() : "the broker has no session for it");
      publisher.reconnect(d.clientId, LOST_SUBSCRIPTION);
    });
  }

  /**
   * The evaluation the device holds, found among recent revisions by the hash it presents: first
   * the revision it was last sent before it disconnected, then the others, newest first.
   */
  private @Nullable Evaluation recall(String clientId, int presented, DeviceContext context, long now, PayloadFit fit) {
    Long hint = offline.getIfPresent(clientId);
    if (hint != null) {
      FlagSetRevision r = history.get(hint);
      if (r != null) {
        Evaluation e = heldAt(r.flagSet(), context, presented, now, fit);
        if (e != null) {
          return e;
        }
      }
    }
    for (FlagSetRevision r : history.all()) {
      Evaluation e = heldAt(r.flagSet(), context, presented, now, fit);
      if (e != null) {
        return e;
      }
    }
    return null;
  }

  /**
   * The flags whose delivery differs between {@code held} and {@code target}, by key, of the
   * values the device can receive.
   */
  private void diff(Evaluation held, Evaluation target, List<FlagUpdates.FlagValue> changed, List<String> removed,
      PayloadFit fit) {
    boolean variants = updates.includesVariants();
    int i = 0;
    int j = 0;
    while (i < held.size() || j < target.size()) {
      int order = i >= held.size() ? 1 : j >= target.size() ? -1
          : held.flag(i).key().compareTo(target.flag(j).key());
      if (order < 0) {
        if (fit.variant(held, i) >= 0) {
          removed.add(held.flag(i).key());
        }
        i++;
      } else if (order > 0) {
        int b = fit.variant(target, j);
        if (b >= 0) {
          changed.add(new FlagUpdates.FlagValue(target.flag(j), b));
        }
        j++;
      } else {
        int a = fit.variant(held, i);
        int b = fit.variant(target, j);
        Flag f = target.flag(j);
        if (b < 0) {
          if (a >= 0) {
            removed.add(f.key());
          }
        } else if (a < 0 || !FanOutPlan.sameDelivery(held.flag(i), a, f, b, variants)) {
          changed.add(new FlagUpdates.FlagValue(f, b));
        }
        i++;
        j++;
      }
    }
  }

  /**
   * The device's attributes, built on first use under its monitor, so a registry change cannot
   * race it.
   */
  private DeviceContext attributes(DeviceRecord d) {
    DeviceContext a = d.attributes;
    if (a != null) {
      return a;
    }
    synchronized (d) {
      if (d.attributes == null) {
        d.attributes = ownAttributes(d);
      }
      return d.attributes;
    }
  }

  /**
   * The device's attributes as the registry now has them: its connection's own (nothing more to
   * hold) if the registry has none for it, else interned of their own. Caller holds its monitor.
   */
  private DeviceContext ownAttributes(DeviceRecord d) {
    DeviceContext attributes = contexts.attributes(d.clientId, d.facts);
    return attributes == d.facts ? attributes : interner.intern(attributes);
  }

  // --- time boundaries (a timer's thread hands them over; planned on the planner's) ------------

  /** The time targeting sees ({@code $flagd.timestamp}): the system's unless set here (tests, and the boundaries' timer). */
  public void useClock(Clock clock) {
    epochSeconds = () -> clock.millis() / 1000;
  }

  /**
   * A time boundary passed: the flags {@code keys}, whose targeting compares {@code
   * $flagd.timestamp} with a constant, may give connected devices other values from second {@code
   * boundary} on (now, if later) than at the second before it. Planned on the planner like a
   * change, in order with changes, but without a new revision (the flags did not change, the time
   * did): every subscribed device that holds the current revision is evaluated at both seconds,
   * and those whose delivered values differ are queued and get a delta; the others nothing. The
   * future completes with how many it queued.
   */
  public CompletableFuture<Integer> timeBoundary(long boundary, List<String> keys) {
    long[] passed = boundariesPassed;
    long[] next = new long[Math.min(passed.length + 1, BOUNDARIES_KEPT)];
    next[0] = boundary;
    System.arraycopy(passed, 0, next, 1, next.length - 1);
    boundariesPassed = next;
    return planner.submit(() -> planBoundary(boundary, keys));
  }

  private int planBoundary(long boundary, List<String> keys) {
    long before = boundary - 1;
    FlagSetRevision current = serving;
    FlagSet set = current.flagSet();
    long after = Math.max(boundary, epochSeconds.getAsLong());
    int[] flags = keys.stream().mapToInt(set::indexOf).filter(i -> i >= 0).toArray();
    if (flags.length == 0) {
      return 0;
    }
    progress.planning(current.revision());
    int affected = 0;
    try {
      FlagProbe then = new FlagProbe(DeviceContext.empty(), before);
      FlagProbe now = new FlagProbe(DeviceContext.empty(), after);
      boolean variants = updates.includesVariants();
      for (DeviceRecord d : devices.values()) {
        DeviceContext attributes;
        synchronized (d) {
          // Behind (a change will sync it) or already queued: its update is worked out at the time anyway.
          if (!d.subscribed || d.hasWork() || d.sentRevision != current.revision() || d.attributes == null
              || d.sentAttributes != d.attributes) {
            continue;
          }
          attributes = d.attributes;
        }
        boolean hit = false;
        try {
          then.moveTo(attributes, d.clientId, before);
          now.moveTo(attributes, d.clientId, after);
          for (int i = 0; i < flags.length && !hit; i++) {
            Flag flag = set.flag(flags[i]);
            int a = then.variantIndex(set, flags[i]);
            int b = now.variantIndex(set, flags[i]);
            hit = a != b && (a < 0 || b < 0 || !FanOutPlan.sameDelivery(flag, a, flag, b, variants));
          }
        } catch (Throwable e) {
          hit = true; // a worker works it out, or fails and counts it
          then = new FlagProbe(DeviceContext.empty(), before);
          now = new FlagProbe(DeviceContext.empty(), after);
        }
        if (hit) {
          synchronized (d) {
            if (d.subscribed && !d.hasWork()) {
              d.wantSync = true;
              enqueue(d);
            }
          }
          affected++;
        }
      }
    } finally {
      progress.planned(current.revision(), affected, devices.size());
    }
    log.info("Time boundary {} passed for flag{} {}: {} of {} indexed devices get another value", Instant.ofEpochSecond(boundary),
        keys.size() == 1 ? "" : "s", keys, affected, devices.size());
    return affected;
  }

  /**
   * What a device holds of {@code flags} if its state hash is {@code hash}: evaluated now, or, for
   * flags that read the time, just before one of the time boundaries passed lately (a device sent
   * its update before a boundary holds the values of then); null if none matches.
   */
  private @Nullable Evaluation heldAt(FlagSet flags, DeviceContext context, int hash, long now, PayloadFit fit) {
    Evaluation e = flags.evaluate(context, now);
    if (fit.stateHash(e) == hash || !flags.timeDependent()) {
      return fit.stateHash(e) == hash ? e : null;
    }
    for (long boundary : boundariesPassed) {
      if (boundary <= now) {
        e = flags.evaluate(context, boundary - 1);
        if (fit.stateHash(e) == hash) {
          return e;
        }
      }
    }
    return null;
  }

  /** Where the devices each recent change targeted stand, and what they hold; acks go here. */
  public ComplianceTracker compliance() {
    return compliance;
  }

  @Override
  public void close() {
    running = false;
    compliance.close();
    planner.close();
    queries.close();
    scheduler.shutdownNow();
    synchronized (workers) {
      for (Thread t : workers) {
        t.interrupt();
      }
    }
  }
}
