package dev.fleetflags.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The checked-in workload is what its generator makes, and the workspace's shared one where present. */
class BenchWorkloadTest {

  @Test
  void checkedInDocumentIsTheGeneratorsOutput() throws IOException {
    assertEquals(BenchWorkload.json(), Files.readString(BenchWorkload.CHECKED_IN, StandardCharsets.UTF_8),
        "regenerate it: mvn -q test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.fleetflags.bench.BenchWorkload");
  }

  @Test
  void generatorMakesTheSharedWorkloadWhereItExists() throws IOException {
    Path shared = Path.of(System.getProperty("fleetflags.bench.shared", "../shared/bench/flags-50.json"));
    if (!Files.isRegularFile(shared)) {
      System.err.println("NOTE: " + shared.toAbsolutePath().normalize() + " is absent (a fresh clone); the generator is"
          + " checked against the checked-in copy only");
      return;
    }
    assertEquals(Files.readString(shared, StandardCharsets.UTF_8), BenchWorkload.json());
  }
}
