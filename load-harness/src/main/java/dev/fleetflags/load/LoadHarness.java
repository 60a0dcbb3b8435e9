package dev.fleetflags.load;

import java.nio.file.Files;

/**
 * The load harness's command ({@code mvn -q -Pload verify -Dload.devices=5000} in the root): runs
 * {@link LoadRun} with the settings of the {@code load.*} system properties, prints the result
 * table and writes it to {@code load.out}. Exits with 1 if a correctness check failed, with 2 and
 * the reason if the run could not be completed (too few file descriptors, devices that could not
 * connect, a broker that stopped answering).
 */
public final class LoadHarness {

  private LoadHarness() {}

  public static void main(String[] args) throws Exception {
    LoadSettings settings = LoadSettings.fromSystemProperties();
    String before = LoadReport.machine();
    LoadResults results;
    try {
      results = new LoadRun(settings).run();
    } catch (Exception | Error e) {
      // The reason first and alone, then the trace; and an end: the clients' threads would keep
      // the JVM alive.
      System.out.println();
      System.out.println("[load] FAILED: " + e.getMessage());
      e.printStackTrace(System.out);
      System.exit(2);
      return;
    }
    String persistence = System.getProperty("load.persistence", "file");
    String report =
        LoadReport.format(results, "Before: " + before + "; after: " + LoadReport.machine()
            + ". HiveMQ persistence: " + persistence + ".");
    System.out.println();
    System.out.println(report);
    if (settings.out() != null) {
      Files.createDirectories(settings.out().toAbsolutePath().getParent());
      Files.writeString(settings.out(), report);
      System.out.println("Written to " + settings.out());
    }
    System.exit(results.problems().isEmpty() ? 0 : 1);
  }
}
