package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.admin.FlagAdmin;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.delivery.FlagUpdates;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.StoreException;
import dev.fleetflags.store.StoreSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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

  private @Nullable FlagStore store;
  private @Nullable FlagDelivery delivery;
  private @Nullable ExecutorService adminThread;
  private @Nullable ExecutorService verifier;
  private @Nullable BrokerMetrics metrics;

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
    DeviceContexts contexts = new DeviceContexts(store::deviceAttributes, Set.copyOf(config.attributeUserProperties()),
        config.limits(), metrics, System::nanoTime);
    delivery = new FlagDelivery(live, contexts, new FlagUpdates(config.includeVariants()),
        new BrokerPublisher(Services.publishService(), topics),
        new FlagDelivery.Settings(config.workerThreads(), config.delivery().maxInFlight(), config.delivery().publishRate(),
            config.delivery().historyRevisions(), config.delivery().offlineDevices(), PROGRESS_INTERVAL),
        metrics);
    live.addListener(delivery);
    metrics.watch(delivery);
    FlagAdmin admin = new FlagAdmin(store, compiler, live, contexts, delivery::connectionAttributes);
    seed(config, admin);

    adminThread = singleThread("fleetflags-admin", config.workerQueue());
    verifier = singleThread("fleetflags-operator-sign-in", 64);
    AdminEndpoint endpoint = new AdminEndpoint(admin, adminThread, Services.publishService(),
        config.adminTopicPrefix(), config.limits().maxDocumentBytes(), new AdminRateLimit(config.adminRequestsPerSecond()), metrics);
    TopicAuthorizer authorizer = new TopicAuthorizer(topics, config.adminTopicPrefix());
    DeviceInterceptors interceptors = new DeviceInterceptors(topics, config.adminTopicPrefix(), delivery, endpoint, authorizer);
    ConnectionListener connections = new ConnectionListener(delivery, contexts, interceptors, config.stateUserProperty());
    OperatorAuthenticator authenticator = new OperatorAuthenticator(config.operators(), config.deviceAuthentication(), verifier);

    Services.eventRegistry().setClientLifecycleEventListener(connections);
    Services.initializerRegistry().setClientInitializer(interceptors);
    Services.securityRegistry().setAuthenticatorProvider(in -> authenticator);
    Services.securityRegistry().setAuthorizerProvider(in -> authorizer);

    log.info("FleetFlags {} started at revision {} with {} flags: device topic {}, admin topics {}/#, data folder {},"
            + " attribute user properties [{}], operators [{}], other clients: {}.",
        version, live.current().revision(), live.current().flagSet().size(), config.deviceTopic(),
        config.adminTopicPrefix(), config.dataFolder(), String.join(", ", config.attributeUserProperties()),
        ConfigReader.describe(config.operators()), config.deviceAuthentication().name().toLowerCase(java.util.Locale.ROOT));
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
    } else {
      throw new StartupException("the seed file " + file + " was rejected: " + seeded);
    }
  }

  private static ExecutorService singleThread(String name, int queue) {
    return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
    stop();
    log.info("FleetFlags stopped.");
  }

  /** Releases whatever was started, in reverse order; safe after a partial start. */
  private void stop() {
    if (delivery != null) {
      delivery.close();
      delivery = null;
    }
    for (ExecutorService executor : new ExecutorService[] {adminThread, verifier}) {
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
