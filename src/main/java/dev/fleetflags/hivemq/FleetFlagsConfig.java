package dev.fleetflags.hivemq;

import dev.fleetflags.replication.ClusterSettings;
import dev.fleetflags.rules.Limits;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The extension's settings, read from {@code conf/config.xml} and checked by {@link ConfigReader},
 * which reports every problem with its setting; the constructor only guards the invariants the rest
 * of the code relies on. Paths are absolute.
 *
 * @param deviceTopic topic template with {@link #CLIENT_ID} once, as a whole level
 * @param adminTopicPrefix admin topics are {@code <prefix>/flags/apply} and so on
 * @param dataFolder folder of the RocksDB store
 * @param seedFile flagd document applied when the store holds no flags, or null
 * @param stateUserProperty MQTT 5 CONNECT user property carrying a device's state hash
 * @param includeVariants whether updates to devices carry variant names
 * @param attributeUserProperties CONNECT user properties used as targeting attributes
 * @param operators who may use the admin topics
 * @param deviceAuthentication what FleetFlags decides for clients that are not operators
 * @param limits bounds on admin documents
 * @param adminRequestsPerSecond admin writes accepted per second from each operator
 * @param adminQueriesPerSecond admin queries accepted per second from each operator
 * @param registryCacheSize device registry entries held in memory
 * @param historyLimit audit entries kept
 * @param workerThreads delivery workers: threads evaluating queued devices' flags and publishing
 * @param workerQueue admin requests waiting for the admin thread, at most
 * @param delivery pacing of flag updates to devices
 * @param expectedDevices the connected devices this broker is sized for: at start FleetFlags warns
 *     if the process's file-descriptor limit cannot hold them
 * @param cluster the etcd cluster several brokers share, or null for a broker on its own
 * @param rolloutCheckMillis how often rollouts' gates are checked and scheduled changes made
 */
public record FleetFlagsConfig(
    String deviceTopic,
    String adminTopicPrefix,
    Path dataFolder,
    @Nullable Path seedFile,
    String stateUserProperty,
    boolean includeVariants,
    List<String> attributeUserProperties,
    List<Operator> operators,
    DeviceAuthentication deviceAuthentication,
    Limits limits,
    int adminRequestsPerSecond,
    int adminQueriesPerSecond,
    int registryCacheSize,
    int historyLimit,
    int workerThreads,
    int workerQueue,
    Delivery delivery,
    int expectedDevices,

    @Nullable ClusterSettings cluster,
    int rolloutCheckMillis) {

  /** What the authenticator does with a client that is not an operator. */
  public enum DeviceAuthentication {
    /** Leave it to the broker's other security extensions (refused if there are none). */
    DELEGATE,
    /** Let it connect: for brokers without another security extension. */
    ALLOW
  }

  /** Stands for the device's client id in {@link #deviceTopic}. */
  public static final String CLIENT_ID = "{clientId}";

  public static final String DEFAULT_DEVICE_TOPIC = "flags/" + CLIENT_ID;
  public static final String DEFAULT_ADMIN_TOPIC_PREFIX = "flags-admin";

  /** Below the broker's data folder when {@code <data-folder>} is empty. */
  public static final String DEFAULT_DATA_FOLDER_NAME = "fleetflags";

  public static final String DEFAULT_STATE_USER_PROPERTY = "fleetflags-state";
  public static final boolean DEFAULT_INCLUDE_VARIANTS = false;
  public static final int DEFAULT_ADMIN_REQUESTS_PER_SECOND = 20;
  public static final int DEFAULT_ADMIN_QUERIES_PER_SECOND = 50;
  public static final int DEFAULT_REGISTRY_CACHE_SIZE = 100_000;
  public static final int DEFAULT_HISTORY_LIMIT = 10_000;
  public static final int DEFAULT_WORKER_THREADS = 2;
  public static final int DEFAULT_WORKER_QUEUE = 10_000;
  public static final int DEFAULT_EXPECTED_DEVICES = 10_000;
  public static final int DEFAULT_ROLLOUT_CHECK_MILLIS = 1000;

  /**
   * @param maxInFlight flag updates published and not yet acknowledged, at most
   * @param publishRate flag updates published per second, at most; 0 means unlimited
   * @param historyRevisions recent flag sets kept to compute a returning device's delta from
   * @param offlineDevices disconnected devices whose last received revision is remembered
   * @param complianceRevisions the newest revisions whose compliance is tracked
   */
  public record Delivery(int maxInFlight, int publishRate, int historyRevisions, int offlineDevices,
      int complianceRevisions) {

    public static final Delivery DEFAULT = new Delivery(50_000, 0, 32, 100_000, 16);

    public Delivery {
      if (maxInFlight < 1 || publishRate < 0 || historyRevisions < 1 || offlineDevices < 0
          || complianceRevisions < 1) {
        throw new IllegalArgumentException(
            "maxInFlight, historyRevisions and complianceRevisions must be positive, publishRate and offlineDevices"
                + " not negative: " + this);
      }
    }

    /** Delivery settings with the default number of compliance revisions. */
    public Delivery(int maxInFlight, int publishRate, int historyRevisions, int offlineDevices) {
      this(maxInFlight, publishRate, historyRevisions, offlineDevices, DEFAULT.complianceRevisions());
    }

    public boolean unlimitedRate() {
      return publishRate == 0;
    }
  }

  public FleetFlagsConfig {
    if (!dataFolder.isAbsolute() || (seedFile != null && !seedFile.isAbsolute())) {
      throw new IllegalArgumentException("paths must be absolute");
    }
    if (!deviceTopic.contains(CLIENT_ID)) {
      throw new IllegalArgumentException("deviceTopic must contain " + CLIENT_ID);
    }
    positive("adminRequestsPerSecond", adminRequestsPerSecond);
    positive("adminQueriesPerSecond", adminQueriesPerSecond);
    positive("registryCacheSize", registryCacheSize);
    positive("historyLimit", historyLimit);
    positive("workerThreads", workerThreads);
    positive("workerQueue", workerQueue);
    positive("expectedDevices", expectedDevices);
    positive("rolloutCheckMillis", rolloutCheckMillis);
    attributeUserProperties = List.copyOf(attributeUserProperties);
    operators = List.copyOf(operators);
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
  }

  /** All defaults, as when there is no {@code conf/config.xml}. */
  public static FleetFlagsConfig defaults(Path brokerDataFolder) {
    return new FleetFlagsConfig(
        DEFAULT_DEVICE_TOPIC,
        DEFAULT_ADMIN_TOPIC_PREFIX,
        brokerDataFolder.toAbsolutePath().resolve(DEFAULT_DATA_FOLDER_NAME),
        null,
        DEFAULT_STATE_USER_PROPERTY,
        DEFAULT_INCLUDE_VARIANTS,
        List.of(),
        List.of(),
        DeviceAuthentication.DELEGATE,
        Limits.DEFAULT,
        DEFAULT_ADMIN_REQUESTS_PER_SECOND,
        DEFAULT_ADMIN_QUERIES_PER_SECOND,
        DEFAULT_REGISTRY_CACHE_SIZE,
        DEFAULT_HISTORY_LIMIT,
        DEFAULT_WORKER_THREADS,
        DEFAULT_WORKER_QUEUE,
        Delivery.DEFAULT,
        DEFAULT_EXPECTED_DEVICES,

        null,
        DEFAULT_ROLLOUT_CHECK_MILLIS);
  }

  /** The flag topic of one device. */
  public String deviceTopicFor(String clientId) {
    return deviceTopic.replace(CLIENT_ID, clientId);
  }
}
