package dev.fleetflags.delivery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The C device library's own build and tests (clients/c, ctest), run by {@code mvn verify}: the
 * library with warnings as errors, its unit, vector (the file {@link DeviceVectorsTest} keeps
 * current) and robustness suites, the example device where libmosquitto is installed, and the same
 * suites again under AddressSanitizer and UndefinedBehaviorSanitizer. Builds go to
 * {@code target/clients-c/}. Where cmake, a C compiler or nanopb is missing the tests are skipped
 * with a message naming it ({@code .ci/run} installs nanopb and libmosquitto when it can).
 */
class ClientCLibraryTest {

  private static final Path SOURCE = Path.of("clients/c").toAbsolutePath();
  private static final Path BUILDS = Path.of("target/clients-c").toAbsolutePath();
  private static final long STEP_MINUTES = 5;

  @Test
  void theLibraryBuildsWithoutWarningsAndPassesItsTests() throws Exception {
    buildAndTest("normal", List.of());
  }

  @Test
  void itsTestsPassUnderAddressAndUndefinedBehaviorSanitizers() throws Exception {
    requireTools();
    Path probe = BUILDS.resolve("sanitizer-probe");
    Files.createDirectories(probe);
    Files.writeString(probe.resolve("probe.c"), "int main(void) { return 0; }\n", UTF_8);
    Run run = run(probe, "cc", "-fsanitize=address,undefined", "probe.c", "-o", "probe");
    Assumptions.assumeTrue(
        run.exit == 0, () -> "C device library not tested under sanitizers: the C compiler cannot build with"
            + " -fsanitize=address,undefined (" + run.output.strip() + ")");
    buildAndTest("sanitize", List.of("-DFLEETFLAGS_SANITIZE=ON", "-DFLEETFLAGS_EXAMPLES=OFF"));
  }

  private static void buildAndTest(String name, List<String> options) throws Exception {
    requireTools();
    Path build = BUILDS.resolve(name);
    List<String> configure = new ArrayList<>(List.of("cmake", "-S", SOURCE.toString(), "-B", build.toString()));
    configure.addAll(options);
    Run configured = run(BUILDS, configure.toArray(String[]::new));
    Assumptions.assumeFalse(
        configured.exit != 0 && configured.output.contains("nanopb not found"),
        "C device library not built: nanopb is missing (Debian: apt-get install nanopb libnanopb-dev)");
    expectSuccess("cmake configure (" + name + ")", configured);
    expectSuccess("cmake build (" + name + ")", run(BUILDS, "cmake", "--build", build.toString(), "-j", "2"));
    Run tests = run(build, "ctest", "--output-on-failure", "--timeout", "300");
    expectSuccess("ctest (" + name + ")", tests);
    System.out.println("C device library, " + name + " build: " + lastLine(tests.output));
  }

  private static void requireTools() {
    for (String tool : List.of("cmake", "ctest", "cc")) {
      Assumptions.assumeTrue(
          runs(tool, "--version"),
          () -> "C device library not built: " + tool + " is missing (Debian: apt-get install cmake gcc)");
    }
  }

  private static boolean runs(String... command) {
    try {
      return run(Path.of(".").toAbsolutePath(), command).exit == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private record Run(int exit, String output) {}

  private static Run run(Path dir, String... command) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Files.createDirectories(BUILDS);
    Path log = Files.createTempFile(BUILDS, "step", ".log");
    try {
      Process process =
          new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!process.waitFor(STEP_MINUTES, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        fail(String.join(" ", command) + " did not finish within " + STEP_MINUTES + " minutes:\n" + Files.readString(log, UTF_8));
      }
      return new Run(process.exitValue(), Files.readString(log, UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static void expectSuccess(String step, Run run) {
    if (run.exit != 0) {
      System.out.println(step + " failed:\n" + run.output);
    }
    assertEquals(0, run.exit, () -> step + " failed:\n" + run.output);
  }

  private static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      if (lines[i].contains("tests passed")) {
        return lines[i].strip();
      }
    }
    return lines[lines.length - 1];
  }
}
