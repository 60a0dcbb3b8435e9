package dev.fleetflags.delivery;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagProbe;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts, for the newest revisions, where every device each of them targeted stands: delivery
 * tells it which devices a change targets (as it plans it), when the broker took a device's update,
 * and when a later change made an update unnecessary; devices tell it, in their acks, whether they
 * applied, rejected or failed. {@link FlagDelivery} calls it at those few points.
 *
 * <p>The newest revisions are kept in a window of at most {@value #MAX_REVISIONS} slots; what a
 * device owes each of them is a few bits in the {@link AckLedger}, and only while it owes
 * something or applied one of them. Counts are kept per revision, under its own monitor, changed
 * together with the bits (under the ledger's), so every targeted device is in exactly one state.
 * A revision leaving the window frees its slot: its bits are cleared, its figures are gone.
 *
 * <p>Acks arrive on broker threads ({@link #offer}): checked for the device's rate there, then
 * decoded and counted on a thread of this tracker's own. Per-flag holdings are counted on another,
 * so that a walk over a large fleet holds up neither acks nor the caller.
 */
public final class ComplianceTracker implements FleetCompliance, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ComplianceTracker.class);
  /** Slots of the window: three marks per slot fit one {@code long} of the ledger. */
  public static final int MAX_REVISIONS = 16;
  private static final int DELIVERED = 16;
  private static final int APPLIED = 32;
  private static final long SLOTS = (1L << MAX_REVISIONS) - 1;
  /** Acks waiting to be counted, at most; beyond, they are dropped (and counted as dropped). */
  private static final int ACK_QUEUE = 10_000;
  /** A holdings walk stops after this long and says it is incomplete. */
  static final long WALK_NANOS = TimeUnit.SECONDS.toNanos(2);

  /**
   * @param revisions revisions tracked (1 to {@value #MAX_REVISIONS})
   * @param departures departed devices remembered (for the disconnect figures), the oldest forgotten first
   * @param clock the time of every timestamp and of the acks' rate
   */
  public record Settings(int revisions, int departures, Clock clock) {

    public static final Settings DEFAULT = new Settings(MAX_REVISIONS, 100_000, Clock.systemUTC());

    public Settings {
      if (revisions < 1 || revisions > MAX_REVISIONS || departures < 0) {
        throw new IllegalArgumentException("revisions must be 1 to " + MAX_REVISIONS + ", departures not negative: "
            + revisions + ", " + departures);
      }
    }
  }

  /** The states a targeted device moves through; PENDING is what the others leave of the targeted. */
  private enum State { PENDING, DELIVERED, APPLIED, REJECTED, FAILED, SUPERSEDED }

  /** One tracked revision: its slot and its counts. */
  private static final class Tracked {
    final long revision;
    final int slot;
    final Instant planned;
    final Set<String> changed;
    final Set<String> removed;
    private long targeted;
    private final long[] states = new long[State.values().length];
    private long departed;
    private final Map<String, Long> rejectedByFlag = new TreeMap<>();

    Tracked(long revision, int slot, Instant planned, Set<String> changed, Set<String> removed) {
      this.revision = revision;
      this.slot = slot;
      this.planned = planned;
      this.changed = changed;
      this.removed = removed;
    }

    synchronized void target() {
      targeted++;
    }

    synchronized void move(State from, State to, List<String> rejectedKeys) {
      states[from.ordinal()]--;
      states[to.ordinal()]++;
      for (String key : rejectedKeys) {
        if (changed.contains(key) || removed.contains(key)) {
          rejectedByFlag.merge(key, 1L, Long::sum);
        }
      }
    }

    synchronized void departed(int by) {
      departed += by;
    }

    synchronized RevisionCompliance figures() {
      return new RevisionCompliance(revision, planned, changed, removed, targeted,
          states[State.DELIVERED.ordinal()], states[State.APPLIED.ordinal()], states[State.REJECTED.ordinal()],
          states[State.FAILED.ordinal()], states[State.SUPERSEDED.ordinal()], departed, rejectedByFlag);
    }
  }

  /**
   * A device gone from this broker: when, and its marks with the window they refer to (a slot given
   * to another revision since no longer counts; see {@link #still}).
   */
  private record Gone(long atMillis, long marks, @Nullable Tracked[] window) {}

  private final DeviceIndex devices;
  private final RevisionHistory history;
  private final Supplier<FlagSetRevision> serving;
  private final Function<DeviceRecord, PayloadFit> fits;
  private final Clock clock;
  private final int capacity;
  private final int departuresKept;
  private final DeliveryMetrics metrics;
  private final AckLedger ledger = new AckLedger();
  private final LogLimit dropLog = LogLimit.perMinute();
  /** Tracked revisions by slot (copied on change: a reader's array never changes). */
  private volatile @Nullable Tracked[] window;
  /** Oldest first; changed by the planner only. Guarded by this. */
  private final ArrayDeque<Tracked> order = new ArrayDeque<>();
  /** The revision being planned: the one devices are targeted for now. */
  private volatile @Nullable Tracked planning;
  /** Departed devices by client id, oldest first. Guarded by itself. */
  private final LinkedHashMap<String, Gone> departures = new LinkedHashMap<>();
  private final ExecutorService ackThread;
  private final ExecutorService walkThread;

  /** @param timer runs the refill of the devices' ack rates every {@value AckRate#REFILL_SECONDS} s */
  ComplianceTracker(DeviceIndex devices, RevisionHistory history, Supplier<FlagSetRevision> serving,
      Function<DeviceRecord, PayloadFit> fits, Settings settings, DeliveryMetrics metrics, ScheduledExecutorService timer) {
    this.devices = devices;
    this.history = history;
    this.serving = serving;
    this.fits = fits;
    this.clock = settings.clock();
    this.capacity = settings.revisions();
    this.departuresKept = settings.departures();
    this.metrics = metrics;
    this.window = new Tracked[MAX_REVISIONS];
    this.ackThread = thread("fleetflags-acks", ACK_QUEUE);
    this.walkThread = thread("fleetflags-compliance", 4);
    timer.scheduleWithFixedDelay(() -> submit(this::refillRates), AckRate.REFILL_SECONDS, AckRate.REFILL_SECONDS,
        TimeUnit.SECONDS);
  }

  /** Refills every device's ack rate (acks' thread): full buckets leave the ledger. */
  void refillRates() {
    long now = clock.millis();
    ledger.updateAll(marks -> AckRate.refill(marks, now));
  }

  private static ExecutorService thread(String name, int queue) {
    return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  private static long targetedBit(int slot) {
    return 1L << slot;
  }

  private static long deliveredBit(int slot) {
    return 1L << (DELIVERED + slot);
  }

  private static long appliedBit(int slot) {
    return 1L << (APPLIED + slot);
  }

  private static long slotBits(int slot) {
    return targetedBit(slot) | deliveredBit(slot) | appliedBit(slot);
  }

  // --- delivery's calls ------------------------------------------------------------------------

  /**
   * A change is being planned (planner thread): it takes the oldest revision's slot once the
   * window is full; the devices it targets are counted from now on ({@link #targeted}).
   */
  void planning(FlagChange change) {
    long revision = change.after().revision();
    synchronized (this) {
      Tracked newest = order.peekLast();
      if (newest != null && newest.revision == revision) {
        planning = newest; // planned once more (a change of the same revision): it goes on counting
        return;
      }
      int slot = order.size();
      if (order.size() == capacity) {
        Tracked oldest = order.removeFirst();
        slot = oldest.slot;
        setSlot(slot, null);
        // Readers of a slot's bits read the window under the ledger's monitor, so none of them
        // takes these bits for the new revision's.
        ledger.clear(slotBits(slot));
      }
      Tracked t = new Tracked(revision, slot, clock.instant(), change.changedFlags(), change.removedFlags());
      order.addLast(t);
      setSlot(slot, t);
      planning = t;
    }
  }

  private void setSlot(int slot, @Nullable Tracked t) {
    Tracked[] w = window.clone();
    w[slot] = t;
    window = w;
  }

  /** The change being planned targets the device: it will be sent an update because of it (planner thread). */
  void targeted(DeviceRecord d) {
    Tracked t = planning;
    if (t == null) {
      return;
    }
    long bit = targetedBit(t.slot);
    ledger.update(d, marks -> {
      if ((marks & (bit | deliveredBit(t.slot) | appliedBit(t.slot))) != 0 || window[t.slot] != t) {
        return marks;
      }
      t.target();
      return marks | bit;
    });
  }

  /** The broker took the device's update of {@code revision}: it is delivered for every revision up to it. */
  void delivered(DeviceRecord d, long revision) {
    settle(d, revision, State.DELIVERED);
  }

  /**
   * The device already holds the set of {@code revision}: the revisions up to it that targeted it
   * and were not sent need no update any more (a later one reverted them for it).
   */
  void unchanged(DeviceRecord d, long revision) {
    settle(d, revision, State.SUPERSEDED);
  }

  /** Moves the device from pending to {@code to} for every revision up to {@code revision} that targeted it. */
  private void settle(DeviceRecord d, long revision, State to) {
    ledger.update(d, marks -> {
      long targeted = marks & SLOTS;
      if (targeted == 0) {
        return marks;
      }
      Tracked[] w = window;
      for (int s = 0; s < MAX_REVISIONS; s++) {
        Tracked t = w[s];
        if ((targeted & targetedBit(s)) == 0 || (t != null && t.revision > revision)) {
          continue;
        }
        marks &= ~targetedBit(s);
        if (t != null) {
          marks |= to == State.DELIVERED ? deliveredBit(s) : 0;
          t.move(State.PENDING, to, List.of());
        }
      }
      return marks;
    });
  }

  /** A device connected (its record is in the index): if it had left, it has returned. */
  void connected(DeviceRecord d) {
    Gone gone;
    synchronized (departures) {
      gone = departures.remove(d.clientId);
    }
    if (gone == null || gone.marks() == 0) {
      return;
    }
    ledger.update(d, marks -> {
      @Nullable Tracked[] now = window;
      long kept = still(gone.marks(), gone.window(), now);
      forEachSlot(kept >>> APPLIED, s -> Objects.requireNonNull(now[s]).departed(-1));
      return marks | kept;
    });
  }

  /**
   * A device's record left the index (its connection ended, or another connection of its client id
   * took over, {@code successor}): what it owes passes to the successor, or is kept with its
   * departure until it returns. A client never served ({@code served} false: an operator, a client
   * that never subscribed) that owes nothing is no departure.
   */
  void gone(DeviceRecord d, @Nullable DeviceRecord successor, boolean served) {
    Tracked[][] then = new Tracked[1][];
    long marks;
    long at = clock.millis();
    // Taken and recorded at once: an ack counted meanwhile finds its marks in one place or the other.
    synchronized (departures) {
      marks = ledger.update(d, m -> {
        then[0] = window;
        return 0;
      }) & ~AckRate.BITS; // a connection's ack rate ends with it
      if (successor != null && successor != d) {
        if (marks != 0) {
          ledger.update(successor, m -> m | still(marks, then[0], window));
        }
        return;
      }
      if (!served && marks == 0) {
        return;
      }
      departures.remove(d.clientId);
      departures.put(d.clientId, new Gone(at, marks, marks == 0 ? null : then[0]));
      Iterator<Gone> oldest = departures.values().iterator();
      while (departures.size() > departuresKept && oldest.hasNext()) {
        oldest.next();
        oldest.remove();
      }
    }
    forEachSlot(marks >>> APPLIED, s -> {
      Tracked t = then[0][s];
      if (t != null) {
        t.departed(1);
      }
    });
  }

  /** The marks whose slots hold in {@code now} the revisions they held in {@code then}. */
  private static long still(long marks, @Nullable Tracked @Nullable [] then, @Nullable Tracked[] now) {
    if (then == null) {
      return 0;
    }
    long kept = marks;
    for (int s = 0; s < MAX_REVISIONS; s++) {
      if (now[s] == null || now[s] != then[s]) {
        kept &= ~slotBits(s);
      }
    }
    return kept;
  }

  private static void forEachSlot(long bits, IntConsumer action) {
    for (int s = 0; s < MAX_REVISIONS; s++) {
      if ((bits & targetedBit(s)) != 0) {
        action.accept(s);
      }
    }
  }

  // --- acks --------------------------------------------------------------------------------------

  /**
   * An ack the device published to its own ack topic (broker thread): checked for its rate and
   * size here, decoded and counted on the acks' thread. Returns at once.
   */
  public void offer(String clientId, ByteBuffer payload) {
    DeviceRecord d = devices.get(clientId);
    if (d == null) {
      dropped(clientId, "it is not a connected device", false);
      return;
    }
    long now = clock.millis();
    boolean[] refused = new boolean[1];
    ledger.update(d, marks -> {
      long admitted = AckRate.admit(marks, now);
      refused[0] = admitted == AckRate.REFUSED;
      return refused[0] ? marks : admitted;
    });
    if (refused[0]) {
      dropped(clientId, "it sent more than " + AckRate.BURST + " acks at once or " + AckRate.PER_SECOND
          + " a second", true);
      return;
    }
    int size = payload.remaining();
    if (size > FlagAcks.MAX_BYTES) {
      dropped(clientId, FlagAcks.tooLarge(size), false);
      return;
    }
    byte[] bytes = new byte[size];
    payload.duplicate().get(bytes);
    if (!submit(() -> acknowledge(d, bytes))) {
      dropped(clientId, "acks arrive faster than they are counted (" + ACK_QUEUE + " waiting)", false);
    }
  }

  private boolean submit(Runnable task) {
    try {
      ackThread.execute(task);
      return true;
    } catch (RejectedExecutionException full) {
      return false;
    }
  }

  /** Waits until the acks offered so far are counted (tests); false if that takes longer than the timeout. */
  boolean awaitAcks(Duration timeout) throws InterruptedException {
    CountDownLatch counted = new CountDownLatch(1);
    return submit(counted::countDown) && counted.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Decodes and counts an ack (acks' thread). */
  void acknowledge(DeviceRecord d, byte[] payload) {
    FlagAcks.Decoded decoded = FlagAcks.decode(payload);
    Ack ack = decoded.ack();
    if (ack == null) {
      dropped(d.clientId, decoded.problem(), false);
      return;
    }
    long sent;
    synchronized (d) {
      sent = d.sentRevision;
    }
    if (sent == DeviceRecord.NOTHING_SENT || ack.revision() > sent) {
      dropped(d.clientId, "it acknowledges revision " + ack.revision() + ", which was never sent to it ("
          + (sent == DeviceRecord.NOTHING_SENT ? "nothing was" : "the newest it was sent is " + sent) + ")", false);
      return;
    }
    State to = switch (ack.status()) {
      case APPLIED -> State.APPLIED;
      case REJECTED -> State.REJECTED;
      case FAILED -> State.FAILED;
    };
    ledger.update(d, marks -> credit(marks, ack, to));
    creditDeparted(d, ack, to);
    metrics.acknowledged(ack.status());
  }

  /**
   * A device that acks and disconnects at once (applies, then reboots) may have its departure
   * recorded before its ack is counted here: the ack then counts for what it owed when it left, and
   * for its departure. Crediting twice changes nothing: what an ack moves is moved once.
   */
  private void creditDeparted(DeviceRecord d, Ack ack, State to) {
    if (devices.get(d.clientId) == d) {
      return; // still connected: its own marks took the ack
    }
    synchronized (departures) {
      Gone gone = departures.get(d.clientId);
      if (gone == null || gone.marks() == 0) {
        return;
      }
      @Nullable Tracked[] now = window;
      long owed = still(gone.marks(), gone.window(), now);
      long credited = credit(owed, ack, to);
      if (credited == owed) {
        return;
      }
      forEachSlot((credited & ~owed) >>> APPLIED, s -> Objects.requireNonNull(now[s]).departed(1));
      forEachSlot((owed & ~credited) >>> APPLIED, s -> Objects.requireNonNull(now[s]).departed(-1));
      departures.put(d.clientId, new Gone(gone.atMillis(), credited, now));
    }
  }

  /** The device's marks after its ack: every revision up to the acknowledged one moves to {@code to}. */
  private long credit(long marks, Ack ack, State to) {
    Tracked[] w = window;
    for (int s = 0; s < MAX_REVISIONS; s++) {
      Tracked t = w[s];
      if (t == null || t.revision > ack.revision()) {
        continue;
      }
      long owed = targetedBit(s) | deliveredBit(s);
      if ((marks & owed) != 0) {
        // An ack may beat the broker's report that it took the update: the device has it.
        t.move((marks & targetedBit(s)) != 0 ? State.PENDING : State.DELIVERED, to, ack.rejectedKeys());
        marks &= ~owed;
        if (to == State.APPLIED) {
          marks |= appliedBit(s);
        }
      } else if ((marks & appliedBit(s)) != 0 && to != State.APPLIED) {
        t.move(State.APPLIED, to, ack.rejectedKeys());
        marks &= ~appliedBit(s);
      }
    }
    return marks;
  }

  private void dropped(String clientId, String reason, boolean rateLimited) {
    metrics.ackDropped(rateLimited);
    LogLimit.Pass pass = dropLog.admit(clientId);
    if (pass != null) {
      log.warn("Dropped an ack of device '{}': {}{}", clientId, reason, pass.note());
    }
  }

  // --- figures -----------------------------------------------------------------------------------

  @Override
  public List<RevisionCompliance> revisions() {
    List<Tracked> tracked;
    synchronized (this) {
      tracked = new ArrayList<>(order);
    }
    List<RevisionCompliance> figures = new ArrayList<>(tracked.size());
    for (Tracked t : tracked) {
      figures.add(t.figures());
    }
    return figures;
  }

  @Override
  public @Nullable RevisionCompliance revision(long revision) {
    Tracked t = tracked(revision);
    return t == null ? null : t.figures();
  }

  private @Nullable Tracked tracked(long revision) {
    for (Tracked t : window) {
      if (t != null && t.revision == revision) {
        return t;
      }
    }
    return null;
  }

  @Override
  public @Nullable RevisionCompliance latest() {
    Tracked t;
    synchronized (this) {
      t = order.peekLast();
    }
    return t == null ? null : t.figures();
  }

  @Override
  public List<RevisionCompliance> forFlag(String key) {
    List<RevisionCompliance> figures = new ArrayList<>();
    for (RevisionCompliance r : revisions()) {
      if (r.changed().contains(key) || r.removed().contains(key)) {
        figures.add(0, r);
      }
    }
    return figures;
  }

  @Override
  public List<Departure> departedAfterApplying(long revision) {
    Tracked t = tracked(revision);
    if (t == null) {
      return List.of();
    }
    List<Departure> departed = new ArrayList<>();
    synchronized (departures) {
      departures.forEach((clientId, gone) -> {
        @Nullable Tracked[] then = gone.window();
        if ((gone.marks() & appliedBit(t.slot)) != 0 && then != null && then[t.slot] == t) {
          departed.add(new Departure(clientId, Instant.ofEpochMilli(gone.atMillis())));
        }
      });
    }
    return departed;
  }

  @Override
  public int departedSince(Instant since) {
    int count = 0;
    long sinceMillis = since.toEpochMilli();
    synchronized (departures) {
      for (Gone gone : departures.values()) {
        if (gone.atMillis() >= sinceMillis) {
          count++;
        }
      }
    }
    return count;
  }

  @Override
  public int connectedDevices() {
    return devices.size();
  }

  @Override
  public Clock clock() {
    return clock;
  }

  /** Devices with marks in the ledger (the memory ack tracking takes now). */
  public int devicesTracked() {
    return ledger.size();
  }

  // --- holdings ----------------------------------------------------------------------------------

  /** Stands for "no value" among the values held. */
  private static final Object NO_VALUE = new Object();

  @Override
  public CompletableFuture<FlagHoldings> holdings(String key) {
    CompletableFuture<FlagHoldings> counted = new CompletableFuture<>();
    try {
      walkThread.execute(() -> {
        try {
          counted.complete(walk(key, System.nanoTime() + WALK_NANOS));
        } catch (Throwable e) {
          counted.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException busy) {
      counted.completeExceptionally(new IllegalStateException("other holdings are being counted; retry shortly"));
    }
    return counted;
  }

  /** Walks the index as the planner does, counting what each subscribed device was sent of the flag. */
  FlagHoldings walk(String key, long deadlineNanos) {
    FlagSetRevision now = serving.get();
    long epochSeconds = clock.millis() / 1000;
    FlagProbe probe = new FlagProbe(DeviceContext.empty(), epochSeconds);
    Map<Long, FlagSetRevision> sets = new HashMap<>();
    Map<Object, long[]> values = new LinkedHashMap<>();
    long counted = 0;
    long noValue = 0;
    long notSent = 0;
    long unknown = 0;
    long current = 0;
    boolean complete = true;
    int seen = 0;
    for (DeviceRecord d : devices.values()) {
      if ((++seen & 1023) == 0 && System.nanoTime() - deadlineNanos > 0) {
        complete = false;
        break;
      }
      long sent;
      DeviceContext sentAttributes;
      synchronized (d) {
        if (!d.subscribed) {
          continue;
        }
        sent = d.sentRevision;
        sentAttributes = d.sentAttributes;
      }
      counted++;
      if (sent == DeviceRecord.NOTHING_SENT || sentAttributes == null) {
        notSent++;
        continue;
      }
      FlagSetRevision set = sets.computeIfAbsent(sent, r -> history.get(r));
      if (set == null) {
        unknown++;
        continue;
      }
      PayloadFit fit = fits.apply(d);
      Object held = value(set, key, probe.moveTo(sentAttributes, d.clientId, epochSeconds), fit);
      if (held == NO_VALUE) {
        noValue++;
      } else {
        values.computeIfAbsent(held, v -> new long[1])[0]++;
      }
      DeviceContext attributes = d.attributes;
      if (attributes != null
          && held.equals(value(now, key, probe.moveTo(attributes, d.clientId, epochSeconds), fit))) {
        current++;
      }
    }
    List<ValueHolding> holdings = new ArrayList<>();
    values.forEach((value, n) -> holdings.add(new ValueHolding(value, n[0])));
    holdings.sort(Comparator.comparingLong(ValueHolding::devices).reversed());
    return new FlagHoldings(key, now.revision(), counted, holdings, noValue, notSent, unknown, current, complete);
  }

  /** The flag's value for the device the probe points at, or {@link #NO_VALUE}. */
  private static Object value(FlagSetRevision set, String key, FlagProbe probe, PayloadFit fit) {
    int i = set.flagSet().indexOf(key);
    if (i < 0) {
      return NO_VALUE;
    }
    int v = probe.variantIndex(set.flagSet(), i);
    if (v < 0 || !fit.fits(set.flagSet().flag(i), v)) {
      return NO_VALUE;
    }
    return set.flagSet().flag(i).variantValue(v);
  }

  @Override
  public void close() {
    ackThread.shutdownNow();
    walkThread.shutdownNow();
  }
}
