package dev.fleetflags.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.FlagType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Coverage-guided fuzzing of what an operator sends: JSON reading and writing, and flagd documents
 * through parsing, strict and lenient compilation and evaluation for a few devices. Under {@code
 * mvn test} each method runs on its saved inputs ({@code FlagDocumentFuzzTestInputs/<method>/} in
 * the test resources: examples/flags.json, small documents exercising every operator, and what the
 * fuzzer kept); {@code JAZZER_FUZZ=1} fuzzes one of them (README, Fuzzing).
 *
 * <p>Beyond "nothing but {@link InvalidDocumentException} is thrown": JSON that parses writes and
 * reads back to an equal value (plain and canonical); a document that compiles strictly evaluates
 * for every device without throwing, the same on every evaluation and after compiling it again, and
 * its export ({@link FlagDocument#toJson}) reads and compiles back to the same document.
 */
class FlagDocumentFuzzTest {

  /** A fixed time: {@code $flagd.timestamp} is an input like any other. */
  private static final long NOW = 1_750_000_000L;

  private static final FlagSetCompiler COMPILER = new FlagSetCompiler(RunawayGuard.LIMITS);

  /** Devices with no attributes, the usual ones, and every kind of value targeting may meet. */
  private static final List<DeviceContext> DEVICES = List.of(
      DeviceContext.empty(),
      DeviceContext.of(""),
      new DeviceContext("dev-1", Map.of("model", "sensor-x", "region", "eu-test", "firmware", "2.4.1")),
      new DeviceContext("lab-7", Map.of("model", "gateway-g1", "firmware", "1.0.0-rc.1", "power", "battery",
          "username", "lab-7")),
      new DeviceContext("dev-\u00e9\u4e2d\ud83d\ude00", Map.of("level", 42L, "ratio", 0.5, "on", true,
          "tags", List.of("a", 1L, false), "nested", Map.of("k", List.of()), "firmware", "v2")));

  @FuzzTest(maxDuration = "5m")
  void jsonRoundTrips(byte[] input) {
    Object value;
    try {
      value = Json.parse(input, Limits.DEFAULT);
    } catch (InvalidDocumentException e) {
      return;
    }
    String written = Json.write(value);
    assertEquals(written, Json.write(value), "writing is deterministic");
    assertEquals(value, reparse(written.getBytes(StandardCharsets.UTF_8)), written);
    byte[] canonical = Json.canonicalBytes(value);
    assertEquals(value, reparse(canonical), written);
    assertArrayEquals(canonical, Json.canonicalBytes(reparse(canonical)), "canonical form is a fixed point");
  }

  @FuzzTest(maxDuration = "5m")
  void compiledDocumentsEvaluate(byte[] input) {
    Object json;
    try {
      json = Json.parse(input, RunawayGuard.LIMITS);
    } catch (InvalidDocumentException e) {
      return;
    }
    if (RunawayGuard.mayRunAway(json)) {
      return;
    }
    FlagSet lenient = compileOrNull(input, FlagSetCompiler.Mode.LENIENT);
    FlagSet strict = compileOrNull(input, FlagSetCompiler.Mode.STRICT);
    if (lenient != null) {
      evaluateEverywhere(lenient);
    }
    if (strict == null) {
      return;
    }
    List<Evaluation> first = evaluateEverywhere(strict);
    FlagSet again = compileOrNull(input, FlagSetCompiler.Mode.STRICT);
    assertEquals(strict.document(), again == null ? null : again.document(), "compiles again");
    assertSameResults(first, evaluateEverywhere(again));

    byte[] exported = Json.write(strict.document().toJson()).getBytes(StandardCharsets.UTF_8);
    FlagSet reimported = compileOrNull(exported, FlagSetCompiler.Mode.STRICT);
    assertEquals(strict.document(), reimported == null ? null : reimported.document(),
        "the export compiles to the same document: " + new String(exported, StandardCharsets.UTF_8));
    assertSameResults(first, evaluateEverywhere(reimported));
  }

  /** Evaluates every flag for every device, twice, and resolves each as OpenFeature would. */
  private static List<Evaluation> evaluateEverywhere(FlagSet flags) {
    return DEVICES.stream().map(device -> {
      Evaluation e = flags.evaluate(device, NOW);
      assertEquals(e, flags.evaluate(device, NOW), "the same result on every evaluation");
      for (int i = 0; i < e.size(); i++) {
        e.value(i);
        e.resolution(i, null);
        Flag flag = e.flag(i);
        FlagType type = flag.parseError() == null ? flag.type() : FlagType.BOOLEAN;
        flags.resolve(flag.key(), type, null, device, NOW);
        assertEquals(e.variantIndex(i), flags.variantIndex(i, device, NOW), flag.key());
      }
      e.stateHash();
      return e;
    }).toList();
  }

  /** The same variant, reason and error for every flag and device, in sets compiled apart. */
  private static void assertSameResults(List<Evaluation> expected, List<Evaluation> actual) {
    for (int d = 0; d < expected.size(); d++) {
      Evaluation a = expected.get(d);
      Evaluation b = actual.get(d);
      assertEquals(a.size(), b.size());
      for (int i = 0; i < a.size(); i++) {
        String what = a.flag(i).key() + " for device " + d;
        assertEquals(a.variantIndex(i), b.variantIndex(i), what);
        assertEquals(a.reason(i), b.reason(i), what);
        assertEquals(a.errorCode(i), b.errorCode(i), what);
      }
      assertEquals(a.stateHash(), b.stateHash());
    }
  }

  private static @Nullable FlagSet compileOrNull(byte[] json, FlagSetCompiler.Mode mode) {
    try {
      return COMPILER.compile(json, mode);
    } catch (InvalidDocumentException e) {
      return null;
    }
  }

  private static @Nullable Object reparse(byte[] json) {
    try {
      return Json.parse(json, Limits.DEFAULT);
    } catch (InvalidDocumentException e) {
      throw new AssertionError("what Json wrote does not read back: " + e.getMessage(), e);
    }
  }
}
