package dev.fleetflags.openfeature;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import dev.fleetflags.device.Acks;
import dev.fleetflags.device.FlagSet;
import dev.fleetflags.device.HeldFlag;
import dev.fleetflags.device.JsonText;
import dev.fleetflags.device.SavedSet;
import dev.fleetflags.device.StateHash;
import dev.fleetflags.device.UpdateRefused;
import dev.fleetflags.device.ValueType;
import dev.fleetflags.mqtt.BrokerLink;
import dev.fleetflags.mqtt.ClientEvents;
import dev.fleetflags.mqtt.DeviceTopics;
import dev.fleetflags.mqtt.Mqtt3Link;
import dev.fleetflags.mqtt.Mqtt5Link;
import dev.openfeature.sdk.ErrorCode;
import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.EventProvider;
import dev.openfeature.sdk.Metadata;
import dev.openfeature.sdk.ProviderEvaluation;
import dev.openfeature.sdk.ProviderEvent;
import dev.openfeature.sdk.ProviderEventDetails;
import dev.openfeature.sdk.Reason;
import dev.openfeature.sdk.Value;
import dev.openfeature.sdk.exceptions.GeneralError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenFeature provider for one device of a FleetFlags fleet. The broker evaluates the device's
 * flags; the provider holds the result, the flag set of its last update, and answers evaluations
 * from it. It follows the README's device protocol: it connects (or follows the application's
 * client), presents the state hash of what it holds, subscribes to its flag topic, applies
 * snapshots, deltas and empty confirmations, checks the state hash after every update and asks for
 * a resync when it differs or an update is malformed, saves the set to a file after every update
 * so that it can start from it without the broker, and acknowledges each update it applied on its
 * ack topic: {@code APPLIED}, or {@code REJECTED} with the keys and why where the application's
 * {@link ValueCheck} refused values (it keeps what it held for those), and {@code FAILED} when the
 * application {@link #reportFailed reports} that the values broke something.
 *
 * <p>Events: {@code PROVIDER_READY} once it holds a set (initialization returns then), {@code
 * PROVIDER_CONFIGURATION_CHANGED} with the changed keys after each update that changed something,
 * {@code PROVIDER_STALE} while the connection is down, {@code PROVIDER_READY} again once an update
 * on a new connection confirmed or corrected the set.
 *
 * <p>Threading: one thread of its own applies updates, saves, reconnects and emits events, in
 * order; evaluations on any thread read the current set, an immutable value, without locks.
 */
public final class FleetFlagsProvider extends EventProvider {

  private static final Logger LOG = LoggerFactory.getLogger(FleetFlagsProvider.class);
  private static final Metadata METADATA = () -> "FleetFlags";
  /** How long a shutdown waits for the update in progress to be saved. */
  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(10);

  /** What the provider last made the SDK believe; {@code NOTHING} until initialization returns. */
  private enum Told {
    NOTHING,
    READY,
    STALE,
    ERROR
  }

  private final String clientId;
  private final BrokerLink link;
  private final @Nullable SavedSet saved;
  private final Duration initTimeout;
  private final Duration reconnectMin;
  private final Duration reconnectMax;
  private final boolean acks;
  private final @Nullable ValueCheck valueCheck;
  private final ScheduledExecutorService worker;
  /**
   * Emits events one at a time, waiting for the SDK to take each, so that the SDK sees them in
   * order; apart from the worker, which must never wait for the SDK's lock.
   */
  private final ExecutorService announcer;
  private final CountDownLatch firstSet = new CountDownLatch(1);

  /** Read by evaluations on any thread; written by the worker. */
  private volatile @Nullable FlagSet held;

  private volatile boolean closed;
  private final AtomicBoolean shuttingDown = new AtomicBoolean();

  // The worker's alone:
  private Told told = Told.NOTHING;
  private boolean started;
  private int attempts;
  private int refusedInARow;
  private @Nullable ScheduledFuture<?> nextAttempt;
  private @Nullable ScheduledFuture<?> nextResync;

  private FleetFlagsProvider(Builder b, BrokerLink link) {
    this.clientId = Objects.requireNonNull(b.clientId);
    this.link = link;
    this.saved = b.savedSet == null ? null : new SavedSet(b.savedSet);
    this.initTimeout = b.initTimeout;
    this.reconnectMin = b.reconnectMin;
    this.reconnectMax = b.reconnectMax;
    this.acks = b.acks;
    this.valueCheck = b.valueCheck;
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, daemon("fleetflags-" + clientId));
    executor.setRemoveOnCancelPolicy(true);
    this.worker = executor;
    this.announcer = Executors.newSingleThreadExecutor(daemon("fleetflags-" + clientId + "-events"));
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Whether the application takes a flag's new value, asked for each flag an update adds or
   * changes, on the provider's thread, before the value is used: null takes it, a reason (for an
   * operator, cut to 256 bytes) refuses it. The device then keeps what it held for that flag (or
   * goes without it, where it held none), acks the update {@code REJECTED} with the refused keys
   * and reasons, and, as what it holds is no set the broker computed, the next update will not
   * verify and brings a snapshot, whose values are asked about again.
   */
  @FunctionalInterface
  public interface ValueCheck {
    @Nullable String refuse(HeldFlag value);
  }

  /** Options for a provider; {@link #build()} makes it. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Metadata getMetadata() {
    return METADATA;
  }

  /** The device's MQTT client id. */
  public String clientId() {
    return clientId;
  }

  /** The flag set it holds now (revision, state hash, flags), or null before the first. */
  public @Nullable FlagSet flagSet() {
    return held;
  }

  /**
   * Acks the update the device holds now as {@code FAILED}: it applied it, and then something broke
   * because of it (its application did not come up with the new values, say). The broker counts
   * the device as failed for that revision even after an {@code APPLIED} ack.
   *
   * @param reason what broke, for an operator; cut to 256 bytes of UTF-8
   * @throws IllegalStateException if acks are off or the device holds no set yet
   */
  public void reportFailed(String reason) {
    FlagSet set = held;
    if (!acks || set == null) {
      throw new IllegalStateException(!acks ? "acks are off for " + clientId : clientId + " holds no flag set yet");
    }
    byte[] ack = Acks.failed(set.revision(), set.stateHash(), Acks.cut(reason));
    onWorkerLater(() -> publishAck(ack, "FAILED", set));
  }

  // --- lifecycle ------------------------------------------------------------------------------

  /**
   * Starts from the saved set if there is one (and returns at once), connects, and otherwise waits
   * for the broker's first update, at most the configured time; without it the SDK reports an
   * error, and the provider reports ready when the set comes.
   */
  @Override
  public void initialize(EvaluationContext evaluationContext) throws Exception {
    if (onWorker(this::start)) {
      return; // from the saved set
    }
    firstSet.await(initTimeout.toMillis(), TimeUnit.MILLISECONDS);
    boolean ready = onWorker(() -> {
      told = held != null ? Told.READY : Told.ERROR;
      return held != null;
    });
    if (!ready) {
      throw new GeneralError("FleetFlags: no flag set from the broker for " + clientId + " within " + initTimeout
          + (saved == null ? "" : " and none saved in " + saved.file()) + "; still trying");
    }
  }

  /**
   * Disconnects (if it connected) and stops, once the update in progress (if any) is applied and
   * saved; evaluations keep answering from the last set.
   */
  @Override
  public void shutdown() {
    if (!shuttingDown.compareAndSet(false, true)) {
      return; // the application's and the SDK's shutdown may both come
    }
    closed = true;
    worker.execute(() -> {
      cancel(nextAttempt);
      cancel(nextResync);
    });
    link.close();
    worker.shutdown();
    try {
      if (!worker.awaitTermination(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("FleetFlags {}: still busy after {}, shutting down anyway", clientId, SHUTDOWN_WAIT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    announcer.shutdownNow();
    super.shutdown();
  }

  /** On the worker: reads the saved set, starts the link; whether it holds a set now. */
  private boolean start() {
    if (started) {
      return held != null;
    }
    started = true;
    if (saved != null) {
      FlagSet set = saved.read();
      if (set != null) {
        held = set;
        told = Told.READY; // initialization returns at once
        firstSet.countDown();
        LOG.info("FleetFlags {}: starting from the saved flag set ({})", clientId, describe(set));
      }
    }
    boolean connected = link.start(new BrokerLink.Listener() {
      @Override
      public void connected() {
        onWorkerLater(FleetFlagsProvider.this::connectionUp);
      }

      @Override
      public void disconnected(Throwable cause) {
        onWorkerLater(() -> connectionLost(cause));
      }

      @Override
      public void received(byte[] payload) {
        onWorkerLater(() -> update(payload));
      }
    });
    if (link.ownsConnection()) {
      attempt();
    } else if (connected) {
      connectionUp();
    }
    return held != null;
  }

  // --- the connection (worker) ----------------------------------------------------------------

  private void attempt() {
    nextAttempt = null;
    if (closed) {
      return;
    }
    FlagSet set = held;
    String hash = set == null ? null : StateHash.text(set.stateHash());
    link.connect(link.presentsHashOnConnect() ? hash : null).whenComplete((ack, failure) -> {
      if (failure != null) {
        onWorkerLater(() -> connectFailed(failure));
      }
    });
  }

  private void connectFailed(Throwable failure) {
    LOG.debug("FleetFlags {}: cannot connect: {}", clientId, failure.toString());
    goStale("cannot connect to the broker: " + failure.getMessage());
    scheduleAttempt();
  }

  private void scheduleAttempt() {
    if (closed || nextAttempt != null) {
      return;
    }
    nextAttempt = worker.schedule(this::attempt, backoff(attempts++), TimeUnit.MILLISECONDS);
  }

  /** A connection is up: present the hash (unless the CONNECT did), then subscribe. */
  private void connectionUp() {
    if (closed) {
      link.close();
      return;
    }
    attempts = 0;
    FlagSet set = held;
    LOG.debug("FleetFlags {}: connected, holding {}", clientId, set == null ? "nothing" : describe(set));
    if (set != null && !link.presentsHashOnConnect()) {
      // Subscribing once the broker has acknowledged the hash: it then answers the subscription
      // with a delta from it (or an empty update).
      link.resync(StateHash.text(set.stateHash())).whenComplete((ack, failure) -> onWorkerLater(this::subscribe));
    } else {
      subscribe();
    }
  }

  private void subscribe() {
    if (closed) {
      return;
    }
    link.subscribe().whenComplete((granted, failure) -> onWorkerLater(() -> {
      if (failure != null) {
        LOG.debug("FleetFlags {}: subscribing failed: {}", clientId, failure.toString());
      } else if (!granted) {
        LOG.error("FleetFlags {}: the broker refused the subscription to its flag topic", clientId);
        goError("the broker refused the subscription to the flag topic");
      }
    }));
  }

  private void connectionLost(Throwable cause) {
    LOG.info("FleetFlags {}: connection lost: {}", clientId, cause.getMessage());
    cancel(nextResync);
    goStale("connection to the broker lost: " + cause.getMessage());
    if (link.ownsConnection()) {
      scheduleAttempt();
    }
  }

  // --- updates (worker) -----------------------------------------------------------------------

  private void update(byte[] payload) {
    if (closed) {
      return;
    }
    FlagSet before = held;
    FlagSet.Applied applied;
    try {
      applied = FlagSet.apply(before, payload);
    } catch (UpdateRefused refused) {
      LOG.warn("FleetFlags {}: refusing an update ({}), asking for a resync: {}", clientId, refused.why(),
          refused.getMessage());
      askForResync();
      return;
    }
    refusedInARow = 0;
    cancel(nextResync);
    nextResync = null;
    FlagSet after = applied.set();
    Set<String> changed = applied.changed();
    Map<String, String> refused = refusals(after, changed);
    if (!refused.isEmpty()) {
      after = after.keeping(before, refused.keySet());
      changed = new TreeSet<>(changed);
      changed.removeAll(refused.keySet());
      LOG.info("FleetFlags {}: refused the values of {} at revision {}", clientId, refused, after.revision());
    }
    LOG.debug("FleetFlags {}: applied an update, now {}; changed {}", clientId, describe(after), changed);
    held = after;
    save(before, after);
    ack(after, refused);
    firstSet.countDown();
    if (told == Told.NOTHING) {
      return; // initialization is returning: the SDK says ready
    }
    if (told != Told.READY) {
      told = Told.READY;
      tell(ProviderEvent.PROVIDER_READY, ProviderEventDetails.builder()
          .message("flag set confirmed by the broker (" + describe(after) + ")").build());
    }
    if (!changed.isEmpty()) {
      tell(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, ProviderEventDetails.builder()
          .flagsChanged(new ArrayList<>(changed))
          .message("revision " + after.revision()).build());
    }
  }

  /** The application's refusals of the values an update added or changed: reason by key. */
  private Map<String, String> refusals(FlagSet after, Set<String> changed) {
    Map<String, String> refused = new TreeMap<>();
    if (valueCheck == null) {
      return refused;
    }
    for (String key : changed) {
      HeldFlag value = after.get(key);
      if (value == null) {
        continue; // removed: nothing to take
      }
      String reason;
      try {
        reason = valueCheck.refuse(value);
      } catch (RuntimeException e) {
        reason = "the value check failed: " + e;
      }
      if (reason != null) {
        refused.put(key, reason);
      }
    }
    return refused;
  }

  /**
   * Acks an update applied: APPLIED, or REJECTED naming the refused keys (the first 32) with their
   * reasons in one text, and the hash of what the device holds instead.
   */
  private void ack(FlagSet after, Map<String, String> refused) {
    if (!acks) {
      return;
    }
    if (refused.isEmpty()) {
      publishAck(Acks.applied(after), "APPLIED", after);
      return;
    }
    List<String> keys = new ArrayList<>(refused.keySet()).subList(0, Math.min(refused.size(), Acks.MAX_REJECTED_KEYS));
    StringBuilder reason = new StringBuilder();
    refused.forEach((key, why) -> reason.append(reason.length() == 0 ? "" : "; ").append(key).append(": ").append(why));
    publishAck(Acks.rejected(after.revision(), after.stateHash(), keys, Acks.cut(reason.toString())), "REJECTED", after);
  }

  private void publishAck(byte[] ack, String status, FlagSet set) {
    if (closed) {
      return;
    }
    link.ack(ack).whenComplete((done, failure) -> {
      if (failure != null) {
        LOG.debug("FleetFlags {}: the {} ack of revision {} was not sent: {}", clientId, status, set.revision(),
            failure.toString());
      }
    });
  }

  /**
   * Asks for a snapshot (an empty resync). At once the first time; after refusals in a row, later
   * and later, so that a broker that keeps sending what this device refuses is not flooded.
   */
  private void askForResync() {
    if (nextResync != null) {
      return;
    }
    long delay = refusedInARow == 0 ? 0 : backoff(refusedInARow - 1);
    refusedInARow++;
    nextResync = worker.schedule(() -> {
      nextResync = null;
      if (!closed) {
        LOG.debug("FleetFlags {}: asking for a snapshot", clientId);
        link.resync("");
      }
    }, delay, TimeUnit.MILLISECONDS);
  }

  private void save(@Nullable FlagSet before, FlagSet after) {
    if (saved == null || (before != null && before.revision() == after.revision()
        && before.flags().equals(after.flags()))) {
      return;
    }
    try {
      saved.write(after);
    } catch (IOException | RuntimeException e) {
      LOG.warn("FleetFlags {}: cannot save the flag set to {}: {}", clientId, saved.file(), e.toString());
    }
  }

  // --- events (worker) ------------------------------------------------------------------------

  private void goStale(String why) {
    if (told == Told.READY) {
      told = Told.STALE;
      tell(ProviderEvent.PROVIDER_STALE, ProviderEventDetails.builder().message(why).build());
    }
  }

  private void goError(String why) {
    if (told != Told.NOTHING && told != Told.ERROR) {
      told = Told.ERROR;
      tell(ProviderEvent.PROVIDER_ERROR, ProviderEventDetails.builder().message(why).errorCode(ErrorCode.GENERAL).build());
    }
  }

  /** Emits, after the events before it, on the announcer. */
  private void tell(ProviderEvent event, ProviderEventDetails details) {
    try {
      announcer.execute(() -> {
        if (!closed) {
          // Waits until the SDK has taken it (its lock may be held meanwhile, for instance while
          // setProviderAndWait is still returning): the SDK then sees the events in this order.
          emit(event, details).await();
        }
      });
    } catch (RejectedExecutionException shutDown) {
      // closed
    }
  }

  // --- evaluations (any thread) ---------------------------------------------------------------

  @Override
  public ProviderEvaluation<Boolean> getBooleanEvaluation(String key, Boolean defaultValue, EvaluationContext ctx) {
    return resolve(key, defaultValue, "boolean", f -> f.type() == ValueType.BOOLEAN ? (Boolean) f.value() : null);
  }

  @Override
  public ProviderEvaluation<String> getStringEvaluation(String key, String defaultValue, EvaluationContext ctx) {
    return resolve(key, defaultValue, "string", f -> f.type() == ValueType.STRING ? (String) f.value() : null);
  }

  @Override
  public ProviderEvaluation<Integer> getIntegerEvaluation(String key, Integer defaultValue, EvaluationContext ctx) {
    return resolve(key, defaultValue, "integer within the range of int", f -> {
      if (f.type() != ValueType.INTEGER) {
        return null;
      }
      long v = (Long) f.value();
      return v == (int) v ? (int) v : null;
    });
  }

  @Override
  public ProviderEvaluation<Long> getLongEvaluation(String key, Long defaultValue, EvaluationContext ctx) {
    return resolve(key, defaultValue, "integer", f -> f.type() == ValueType.INTEGER ? (Long) f.value() : null);
  }

  /** Integer flags read as double too (flags whose variants are all integers travel as integers). */
  @Override
  public ProviderEvaluation<Double> getDoubleEvaluation(String key, Double defaultValue, EvaluationContext ctx) {
    return resolve(key, defaultValue, "number", f -> switch (f.type()) {
      case DOUBLE -> (Double) f.value();
      case INTEGER -> ((Long) f.value()).doubleValue();
      default -> null;
    });
  }

  @Override
  public ProviderEvaluation<Value> getObjectEvaluation(String key, Value defaultValue, EvaluationContext ctx) {
    return resolve(key, defaultValue, "object (JSON)",
        f -> f.type() == ValueType.JSON ? Values.of(JsonText.parse((String) f.value())) : null);
  }

  /**
   * The value of a flag in the held set, converted by {@code as} (null: the flag is of another
   * type). The broker evaluated it for this device with the device's context; the evaluation
   * context given here changes nothing.
   */
  private <T> ProviderEvaluation<T> resolve(String key, T defaultValue, String wanted, Function<HeldFlag, @Nullable T> as) {
    FlagSet set = held;
    if (set == null) {
      return failed(defaultValue, ErrorCode.PROVIDER_NOT_READY, "no flag set from the broker yet");
    }
    HeldFlag flag = set.get(key);
    if (flag == null) {
      return failed(defaultValue, ErrorCode.FLAG_NOT_FOUND,
          "flag \"" + key + "\" is not in this device's set (revision " + set.revision() + ")");
    }
    T value = as.apply(flag);
    if (value == null) {
      return failed(defaultValue, ErrorCode.TYPE_MISMATCH,
          "flag \"" + key + "\" holds " + describe(flag) + ", not a " + wanted);
    }
    return ProviderEvaluation.<T>builder().value(value).variant(flag.variant()).reason(Reason.CACHED.toString()).build();
  }

  private static <T> ProviderEvaluation<T> failed(T defaultValue, ErrorCode code, String message) {
    return ProviderEvaluation.<T>builder().value(defaultValue).reason(Reason.ERROR.toString()).errorCode(code)
        .errorMessage(message).build();
  }

  // --- plumbing -------------------------------------------------------------------------------

  private <T> T onWorker(java.util.concurrent.Callable<T> task) throws InterruptedException, GeneralError {
    try {
      return worker.submit(task).get(initTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new GeneralError("FleetFlags: starting failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException | RejectedExecutionException e) {
      throw new GeneralError("FleetFlags: the provider's thread is not answering (shut down?)", e);
    }
  }

  private void onWorkerLater(Runnable task) {
    try {
      worker.execute(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          LOG.error("FleetFlags {}: unexpected failure", clientId, e);
        }
      });
    } catch (RejectedExecutionException shutDown) {
      // closed: nothing more to do
    }
  }

  private long backoff(int attempt) {
    long min = reconnectMin.toMillis();
    long ceiling = Math.min(reconnectMax.toMillis(), min << Math.min(attempt, 20));
    // Anywhere between the least delay and the ceiling: a fleet back after a broker restart
    // spreads its reconnects.
    return ceiling <= min ? min : ThreadLocalRandom.current().nextLong(min, ceiling + 1);
  }

  private static void cancel(@Nullable ScheduledFuture<?> task) {
    if (task != null) {
      task.cancel(false);
    }
  }

  private static String describe(FlagSet set) {
    return "revision " + set.revision() + ", " + set.flags().size() + " flags, state hash " + StateHash.text(set.stateHash());
  }

  private static String describe(HeldFlag flag) {
    return switch (flag.type()) {
      case BOOLEAN -> "a boolean";
      case INTEGER -> "the integer " + flag.value();
      case DOUBLE -> "a double";
      case STRING -> "a string";
      case JSON -> "an object (JSON)";
    };
  }

  /**
   * How a provider connects. By default it connects itself over MQTT 5 to {@code localhost:1883};
   * {@link #client(Mqtt5Client, ClientEvents)} makes it follow a client the application connects.
   */
  public static final class Builder {

    private @Nullable String clientId;
    private String host = "localhost";
    private int port = 1883;
    private boolean mqtt3;
    private @Nullable Consumer<MqttClientBuilder> transport;
    private @Nullable String username;
    private byte @Nullable [] password;
    private final Map<String, String> attributes = new LinkedHashMap<>();
    private String deviceTopic = DeviceTopics.DEFAULT_TEMPLATE;
    private String stateProperty = "fleetflags-state";
    private @Nullable Path savedSet;
    private boolean acks = true;
    private @Nullable ValueCheck valueCheck;
    private Duration initTimeout = Duration.ofSeconds(10);
    private Duration reconnectMin = Duration.ofSeconds(1);
    private Duration reconnectMax = Duration.ofMinutes(1);
    private @Nullable Mqtt5Client given5;
    private @Nullable Mqtt3Client given3;
    private @Nullable ClientEvents givenEvents;
    private @Nullable BrokerLink link;

    private Builder() {}

    /** The device's MQTT client id: its identity and targeting key at the broker. */
    public Builder clientId(String clientId) {
      this.clientId = clientId;
      return this;
    }

    public Builder server(String host, int port) {
      this.host = host;
      this.port = port;
      return this;
    }

    /** MQTT 3.1.1 instead of 5: the hash is presented by a resync publish, and no attributes. */
    public Builder mqtt3() {
      this.mqtt3 = true;
      return this;
    }

    /**
     * Changes the client builder before the provider adds its listeners: TLS ({@code
     * sslWithDefaultConfig()}), WebSocket, executors. Not automatic reconnect: the provider
     * reconnects itself.
     */
    public Builder transport(Consumer<MqttClientBuilder> transport) {
      this.transport = transport;
      return this;
    }

    public Builder credentials(String username, byte @Nullable [] password) {
      this.username = username;
      this.password = password == null ? null : password.clone();
      return this;
    }

    public Builder credentials(String username, String password) {
      return credentials(username, password.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A targeting attribute the device reports about itself, as an MQTT 5 CONNECT user property;
     * the broker uses only names on its allow-list ({@code <attributes>}), and registry attributes
     * an operator set override it.
     */
    public Builder attribute(String name, String value) {
      attributes.put(name, value);
      return this;
    }

    /** The broker's {@code <device-topic>}; default {@code flags/{clientId}}. */
    public Builder deviceTopic(String template) {
      this.deviceTopic = template;
      return this;
    }

    /** The broker's {@code <state-user-property>}; default {@code fleetflags-state}. */
    public Builder stateProperty(String name) {
      this.stateProperty = name;
      return this;
    }

    /** Where the set is saved after every update and read from at start; default: not saved. */
    public Builder savedSet(Path file) {
      this.savedSet = file;
      return this;
    }

    /**
     * Whether the device acks each update it applied on its ack topic (README "Acknowledgements");
     * default true. Without acks the broker counts it "delivered, not confirmed".
     */
    public Builder acks(boolean acks) {
      this.acks = acks;
      return this;
    }

    /** Asked about each new value before it is used; refusals are acked REJECTED (see {@link ValueCheck}). */
    public Builder valueCheck(ValueCheck check) {
      this.valueCheck = check;
      return this;
    }

    /** How long initialization waits for the first set when none is saved; default 10 s. */
    public Builder initTimeout(Duration timeout) {
      this.initTimeout = timeout;
      return this;
    }

    /**
     * Delay before a reconnect: the first between {@code min} and twice that, then up to twice as
     * long after each failure, capped at {@code max}; default 1 s to 1 min.
     */
    public Builder reconnectDelay(Duration min, Duration max) {
      if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
        throw new IllegalArgumentException("reconnect delays need 0 < min <= max");
      }
      this.reconnectMin = min;
      this.reconnectMax = max;
      return this;
    }

    /**
     * Follows the application's MQTT 5 client instead of connecting: the application connects and
     * reconnects it, and has added {@code events} to its builder as connected and disconnected
     * listener. The client id is the client's. The provider presents its hash by a resync publish
     * (the CONNECT is the application's) and subscribes on every connection.
     */
    public Builder client(Mqtt5Client client, ClientEvents events) {
      this.given5 = client;
      this.givenEvents = events;
      return this;
    }

    /** As {@link #client(Mqtt5Client, ClientEvents)}, for an MQTT 3.1.1 client. */
    public Builder client(Mqtt3Client client, ClientEvents events) {
      this.given3 = client;
      this.givenEvents = events;
      return this;
    }

    /** A link of the test's making, in place of an MQTT client. */
    Builder link(BrokerLink link) {
      this.link = link;
      return this;
    }

    /**
     * The provider, not yet connected: give it to OpenFeature ({@code setProviderAndWait}).
     *
     * @throws IllegalArgumentException if the options do not fit together
     */
    public FleetFlagsProvider build() {
      if (link != null) {
        return new FleetFlagsProvider(this, link);
      }
      MqttClient given = given5 != null ? given5 : given3;
      if (given != null) {
        String id = given.getConfig().getClientIdentifier().map(Object::toString).orElse("");
        if (id.isEmpty()) {
          throw new IllegalArgumentException("the application's client needs its client id set");
        }
        if (clientId != null && !clientId.equals(id)) {
          throw new IllegalArgumentException("client id " + clientId + " differs from the client's, " + id);
        }
        if (!attributes.isEmpty() || username != null || transport != null || mqtt3) {
          throw new IllegalArgumentException(
              "attributes, credentials, transport and protocol belong to the application's client");
        }
        clientId = id;
      }
      if (clientId == null || clientId.isEmpty()) {
        throw new IllegalArgumentException("a client id is needed");
      }
      if (mqtt3 && !attributes.isEmpty()) {
        throw new IllegalArgumentException("MQTT 3.1.1 has no user properties: attributes need MQTT 5 or the registry");
      }
      DeviceTopics topics = DeviceTopics.of(deviceTopic, clientId);
      BrokerLink made;
      if (given5 != null) {
        made = Mqtt5Link.following(given5, Objects.requireNonNull(givenEvents), topics);
      } else if (given3 != null) {
        made = Mqtt3Link.following(given3, Objects.requireNonNull(givenEvents), topics);
      } else {
        MqttClientBuilder client = MqttClient.builder().identifier(clientId).serverHost(host).serverPort(port);
        if (transport != null) {
          transport.accept(client);
        }
        made = mqtt3
            ? Mqtt3Link.connecting(client, topics, username, password)
            : Mqtt5Link.connecting(client, topics, stateProperty, attributes, username, password);
      }
      return new FleetFlagsProvider(this, made);
    }
  }
}
