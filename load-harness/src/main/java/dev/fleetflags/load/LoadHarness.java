package dev.fleetflags.load;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * The load harness's command ({@code mvn -q -Pload verify -Dload.devices=5000} in the root): runs
 * {@link LoadRun} with the settings of the {@code load.*} system properties, prints the result
 * table and writes it to {@code load.out}; with several fleet sizes ({@code
 * -Dload.devices=1000,5000,15000}) one run each, and a scaling table of them. Exits with 1 if a correctness check failed, with 2 and
 * the reason if the run could not be completed (too few file descriptors, devices that could not
 * connect, a broker that stopped answering).
 */
public final class LoadHarness {

  private LoadHarness() {}

  public static void main(String[] args) throws Exception {
    LoadSettings base = LoadSettings.fromSystemProperties();
    String persistence = System.getProperty("load.persistence", "file");
    List<LoadResults> runs = new ArrayList<>();
    List<String> conditions = new ArrayList<>();
    StringBuilder report = new StringBuilder();
    for (int devices : LoadSettings.deviceCounts()) {
      LoadSettings settings = base.withDevices(devices);
      String before = LoadReport.machine();
      LoadResults results;
      try {
        results = new LoadRun(settings).run();
      } catch (Exception | Error e) {
        // The reason first and alone, then the trace; and an end: the clients' threads would keep
        // the JVM alive.
        System.out.println();
        System.out.println("[load] FAILED with " + devices + " devices: " + e.getMessage());
        e.printStackTrace(System.out);
        System.exit(2);
        return;
      }
      String after = LoadReport.machine();
      runs.add(results);
      conditions.add(before + " → " + after.substring(after.indexOf("load average ") + "load average ".length()));
      String table = LoadReport.format(results, "Before: " + before + "; after: " + after + ". HiveMQ persistence: "
          + persistence + ".");
      System.out.println();
      System.out.println(table);
      report.append(table).append('\n');
    }
    if (runs.size() > 1) {
      String scaling = LoadReport.scaling(runs, conditions);
      System.out.println(scaling);
      report.append(scaling);
    }
    if (base.out() != null) {
      Files.createDirectories(base.out().toAbsolutePath().getParent());
      Files.writeString(base.out(), report);
      System.out.println("Written to " + base.out());
    }
    System.exit(runs.stream().allMatch(r -> r.problems().isEmpty()) ? 0 : 1);
  }
}
