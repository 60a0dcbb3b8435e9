package dev.fleetflags.it;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.dropwizard.DropwizardExports;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The broker's MetricRegistry over HTTP in Prometheus' text format, exported as the HiveMQ
 * Prometheus extension exports it: the same library ({@code DropwizardExports} of Prometheus'
 * simpleclient, at the version the extension ships) with its default naming, every metric of the
 * registry, at {@code /metrics}. So the series the local runner shows are those a production broker
 * with that extension shows (README, "Metrics in Prometheus").
 */
final class PrometheusEndpoint implements AutoCloseable {

  static final String PATH = "/metrics";
  private static final Duration WAIT = Duration.ofSeconds(30);

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

  /**
   * Scrapes an endpoint on this machine as Prometheus would and returns each series' value by its
   * name with its labels as written, e.g. {@code fleetflags_queue_depth} or {@code
   * fleetflags_admin_time{quantile="0.99",}}.
   */
  static Map<String, Double> scrape(int port) {
    Map<String, Double> series = new TreeMap<>();
    for (String line : exposition(port).split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        int space = line.lastIndexOf(' ');
        series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return series;
  }

  /** What an endpoint on this machine answers Prometheus: the text format, comments included. */
  static String exposition(int port) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(WAIT).build();
    try {
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + PATH)).timeout(WAIT).build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("port " + port + PATH + " answered " + response.statusCode() + ": " + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException("could not scrape port " + port + PATH, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The names of the series a scrape found (without labels) that start with {@code prefix}. */
  static Set<String> names(Map<String, Double> scraped, String prefix) {
    Set<String> names = new TreeSet<>();
    for (String series : scraped.keySet()) {
      String name = series.split("\\{", 2)[0];
      if (name.startsWith(prefix)) {
        names.add(name);
      }
    }
    return names;
  }

  @Override
  public void close() {
    server.close();
  }
}
