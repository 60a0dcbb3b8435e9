package dev.fleetflags.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The default evaluation limits accept every flag of the documents FleetFlags is measured with:
 * validated strictly, none of their problems (the conformance file holds deliberately broken flags)
 * is a bound on evaluation or on $ref expansion.
 */
class DefaultLimitsTest {

  @Test
  void conformanceFlags() throws Exception {
    Path file = SharedData.conformanceFlags();
    SharedData.assumePresent(SharedData.CONFORMANCE_PROPERTY, file);
    assertEquals(List.of(), boundProblems(file));
  }

  @Test
  void benchmarkFlags() throws Exception {
    Path file = dev.fleetflags.bench.BenchWorkload.CHECKED_IN;
    assertEquals(List.of(), boundProblems(file));
  }

  @Test
  void exampleFlags() throws Exception {
    assertEquals(List.of(), boundProblems(Path.of("examples", "flags.json")));
  }

  private static List<Problem> boundProblems(Path file) throws IOException, InvalidDocumentException {
    FlagDocumentParser.Result parsed = new FlagDocumentParser(Limits.DEFAULT).parse(Files.readAllBytes(file));
    return new FlagSetCompiler(Limits.DEFAULT).validate(parsed.document()).stream()
        .filter(p -> p.reason().contains("limits/max-evaluation") || p.reason().contains("$ref expansion")
            || p.reason().contains("too complex") || p.reason().contains("reduce"))
        .toList();
  }
}
