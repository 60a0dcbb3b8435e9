package dev.fleetflags.conformance;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the workspace's shared test data lives. Both folders sit beside the project in this
 * workspace but not in a fresh clone, so the tests that need them are skipped, saying why, when
 * they are absent.
 */
final class SharedData {

  static final String CONFORMANCE_PROPERTY = "fleetflags.conformance.dir";

  private SharedData() {}

  /** The flagd evaluator conformance folder (with {@code flags/} and {@code gherkin/}). */
  static Path conformanceDir() {
    return folder(CONFORMANCE_PROPERTY, "../shared/conformance/flagd-evaluator");
  }

  static Path conformanceFlags() {
    return conformanceDir().resolve("flags").resolve("testkit-flags.json");
  }

  /** The folder named by {@code property} (surefire passes it; the default is for IDE runs). */
  private static Path folder(String property, String fallback) {
    String configured = System.getProperty(property);
    return Path.of(configured == null || configured.isBlank() ? fallback : configured).toAbsolutePath().normalize();
  }

  /**
   * Why a test cannot run, or null when every file is present: names the missing path and the
   * property that sets it.
   */
  static @Nullable String absence(String property, Path... files) {
    for (Path file : files) {
      if (!Files.exists(file)) {
        return file + " is absent, so this test is skipped; set -D" + property + "=<folder> to run it";
      }
    }
    return null;
  }

  /** Skips the calling test, saying why, unless every file exists. */
  static void assumePresent(String property, Path... files) {
    String absence = absence(property, files);
    if (absence != null) {
      System.err.println("SKIPPED: " + absence);
    }
    Assumptions.assumeTrue(absence == null, absence);
  }
}
