package dev.fleetflags.load;

import java.nio.file.Files;

/**
 * The load harness's command ({@code mvn -q -Pload verify -Dload.devices=5000} in the root): runs
 * {@link LoadRun} with the settings of the {@code load.*} system properties, prints the result
 * table and writes it to {@code load.out}. Exits with 1 if a correctness check failed.
 */
public final class LoadHarness {

  private LoadHarness() {}

  public static void main(String[] args) throws Exception {
    LoadSettings settings = LoadSettings.fromSystemProperties();
    String before = LoadReport.machine();
    LoadResults results = new LoadRun(settings).run();
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
