package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import dev.fleetflags.ops.SeriesTable;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What BrokerMetrics registers is in the README's names table with its kind, so that the series
 * operators are told to alert on are the ones a broker has (the gauges read from delivery and etcd
 * are checked on real brokers: PrometheusSeriesTest and SeveralBrokersTest in the integration
 * tests).
 */
class MetricNamesTest {

  @Test
  void everyMetricRegisteredIsInTheNamesTableWithItsKind() throws Exception {
    MetricRegistry registry = new MetricRegistry();
    BrokerMetrics metrics = new BrokerMetrics(registry);
    metrics.watchSignIns(() -> 0);
    metrics.watchFileDescriptors();
    Map<String, SeriesTable.Row> table = SeriesTable.read(Path.of("")).rows().stream()
        .collect(Collectors.toMap(SeriesTable.Row::metric, Function.identity()));
    assertTrue(registry.getMetrics().size() >= 25, "registered: " + registry.getNames());
    for (Map.Entry<String, Metric> metric : registry.getMetrics().entrySet()) {
      SeriesTable.Row row = table.get(metric.getKey());
      assertNotNull(row, metric.getKey() + " is not in the README's names table (Metrics in Prometheus)");
      assertEquals(kind(metric.getValue()), row.kind(), metric.getKey());
    }
    metrics.remove();
    assertEquals(0, registry.getMetrics().size(), "removed on stop");
  }

  private static String kind(Metric metric) {
    if (metric instanceof Counter) {
      return "counter";
    } else if (metric instanceof Gauge) {
      return "gauge";
    } else if (metric instanceof Histogram) {
      return "histogram";
    } else if (metric instanceof Timer) {
      return "timer";
    } else if (metric instanceof Meter) {
      return "meter";
    }
    throw new IllegalArgumentException("unknown kind: " + metric.getClass());
  }
}
