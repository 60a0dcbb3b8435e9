package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import dev.fleetflags.delivery.LogLimit;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.admin.PasswordHash;
import dev.fleetflags.admin.FlagAdmin;
import dev.fleetflags.delivery.ComplianceTracker;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FleetCompliance;
import dev.fleetflags.delivery.TimeBoundaries;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.delivery.FlagUpdates;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.replication.ClusterDriving;
import dev.fleetflags.replication.ClusterReplica;
import dev.fleetflags.replication.ClusterSettings;
import dev.fleetflags.rollout.FleetFigures;
import dev.fleetflags.rollout.Leadership;
import dev.fleetflags.rollout.Plans;
import dev.fleetflags.rollout.Rollouts;
import dev.fleetflags.rollout.Schedules;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.StoreException;
import dev.fleetflags.store.StoreSettings;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where HiveMQ starts FleetFlags (named in META-INF/services): reads and checks the configuration,
 * opens the store, builds the parts and registers them with the broker. Anything that keeps the
 * extension from working as configured stops it with the reason, so an operator finds the cause in
 * the broker log rather than a half-working extension.
 */
public final class ExtensionMain implements com.hivemq.extension.sdk.api.ExtensionMain {

  private static final Logger log = LoggerFactory.getLogger(ExtensionMain.class);
  private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);
  private static final int SIGN_IN_QUEUE = 16;

  private @Nullable FlagStore store;
  private @Nullable ClusterReplica replica;
  private @Nullable FlagDelivery delivery;
  private @Nullable ExecutorService adminThread;
  private @Nullable ExecutorService verifier;
  private @Nullable ScheduledExecutorService signInDeadlines;
  private @Nullable BrokerMetrics metrics;
  private @Nullable Plans plans;
  private @Nullable ScheduledExecutorService planTimer;
  private @Nullable ClusterDriving driving;
  private @Nullable TimeBoundaries boundaries;

  @Override
  public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
    Path home = input.getExtensionInformation().getExtensionHomeFolder().toPath();
    Path brokerData = input.getServerInformation().getDataFolder().toPath();
    try {
      start(new ConfigReader(home, brokerData).read(), input.getExtensionInformation().getVersion());
    } catch (InvalidConfigException | StartupException e) {
      log.error("FleetFlags not started: {}", e.getMessage());
      stop();
      output.preventExtensionStartup(e.getMessage());
    } catch (RuntimeException e) {
      // A bug, not an operator's mistake: keep the stack trace, but say first what it stopped.
      log.error("FleetFlags not started: starting failed unexpectedly.", e);
      stop();
      output.preventExtensionStartup("starting failed: " + e);
    }
  }

  private void start(FleetFlagsConfig config, String version) throws StartupException {
    FileDescriptorCheck.warnIfLow(config.expectedDevices());
    try {
      store = FlagStore.open(config.dataFolder(), new StoreSettings(config.registryCacheSize(), config.historyLimit(), Clock.systemUTC()));
    } catch (StoreException e) {
      throw new StartupException(e.getMessage());
    }
    FlagSetCompiler compiler = new FlagSetCompiler(config.limits());
    LiveFlags live;
    try {
      live = new LiveFlags(FlagAdmin.load(store, compiler));
    } catch (InvalidDocumentException e) {
      throw new StartupException("the flags in the store at " + config.dataFolder() + " cannot be served: " + e.getMessage());
    }
    DeviceTopics topics = new DeviceTopics(config.deviceTopic());
    metrics = new BrokerMetrics(Services.metricRegistry());
    metrics.watchFileDescriptors();
    DeviceContexts contexts = new DeviceContexts(store::deviceAttributes, Set.copyOf(config.attributeUserProperties()),
        config.limits(), metrics, System::nanoTime);
    delivery = new FlagDelivery(live, contexts, new FlagUpdates(config.includeVariants()),
        new BrokerPublisher(Services.publishService(), topics),
        new FlagDelivery.Settings(config.workerThreads(), config.delivery().maxInFlight(), config.delivery().publishRate(),
            config.delivery().historyRevisions(), config.delivery().offlineDevices(), PROGRESS_INTERVAL),
        metrics, new ComplianceTracker.Settings(config.delivery().complianceRevisions(),
            config.delivery().offlineDevices(), Clock.systemUTC()));
    live.addListener(delivery);
    metrics.watch(delivery);
    FlagAdmin admin = new FlagAdmin(store, compiler, live, contexts, delivery::connectionAttributes, FlagAdmin.PLAN_WAIT, delivery)
        .withCompliance(delivery.compliance());
    ClusterSettings cluster = config.cluster();
    if (cluster != null) {
      // Before the seed: a broker joining a cluster takes (or first publishes) the shared state.
      try {
        replica = ClusterReplica.connect(store, cluster);
      } catch (StoreException e) {
        throw new StartupException(e.getMessage());
      }
      replica.start(cluster.writeTimeout());
      metrics.watch(replica);
    }
    seed(config, admin);

    adminThread = singleThread("fleetflags-admin", config.workerQueue());
    startPlans(config, admin, live);
    OperatorConnections operatorConnections = new OperatorConnections(System::nanoTime);
    AdminEndpoint endpoint = new AdminEndpoint(admin, adminThread, Services.publishService(),
        config.adminTopicPrefix(), config.limits().maxDocumentBytes(),
        new AdminRateLimit(config.adminRequestsPerSecond(), config.adminQueriesPerSecond(), System::nanoTime), metrics,
        operatorConnections);
    delivery.addProgressListener(endpoint::progress);
    TopicAuthorizer authorizer = new TopicAuthorizer(topics, config.adminTopicPrefix());
    DeviceInterceptors interceptors = new DeviceInterceptors(topics, config.adminTopicPrefix(), delivery, endpoint, authorizer);
    ConnectionListener connections = new ConnectionListener(delivery, contexts, interceptors, topics,
        config.stateUserProperty(), operatorConnections);
    Map<String, PasswordHash> passwords = new HashMap<>();
    Set<String> commonNames = new HashSet<>();
    for (Operator operator : config.operators()) {
      if (operator instanceof Operator.WithPassword p) {
        passwords.put(p.username(), p.passwordHash());
      } else if (operator instanceof Operator.WithCertificate c) {
        commonNames.add(c.commonName());
      }
    }
    OperatorSignIns signIns = operatorSignIns(passwords, metrics);
    metrics.watchSignIns(signIns::pending);
    OperatorAuthenticator authenticator = new OperatorAuthenticator(signIns, commonNames, config.deviceAuthentication());
    OperatorSessions sessions = new OperatorSessions(passwords.keySet(), commonNames, operatorConnections);

    Services.eventRegistry().setClientLifecycleEventListener(connections);
    Services.initializerRegistry().setClientInitializer(interceptors);
    Services.interceptorRegistry().setConnectInboundInterceptorProvider(in -> sessions);
    Services.securityRegistry().setAuthenticatorProvider(in -> authenticator);
    Services.securityRegistry().setAuthorizerProvider(in -> authorizer);
    clearRetained(authorizer);

    log.info("FleetFlags {} started at revision {} with {} flags: device topic {}, admin topics {}/#, data folder {}, {},"
            + " attribute user properties [{}], operators [{}], other clients: {}.",
        version, live.current().revision(), live.current().flagSet().size(), config.deviceTopic(),
        config.adminTopicPrefix(), config.dataFolder(),
        cluster == null ? "a broker on its own" : "one of several brokers sharing etcd at " + cluster.describeEndpoints()
            + " (prefix " + cluster.keyPrefix() + ")",
        String.join(", ", config.attributeUserProperties()),
        ConfigReader.describe(config.operators()), config.deviceAuthentication().name().toLowerCase(java.util.Locale.ROOT));
  }

  /**
   * Rollouts and scheduled changes (checked every {@code rollouts/check-interval-millis} on a
   * timer of their own, their writes made on the admin thread; with several brokers, driven by
   * one of them), and the time boundaries of time-based targeting.
   */
  private void startPlans(FleetFlagsConfig config, FlagAdmin admin, LiveFlags live) {
    Clock clock = Clock.systemUTC();
    // The gates read what this broker's devices report (with several brokers, added to the others').
    FleetCompliance compliance = delivery.compliance();
    String broker = ManagementFactory.getRuntimeMXBean().getName() + "-" + Long.toHexString(System.nanoTime() & 0xFFFFFF);
    Leadership leadership = Leadership.ALONE;
    FleetFigures figures = FleetFigures.of(compliance);
    if (replica != null) {
      driving = replica.driving(broker, compliance);
      driving.start();
      leadership = driving;
      figures = driving;
    }
    Rollouts rollouts = new Rollouts(admin, store, clock, figures, leadership, metrics, broker);
    plans = new Plans(rollouts, new Schedules(admin, store, clock, leadership, metrics));
    admin.planRequests(plans);
    metrics.watch(rollouts);
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemon("fleetflags-rollouts"));
    planTimer = timer;
    Plans started = plans;
    ExecutorService admins = adminThread;
    timer.scheduleWithFixedDelay(() -> started.check(admins), config.rolloutCheckMillis(), config.rolloutCheckMillis(),
        TimeUnit.MILLISECONDS);
    boundaries = new TimeBoundaries(delivery, live, clock);
    live.addListener(boundaries);
    boundaries.start();
  }

  /**
   * Before the broker stops: the rollouts this broker drives record the bake time they have left
   * (on the admin thread, as every write), so that they resume with it.
   */
  private void suspendPlans() {
    if (planTimer != null) {
      planTimer.shutdownNow();
      planTimer = null;
    }
    Plans running = plans;
    ExecutorService admins = adminThread;
    if (running != null && admins != null) {
      try {
        admins.submit(() -> running.rollouts().suspend()).get(10, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
        log.warn("Could not record the rollouts' bake time before stopping ({}); they bake again from their last write", e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    plans = null;
    if (driving != null) {
      driving.close();
      driving = null;
    }
    if (boundaries != null) {
      boundaries.close();
      boundaries = null;
    }
  }

  /**
   * Removes the retained messages in FleetFlags' topics (device topic space, admin prefix): FleetFlags
   * retains nothing and refuses others' publishes there, so any were planted while it was not
   * running, and a device must never get one. HiveMQ iterates its retained store in chunks on its
   * own threads, so a large store does not hold up the start; devices' subscriptions to their own
   * topics get no retained messages meanwhile ({@link DeviceInterceptors}).
   */
  private static void clearRetained(TopicAuthorizer authorizer) {
    RetainedMessageStore retained = Services.retainedMessageStore();
    AtomicInteger removed = new AtomicInteger();
    List<String> examples = new CopyOnWriteArrayList<>();
    retained.iterateAllRetainedMessages((context, message) -> {
      String topic = message.getTopic();
      if (authorizer.guards(topic)) {
        retained.remove(topic);
        if (removed.getAndIncrement() < 5) {
          examples.add(topic);
        }
      }
    }).whenComplete((done, failure) -> {
      if (failure != null) {
        log.error("Could not clear retained messages from FleetFlags' topics: {}; subscriptions to their own"
            + " topics still get none", failure.toString());
      } else if (removed.get() > 0) {
        log.warn("Removed {} retained messages from FleetFlags' topics ({}{}): they were published while FleetFlags"
            + " was not running; see the README on keeping its topics closed meanwhile",
            removed.get(), String.join(", ", examples), removed.get() > examples.size() ? ", ..." : "");
      } else {
        log.info("No retained messages in FleetFlags' topics.");
      }
    });
  }

  /** Applies the seed file to a store that has never been written; an invalid seed stops the start. */
  private static void seed(FleetFlagsConfig config, FlagAdmin admin) throws StartupException {
    Path file = config.seedFile();
    if (file == null) {
      return;
    }
    byte[] json;
    try {
      json = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new StartupException("the seed file " + file + " cannot be read: " + e);
    }
    AdminResponse seeded = admin.seedIfEmpty(json);
    if (seeded == null) {
      log.info("Seed file {} not applied: the store already holds flags", file);
    } else if (seeded.isAccepted()) {
      log.info("Seed file {} applied: {}", file, seeded);
    } else if (seeded.status().equals("rejected")) {
      throw new StartupException("the seed file " + file + " was rejected: " + problems(seeded));
    } else if (config.cluster() != null) {
      // Not the seed's fault (the cluster store out of reach): serve what the store holds.
      log.warn("Seed file {} not applied now: {}", file, seeded.body().get("reason"));
    } else {
      throw new StartupException("the seed file " + file + " could not be applied: " + seeded.body().get("reason"));
    }
  }

  /**
   * Password checks on one thread of their own with a short queue: a check waits at most
   * {@value #SIGN_IN_QUEUE} others (~0.14 s each at 600,000 iterations), well within its deadline;
   * past that, sign-ins are answered "busy" at once.
   */
  private OperatorSignIns operatorSignIns(Map<String, PasswordHash> passwords, BrokerMetrics metrics) {
    verifier = singleThread("fleetflags-operator-sign-in", SIGN_IN_QUEUE);
    ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, daemon("fleetflags-sign-in-deadlines"));
    deadlines.setRemoveOnCancelPolicy(true);
    // On stop the verifier answers what it still holds; the timers need not hold the stop up.
    deadlines.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    signInDeadlines = deadlines;
    OperatorSignIns.Timer timer = (delay, task) -> {
      ScheduledFuture<?> scheduled = deadlines.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
      return () -> scheduled.cancel(false);
    };
    return new OperatorSignIns(passwords, new SignInGuard(SignInGuard.Settings.DEFAULT, System::nanoTime),
        new RememberedSignIns(), verifier, timer, System::nanoTime, metrics, LogLimit.perMinute());
  }

  /**
   * The problems of a rejected document, each as location and reason, the first {@value
   * #SEED_PROBLEMS_SHOWN} of them: what to fix, never the file's content (reasons quote at most a
   * few dozen characters of a value).
   */
  private static String problems(AdminResponse rejected) {
    List<?> problems = rejected.body().get("problems") instanceof List<?> list ? list : List.of();
    StringBuilder sb = new StringBuilder().append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
    for (int i = 0; i < Math.min(problems.size(), SEED_PROBLEMS_SHOWN); i++) {
      Map<?, ?> problem = (Map<?, ?>) problems.get(i);
      String location = String.valueOf(problem.get("location"));
      sb.append(i == 0 ? ": " : "; ").append(location.isEmpty() ? "" : location + ": ").append(problem.get("reason"));
    }
    if (problems.size() > SEED_PROBLEMS_SHOWN) {
      sb.append("; and ").append(problems.size() - SEED_PROBLEMS_SHOWN).append(" more");
    }
    return sb.toString();
  }

  private static final int SEED_PROBLEMS_SHOWN = 20;

  private static ExecutorService singleThread(String name, int queue) {
    return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), daemon(name));
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
    stop();
    log.info("FleetFlags stopped.");
  }

  /** Releases whatever was started, in reverse order; safe after a partial start. */
  private void stop() {
    suspendPlans();
    if (replica != null) {
      replica.close();
      replica = null;
    }
    if (delivery != null) {
      delivery.close();
      delivery = null;
    }
    for (ExecutorService executor : new ExecutorService[] {adminThread, verifier, signInDeadlines}) {
      if (executor != null) {
        executor.shutdown();
        try {
          executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    adminThread = null;
    verifier = null;
    signInDeadlines = null;
    if (store != null) {
      store.close();
      store = null;
    }
    if (metrics != null) {
      metrics.remove();
      metrics = null;
    }
  }

  /** Why the extension cannot start, in words for the broker log. */
  private static final class StartupException extends Exception {
    private static final long serialVersionUID = 1L;

    StartupException(String message) {
      super(message, null, false, false);
    }
  }
}
