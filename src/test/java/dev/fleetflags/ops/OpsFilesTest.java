package dev.fleetflags.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The operations files shipped in {@code ops/}: the alert rules pass {@code promtool check rules}
 * and their tests ({@code promtool test rules}: every alert fires on some synthetic series and not
 * on others), every alert has a severity, a summary, what to do and a runbook that OPERATIONS.md
 * has, and the rules, their tests and the Grafana dashboard name only series of the README's names
 * table. promtool comes with Debian's package {@code prometheus}; without it the promtool tests are
 * skipped and say so.
 */
class OpsFilesTest {

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path RULES = ROOT.resolve("ops/prometheus/fleetflags-rules.yml");
  private static final Path RULE_TESTS = ROOT.resolve("ops/prometheus/fleetflags-rules.test.yml");
  private static final Path DASHBOARD = ROOT.resolve("ops/grafana/fleetflags-dashboard.json");
  private static final Path OPERATIONS = ROOT.resolve("OPERATIONS.md");
  private static final Pattern ALERT = Pattern.compile("^      - alert: (\\w+)$", Pattern.MULTILINE);

  @Test
  void theNamesTableFollowsTheExportersNaming() throws IOException {
    SeriesTable table = SeriesTable.read(ROOT);
    assertTrue(table.rows().size() >= 30, "rows read from README's names table: " + table.rows().size());
    Set<String> metrics = new HashSet<>();
    for (SeriesTable.Row row : table.rows()) {
      assertTrue(metrics.add(row.metric()), "twice in the table: " + row.metric());
      assertTrue(row.metric().startsWith("fleetflags."), row.metric());
      assertEquals(SeriesTable.seriesOf(row.metric(), row.kind()), row.series(), "series of " + row.metric());
    }
  }

  @Test
  void promtoolChecksTheRules() throws Exception {
    String output = promtool("check", "rules", RULES.getFileName().toString());
    assertTrue(output.contains("SUCCESS"), output);
  }

  @Test
  void promtoolChecksTheComposeSetupsPrometheusConfiguration() throws Exception {
    for (String config : List.of("prometheus.yml", "prometheus-cluster.yml")) {
      String output = promtool("check", "config", config);
      assertTrue(output.contains("is valid prometheus config file"), output);
    }
  }

  @Test
  void promtoolTestsEveryAlertFiringAndNotFiring() throws Exception {
    String tests = Files.readString(RULE_TESTS);
    for (String alert : alerts()) {
      assertTrue(Pattern.compile("alertname: " + alert + "\\n\\s+exp_alerts:\\n\\s+- exp_labels:").matcher(tests).find(),
          alert + " has no test where it fires");
      assertTrue(Pattern.compile("alertname: " + alert + "\\n\\s+exp_alerts: \\[\\]").matcher(tests).find(),
          alert + " has no test where it does not fire");
    }
    String output = promtool("test", "rules", RULE_TESTS.getFileName().toString());
    assertTrue(output.contains("SUCCESS"), output);
  }

  @Test
  void everyAlertSaysHowSevereWhatToDoAndWhereItsRunbookIs() throws IOException {
    String rules = Files.readString(RULES);
    Set<String> anchors = anchors(Files.readString(OPERATIONS));
    String operations = Files.readString(OPERATIONS);
    List<String> alerts = alerts();
    assertTrue(alerts.size() >= 15, "alerts: " + alerts);
    for (Map.Entry<String, String> alert : alertBlocks(rules).entrySet()) {
      String name = alert.getKey();
      String block = alert.getValue();
      assertTrue(Pattern.compile("severity: (warning|critical)\\n").matcher(block).find(), name + ": severity");
      assertTrue(block.contains("summary: \""), name + ": summary");
      assertTrue(Pattern.compile("description: \".*Runbooks?: [^\"]+\\.\"").matcher(block).find(), name + ": description naming its runbook");
      Matcher runbook = Pattern.compile("runbook_url: \"OPERATIONS\\.md#([a-z0-9-]+)\"").matcher(block);
      assertTrue(runbook.find(), name + ": runbook_url into OPERATIONS.md");
      assertTrue(anchors.contains(runbook.group(1)), name + ": OPERATIONS.md has no section #" + runbook.group(1) + " (has " + anchors + ")");
      assertTrue(operations.contains("`" + name + "`"), "OPERATIONS.md does not explain " + name);
    }
  }

  @Test
  void theRulesAndTheirTestsNameOnlySeriesOfTheNamesTable() throws IOException {
    Set<String> known = SeriesTable.read(ROOT).allSeries();
    for (Path file : List.of(RULES, RULE_TESTS)) {
      Set<String> unknown = new TreeSet<>(seriesIn(Files.readString(file)));
      unknown.removeAll(known);
      assertEquals(Set.of(), unknown, file.getFileName() + " names series that do not exist");
    }
  }

  @Test
  void theDashboardIsJsonAndShowsEverySeriesOfTheNamesTableAndNoOther() throws Exception {
    Object dashboard = Json.parse(Files.readString(DASHBOARD), Limits.DEFAULT);
    Map<?, ?> root = assertInstanceOf(Map.class, dashboard, "the dashboard is a JSON object");
    assertEquals("fleetflags", root.get("uid"));
    List<String> expressions = new ArrayList<>();
    Set<Object> ids = new HashSet<>();
    Set<String> titles = new LinkedHashSet<>();
    for (Object item : assertInstanceOf(List.class, root.get("panels"))) {
      Map<?, ?> panel = assertInstanceOf(Map.class, item);
      assertTrue(ids.add(panel.get("id")), "panel id twice: " + panel.get("id"));
      titles.add(String.valueOf(panel.get("title")));
      if (panel.get("targets") instanceof List<?> targets) {
        assertFalse(targets.isEmpty(), "panel without queries: " + panel.get("title"));
        for (Object target : targets) {
          Object expr = assertInstanceOf(Map.class, target).get("expr");
          assertInstanceOf(String.class, expr, "a query of " + panel.get("title"));
          expressions.add((String) expr);
        }
      }
    }
    Set<String> used = seriesIn(String.join("\n", expressions));
    Set<String> known = SeriesTable.read(ROOT).allSeries();
    Set<String> unknown = new TreeSet<>(used);
    unknown.removeAll(known);
    assertEquals(Set.of(), unknown, "the dashboard names series that do not exist");
    Set<String> missing = new TreeSet<>(known);
    missing.removeAll(used);
    assertEquals(Set.of(), missing, "series the dashboard does not show");
    for (String subject : List.of("Fan-out progress", "Updates sent by kind", "Bytes sent", "Devices indexed",
        "Admin requests by outcome", "Operator sign-ins", "Revision served", "Cut off from etcd")) {
      assertTrue(titles.contains(subject), "no panel '" + subject + "' in " + titles);
    }
  }

  /** What the compose setup mounts from ops/ exists. */
  @Test
  void theComposeFilesMountOpsFilesThatExist() throws IOException {
    Pattern mount = Pattern.compile("\\.\\./(ops/[^:\\s]+):");
    for (String compose : List.of("docker/compose.yaml", "docker/compose-cluster.yaml")) {
      Matcher m = mount.matcher(Files.readString(ROOT.resolve(compose)));
      int mounts = 0;
      while (m.find()) {
        mounts++;
        assertTrue(Files.exists(ROOT.resolve(m.group(1))), compose + " mounts " + m.group(1) + ", which does not exist");
      }
      assertTrue(mounts >= 3, compose + " mounts the rules, Prometheus' configuration and the dashboard");
    }
  }

  private static List<String> alerts() throws IOException {
    return new ArrayList<>(alertBlocks(Files.readString(RULES)).keySet());
  }

  private static Map<String, String> alertBlocks(String rules) {
    Map<String, String> blocks = new LinkedHashMap<>();
    Matcher m = ALERT.matcher(rules);
    List<Integer> starts = new ArrayList<>();
    List<String> names = new ArrayList<>();
    while (m.find()) {
      starts.add(m.start());
      names.add(m.group(1));
    }
    for (int i = 0; i < names.size(); i++) {
      int end = i + 1 < names.size() ? starts.get(i + 1) : rules.length();
      blocks.put(names.get(i), rules.substring(starts.get(i), end));
    }
    return blocks;
  }

  private static Set<String> seriesIn(String text) {
    Set<String> found = new TreeSet<>();
    Matcher m = SeriesTable.SERIES.matcher(text);
    while (m.find()) {
      found.add(m.group());
    }
    return found;
  }

  /** The anchors GitHub gives OPERATIONS.md's headings. */
  private static Set<String> anchors(String markdown) {
    Set<String> anchors = new HashSet<>();
    for (String line : markdown.split("\n")) {
      if (line.startsWith("#")) {
        String heading = line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT);
        anchors.add(heading.replaceAll("[^a-z0-9 -]", "").replace(' ', '-'));
      }
    }
    return anchors;
  }

  /** Runs promtool in ops/prometheus; skips the test, saying how to get it, where it is missing. */
  private static String promtool(String... args) throws Exception {
    Path promtool = onPath("promtool");
    assumeTrue(promtool != null, "promtool is not on the PATH: the alert rules are not checked. It comes with"
        + " Debian's package prometheus (apt-get install prometheus; .ci/run installs it as root) or"
        + " Prometheus' release archive");
    List<String> command = new ArrayList<>();
    command.add(promtool.toString());
    command.addAll(List.of(args));
    Path output = Files.createTempFile("promtool", ".txt");
    try {
      Process process = new ProcessBuilder(command).directory(RULES.getParent().toFile())
          .redirectErrorStream(true).redirectOutput(output.toFile()).start();
      process.getOutputStream().close();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not end within 60 s");
      }
      String text = Files.readString(output, StandardCharsets.UTF_8);
      assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + text);
      return text;
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static Path onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, program);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
