package dev.fleetflags.replication;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How a broker reaches the etcd cluster that several brokers share, and what it asks of it.
 *
 * @param endpoints etcd client URLs ({@code http://} or {@code https://}, one scheme for all)
 * @param keyPrefix every key FleetFlags writes starts with this, e.g. {@code /fleetflags}
 * @param username etcd user, or null without etcd authentication
 * @param passwordFile file holding that user's password (its first line), or null
 * @param caFile PEM certificates that sign etcd's server certificates, or null for the JVM's
 * @param certFile PEM client certificate for etcd's client certificate authentication, or null
 * @param keyFile PEM (PKCS#8) private key of {@code certFile}, or null
 * @param writeTimeout bound on an admin write: etcd's commit and this broker applying it
 * @param requestTimeout bound on every other request to etcd (probes, reads)
 * @param probeInterval how often the broker checks that it is in touch with etcd
 * @param quotaBytes writes that would take etcd's database past this size are refused; 0: no check
 * @param maxTxnOps etcd's {@code --max-txn-ops}: a write needing more operations is refused
 * @param maxRequestBytes etcd's {@code --max-request-bytes}: a larger write is refused
 */
public record ClusterSettings(
    List<URI> endpoints,
    String keyPrefix,
    @Nullable String username,
    @Nullable Path passwordFile,
    @Nullable Path caFile,
    @Nullable Path certFile,
    @Nullable Path keyFile,
    Duration writeTimeout,
    Duration requestTimeout,
    Duration probeInterval,
    long quotaBytes,
    int maxTxnOps,
    int maxRequestBytes) {

  public static final String DEFAULT_KEY_PREFIX = "/fleetflags";
  public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(2);
  public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(1);
  /** etcd's default backend quota. */
  public static final long DEFAULT_QUOTA_BYTES = 2L * 1024 * 1024 * 1024;
  /** etcd's defaults for {@code --max-txn-ops} and {@code --max-request-bytes}. */
  public static final int DEFAULT_MAX_TXN_OPS = 128;
  public static final int DEFAULT_MAX_REQUEST_BYTES = 1536 * 1024;

  public ClusterSettings {
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("at least one etcd endpoint is needed");
    }
    if (!keyPrefix.startsWith("/") || keyPrefix.endsWith("/")) {
      throw new IllegalArgumentException("the key prefix must start with / and not end with one: " + keyPrefix);
    }
    for (Duration d : List.of(writeTimeout, requestTimeout, probeInterval)) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("timeouts and intervals must be positive: " + d);
      }
    }
    if (quotaBytes < 0 || maxTxnOps < 4 || maxRequestBytes < 1024) {
      throw new IllegalArgumentException("quotaBytes >= 0, maxTxnOps >= 4, maxRequestBytes >= 1024");
    }
  }

  /** The defaults for these endpoints. */
  public static ClusterSettings of(List<URI> endpoints) {
    return new ClusterSettings(endpoints, DEFAULT_KEY_PREFIX, null, null, null, null, null, DEFAULT_WRITE_TIMEOUT,
        DEFAULT_REQUEST_TIMEOUT, DEFAULT_PROBE_INTERVAL, DEFAULT_QUOTA_BYTES, DEFAULT_MAX_TXN_OPS, DEFAULT_MAX_REQUEST_BYTES);
  }

  /** The endpoints as etcd writes them, comma-separated. */
  public String describeEndpoints() {
    return String.join(",", endpoints.stream().map(URI::toString).toList());
  }
}
