package dev.fleetflags.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The README's names table ("Metrics in Prometheus"): each FleetFlags metric, its Dropwizard kind
 * and the Prometheus series the HiveMQ Prometheus extension makes of it. The rules, the dashboard
 * and the local runner's endpoint are all checked against it. JDK only: the integration tests
 * compile it too.
 */
public record SeriesTable(List<Row> rows) {

  /** One metric: its name in the registry, its kind, and its series (names without labels). */
  public record Row(String metric, String kind, List<String> series, boolean clusterOnly) {}

  private static final String START = "<!-- series";
  private static final String END = "<!-- /series -->";
  private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| (\\w+) \\| (.+) \\|$");
  /** A series as the table writes it: in backticks. */
  public static final Pattern SERIES = Pattern.compile("fleetflags_[a-z0-9_]+");

  /** Reads the table from the README in {@code root}. */
  public static SeriesTable read(Path root) throws IOException {
    String readme = Files.readString(root.resolve("README.md"));
    int start = readme.indexOf(START);
    int end = readme.indexOf(END);
    if (start < 0 || end < start) {
      throw new IllegalStateException("README.md has no names table between '" + START + "' and '" + END + "'");
    }
    List<Row> rows = new ArrayList<>();
    for (String line : readme.substring(start, end).split("\n")) {
      Matcher row = ROW.matcher(line.strip());
      if (row.matches()) {
        List<String> series = new ArrayList<>();
        Matcher names = SERIES.matcher(row.group(3));
        while (names.find()) {
          series.add(names.group());
        }
        rows.add(new Row(row.group(1), row.group(2), series, row.group(3).contains("several brokers only")));
      }
    }
    return new SeriesTable(rows);
  }

  /** Every series of every row. */
  public Set<String> allSeries() {
    Set<String> all = new LinkedHashSet<>();
    rows.forEach(r -> all.addAll(r.series()));
    return all;
  }

  /** The series of the rows a single broker has (all but the several-brokers ones). */
  public Set<String> singleBrokerSeries() {
    Set<String> all = new LinkedHashSet<>();
    rows.stream().filter(r -> !r.clusterOnly()).forEach(r -> all.addAll(r.series()));
    return all;
  }

  /**
   * The series Prometheus' simpleclient {@code DropwizardExports} (0.16.0, the HiveMQ Prometheus
   * extension's) makes of a metric with its default naming: the name with every character other
   * than a letter, digit, '_' or ':' made '_'; a counter or gauge is one series of that name, a
   * histogram or timer a summary (that name with quantiles, and {@code _count}), a meter {@code
   * _total}.
   */
  public static List<String> seriesOf(String metric, String kind) {
    String name = metric.replaceAll("[^a-zA-Z0-9:_]", "_");
    return switch (kind) {
      case "counter", "gauge" -> List.of(name);
      case "histogram", "timer" -> List.of(name, name + "_count");
      case "meter" -> List.of(name + "_total");
      default -> throw new IllegalArgumentException("unknown kind of metric: " + kind);
    };
  }
}
