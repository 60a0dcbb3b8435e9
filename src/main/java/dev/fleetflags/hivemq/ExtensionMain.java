package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import dev.fleetflags.admin.FlagAdmin;
import dev.fleetflags.delivery.ComplianceTracker;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.delivery.FlagUpdates;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.replication.ClusterReplica;
import dev.fleetflags.replication.ClusterSettings;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.StoreException;
import dev.fleetflags.store.StoreSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
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
  private @Nullable ClusterReplica replica;
  private @Nullable FlagDelivery delivery;
  private @Nullable ExecutorService adminThread;
  private @Nullable TimedChanges timedChanges;
  private @Nullable OperatorAccess operators;
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
        new BrokerPublisher(Services.publishService(), Services.clientService(), Services.subscriptionStore(), topics),
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
    SeedFile.apply(config, admin);

    adminThread = ExtensionThreads.singleThread("fleetflags-admin", config.workerQueue());
    timedChanges = new TimedChanges(config, admin, store, live, delivery, replica, adminThread, metrics);
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
    operators = new OperatorAccess(config, operatorConnections, metrics);
    OperatorAuthenticator authenticator = operators.authenticator();
    OperatorSessions sessions = operators.sessions();

    Services.eventRegistry().setClientLifecycleEventListener(connections);
    Services.initializerRegistry().setClientInitializer(interceptors);
    Services.interceptorRegistry().setConnectInboundInterceptorProvider(in -> sessions);
    Services.securityRegistry().setAuthenticatorProvider(in -> authenticator);
    Services.securityRegistry().setAuthorizerProvider(in -> authorizer);
    PlantedRetainedMessages.remove(authorizer);

    log.info("FleetFlags {} started at revision {} with {} flags: device topic {}, admin topics {}/#, data folder {}, {},"
            + " attribute user properties [{}], operators [{}], other clients: {}.",
        version, live.current().revision(), live.current().flagSet().size(), config.deviceTopic(),
        config.adminTopicPrefix(), config.dataFolder(),
        cluster == null ? "a broker on its own" : "one of several brokers sharing etcd at " + cluster.describeEndpoints()
            + " (prefix " + cluster.keyPrefix() + ")",
        String.join(", ", config.attributeUserProperties()),
        ConfigReader.describe(config.operators()), config.deviceAuthentication().name().toLowerCase(Locale.ROOT));
  }

  @Override
  public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
    stop();
    log.info("FleetFlags stopped.");
  }

  /** Releases whatever was started, in reverse order; safe after a partial start. */
  private void stop() {
    if (timedChanges != null) {
      timedChanges.close(); // before the admin thread: rollouts record their bake time on it
      timedChanges = null;
    }
    if (replica != null) {
      replica.close();
      replica = null;
    }
    if (delivery != null) {
      delivery.close();
      delivery = null;
    }
    ExtensionThreads.shutdown(adminThread);
    adminThread = null;
    if (operators != null) {
      operators.close();
      operators = null;
    }
    if (store != null) {
      store.close();
      store = null;
    }
    if (metrics != null) {
      metrics.remove();
      metrics = null;
    }
  }
}
