package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.ops.SeriesTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The local runner's metrics endpoint, scraped as Prometheus scrapes the HiveMQ Prometheus
 * extension: the runner started as {@code mvn -Prun verify} starts it (the packaged zip, the
 * example configuration and seed), on free ports, and FleetFlags' series are exactly those of the
 * README's names table ("Metrics in Prometheus"), with the kinds it states, beside HiveMQ's own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrometheusSeriesTest {

  private LocalBroker.Running running;
  private Path root;

  @BeforeAll
  void startRunner() throws Exception {
    root = Path.of(System.getProperty("fleetflags.root")).toAbsolutePath().normalize();
    Path base = Path.of(System.getProperty("fleetflags.brokers", System.getProperty("java.io.tmpdir")));
    Files.createDirectories(base);
    running = LocalBroker.start(root, Files.createTempDirectory(base, "runner-"), EmbeddedBroker.freePort(),
        EmbeddedBroker.freePort(), "OFF");
  }

  @AfterAll
  void stopRunner() {
    if (running != null) {
      running.close();
    }
  }

  @Test
  void fleetFlagsSeriesAreThoseOfTheNamesTable() throws Exception {
    // an admin request and a device's snapshot, so that the summaries have values
    try (Mqtt5Device operator = Mqtt5Device.with(running.broker(), "prom-ops")
            .credentials(LocalBroker.OPERATOR, LocalBroker.OPERATOR_PASSWORD).connect();
        Mqtt5Device device = Mqtt5Device.connect(running.broker(), "prom-dev-1")) {
      assertTrue(device.subscribeGranted(device.flagTopic()));
      device.awaitUpdate();
      String answer = operator.request("flags-admin/query/flags", "{}", "prom/answers");
      assertEquals("ok", Operator.parse(answer).path("status").asText(), answer);
    }
    String exposition = PrometheusEndpoint.exposition(running.metrics().port());
    Map<String, Double> scraped = PrometheusEndpoint.scrape(running.metrics().port());
    SeriesTable table = SeriesTable.read(root);
    assertEquals(new TreeSet<>(table.singleBrokerSeries()), PrometheusEndpoint.names(scraped, "fleetflags_"),
        "FleetFlags' series at " + LocalBroker.metricsUrl(running));
    assertFalse(PrometheusEndpoint.names(scraped, "com_hivemq_").isEmpty(), "HiveMQ's own series too: " + scraped.keySet());
    // what the README says of the kinds: counters as gauges, timers as summaries in seconds
    assertTrue(exposition.contains("# TYPE fleetflags_deltas_sent gauge\n"), exposition);
    assertTrue(exposition.contains("# TYPE fleetflags_admin_time summary\n"), exposition);
    assertTrue(exposition.contains("fleetflags_admin_time{quantile=\"0.99\",}"), exposition);
    assertTrue(exposition.contains("fleetflags_update_bytes_count 1.0\n"), exposition);
  }

  @Test
  void theRunnerPrintsWhereItsMetricsAre() {
    String printed = LocalBroker.instructions(root, running.broker().root(), running);
    assertTrue(printed.contains("metrics: http://localhost:" + running.metrics().port() + "/metrics"), printed);
  }

}
