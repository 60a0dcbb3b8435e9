package dev.fleetflags.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.bench.BenchDevices;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.openfeature.contrib.providers.flagd.resolver.process.model.FlagParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FleetFlags against the flagd Java provider 0.11.15 (in-process, offline flag file, through the
 * OpenFeature SDK): for thousands of devices, every flag's value, variant and reason must be equal,
 * except where the provider departs from the flagd specification in a known way (conformance/
 * PROVIDER-DEVIATIONS.md, and the departures this test found, marked "*"); there FleetFlags is held
 * to the specification instead and the case is counted. A summary goes to the test output;
 * anything unexplained, or FleetFlags off the specification, fails the test with a listing.
 */
class FlagdProviderDifferentialTest {

  /**
   * Devices per run. The provider takes most of the time (tens of microseconds per flag on a busy
   * 2-core machine); these keep both runs within seconds while still covering every bucket.
   */
  private static final int BENCH_DEVICES = 4_000;
  private static final int CONFORMANCE_DEVICES = 3_000;

  /** The benchmark's devices (BenchDevices, the first 4,000), on the benchmark's 50 flags (BenchWorkload). */
  @Test
  void benchmarkFlags(@TempDir Path temp) throws Exception {
    Path file = dev.fleetflags.bench.BenchWorkload.CHECKED_IN;
    Result r = run("flags-50.json", file, benchDevices().subList(0, BENCH_DEVICES), temp);
    assertTrue(r.leftOut().isEmpty(), () -> "the provider refuses flags of flags-50.json: " + r.leftOut());
    assertEquals(50L * BENCH_DEVICES, r.pairs());
  }

  /** Random contexts over every attribute the conformance flags read, on the conformance flag file. */
  @Test
  void conformanceFlags(@TempDir Path temp) throws Exception {
    Path file = SharedData.conformanceFlags();
    SharedData.assumePresent(SharedData.CONFORMANCE_PROPERTY, file);
    run("testkit-flags.json", file, conformanceDevices(CONFORMANCE_DEVICES), temp);
  }

  /** The test's own MurmurHash3 is the specification's: x86 32-bit, seed 0, over UTF-8 bytes. */
  @Test
  void oracleHashIsMurmur3Seed0OverUtf8() {
    // Reference vectors (SMHasher / widely published); the last one has a non-ASCII tail byte.
    assertEquals(0, TargetingOracle.murmur3(""));
    assertEquals(0xba6bd213, TargetingOracle.murmur3("test"));
    assertEquals(0xc0363e43, TargetingOracle.murmur3("Hello, world!"));
    assertEquals(0x2e4ff723, TargetingOracle.murmur3("The quick brown fox jumps over the lazy dog"));
    assertEquals(0xa940c9fc, TargetingOracle.murmur3("gerät-ü"));
  }

  private record Result(long pairs, List<String> leftOut) {}

  private static Result run(String name, Path file, List<Differential.Device> devices, Path temp)
      throws IOException, InvalidDocumentException {
    byte[] bytes = Files.readAllBytes(file);
    // FleetFlags serves the document as it is, broken flags included, as flagd would.
    FlagSet flagSet = new FlagSetCompiler(Limits.DEFAULT).compile(bytes, FlagSetCompiler.Mode.LENIENT);
    @SuppressWarnings("unchecked")
    Map<String, Object> document = (Map<String, Object>) Json.parse(bytes, Limits.DEFAULT);

    // The provider gets a copy without the flags its own parser (run on load) refuses: it would
    // otherwise refuse the whole file (its bundled schema is older than the specification).
    FlagFileText text = new FlagFileText(new String(bytes, StandardCharsets.UTF_8));
    List<String> accepted = new ArrayList<>();
    List<String> leftOut = new ArrayList<>();
    if (acceptedByProvider(text.with(text.flagKeys()))) {
      accepted.addAll(text.flagKeys());
    } else {
      for (String key : text.flagKeys()) {
        (acceptedByProvider(text.with(List.of(key))) ? accepted : leftOut).add(key);
      }
    }
    Path copy = temp.resolve(name);
    Files.writeString(copy, text.with(accepted));

    Differential diff;
    try (FlagdJavaProvider provider = new FlagdJavaProvider(copy, "fleetflags-differential-" + name)) {
      diff = new Differential(name, flagSet, provider, document, text, accepted);
      for (Differential.Device device : devices) {
        diff.compare(device);
      }
    }
    System.out.println(diff.summary(devices.size(), leftOut));
    String problems = diff.problems();
    assertTrue(problems.isEmpty(), problems);
    return new Result(diff.pairs(), leftOut);
  }

  private static boolean acceptedByProvider(String document) throws IOException {
    try {
      FlagParser.parseString(document, true);
      return true;
    } catch (IllegalArgumentException refused) {
      return false;
    }
  }

  /** The 10,000 devices of ../shared/bench/README.md, as the benchmark makes them. */
  static List<Differential.Device> benchDevices() {
    List<Differential.Device> devices = new ArrayList<>(BenchDevices.COUNT);
    for (BenchDevices.Device d : BenchDevices.generate()) {
      devices.add(new Differential.Device(d.targetingKey(), d.attributes()));
    }
    return devices;
  }

  private static final String[] EMAILS = {
    "ballmer@macrosoft.com", "jobs@orange.com", "wozniak@orange.com", "ballmer@none.com", "user@example.com", ""};
  private static final String[] VERSIONS = {
    "2.0.0", "2.1.0", "1.9.0", "2.0.0-alpha", "2.0.0.0", "3.0.1", "3.1.0", "3.0.0", "4.0.0", "1.0.0", "v1.0.0",
    "V1.0.0", "1.0", "1", "1.2", "1.1", "1.0.0+other", "1.0.0+build", "not-a-version", ""};
  private static final String[] NAMES = {"jack", "queen", "ten", "nine", "3", "seven", "eight", "two", "ace", "jörg", ""};
  private static final String[] KEYS = {
    "5c3d8535-f81a-4478-a6d3-afaa4d51199e", "f20bd32d-703b-48b6-bc8e-79d53c85134a", "jon@company.com",
    "jane@company.com", "ejOoVL", "bY9fO-", "SI7p-", "6LvT0", "ceQdGm", "some-targeting-key", "any-user", "user1",
    "gerät-ü", ""};

  /**
   * Contexts covering what the conformance flags read: targeting key, email, version, id, num,
   * user.name, tier, color; each present or not, of the expected type or another, from Random(7).
   */
  static List<Differential.Device> conformanceDevices(int count) {
    Random r = new Random(7);
    List<Differential.Device> devices = new ArrayList<>(count);
    for (int n = 0; n < count; n++) {
      String targetingKey = switch (r.nextInt(4)) {
        case 0 -> null;
        case 1 -> KEYS[r.nextInt(KEYS.length)];
        default -> "device-" + r.nextInt(1_000_000);
      };
      Map<String, Object> a = new LinkedHashMap<>();
      if (r.nextInt(3) > 0) {
        a.put("email", r.nextInt(4) > 0 ? EMAILS[r.nextInt(EMAILS.length)] : "u" + r.nextInt(1000) + "@example.org");
      }
      switch (r.nextInt(5)) {
        case 0 -> { }
        case 1 -> a.put("version", (long) r.nextInt(4));
        case 2 -> a.put("version", r.nextInt(30) / 10.0);
        default -> a.put("version", r.nextInt(3) > 0 ? VERSIONS[r.nextInt(VERSIONS.length)]
            : r.nextInt(5) + "." + r.nextInt(5) + "." + r.nextInt(5));
      }
      switch (r.nextInt(4)) {
        case 0 -> { }
        case 1 -> a.put("id", (long) r.nextInt(1000));
        default -> a.put("id", (r.nextBoolean() ? "abc" : "") + word(r) + (r.nextBoolean() ? "xyz" : ""));
      }
      switch (r.nextInt(4)) {
        case 0 -> { }
        case 1 -> a.put("num", "123");
        default -> a.put("num", (long) r.nextInt(200));
      }
      switch (r.nextInt(5)) {
        case 0 -> { }
        case 1 -> a.put("user", Map.of("id", (long) r.nextInt(100)));
        default -> a.put("user", Map.of("name", r.nextInt(3) > 0 ? NAMES[r.nextInt(NAMES.length)] : word(r)));
      }
      if (r.nextBoolean()) {
        a.put("tier", new String[] {"premium", "basic", ""}[r.nextInt(3)]);
      }
      if (r.nextBoolean()) {
        a.put("color", new String[] {"red", "green", "blue", "yellow", ""}[r.nextInt(5)]);
      }
      devices.add(new Differential.Device(targetingKey, a));
    }
    return devices;
  }

  private static String word(Random r) {
    char[] c = new char[3 + r.nextInt(5)];
    for (int i = 0; i < c.length; i++) {
      c[i] = (char) ('a' + r.nextInt(26));
    }
    return new String(c);
  }

}
