package dev.fleetflags.it;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.dropwizard.DropwizardExports;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The broker's MetricRegistry over HTTP in Prometheus' text format, exported as the HiveMQ
 * Prometheus extension exports it: the same library ({@code DropwizardExports} of Prometheus'
 * simpleclient, at the version the extension ships) with its default naming, every metric of the
 * registry, at {@code /metrics}. So the series the local runner shows are those a production broker
 * with that extension shows (README, "Metrics in Prometheus").
 */
final class PrometheusEndpoint implements AutoCloseable {

  static final String PATH = "/metrics";

  private final HTTPServer server;

  private PrometheusEndpoint(HTTPServer server) {
    this.server = server;
  }

  /** Serves the registry on this address until closed; throws if the port is taken. */
  static PrometheusEndpoint start(MetricRegistry registry, InetSocketAddress address) throws IOException {
    CollectorRegistry collectors = new CollectorRegistry(true);
    collectors.register(new DropwizardExports(registry));
    HTTPServer server =
        new HTTPServer.Builder()
            .withInetSocketAddress(address)
            .withRegistry(collectors)
            .withDaemonThreads(true)
            .build();
    return new PrometheusEndpoint(server);
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
  }
}
