package dev.fleetflags.bench;

import dev.fleetflags.rules.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's 50 flags, generated from the workload's description (the workspace's
 * {@code shared/bench/README.md}): the same document, byte for byte, as the {@code flags-50.json}
 * the flag services' SDKs were timed on, so FleetFlags' figures compare with theirs without the
 * shared folder. {@code src/test/resources/dev/fleetflags/bench/flags-50.json} is its output,
 * checked in for the load harness and the benchmarks ({@code BenchWorkloadTest} keeps the two
 * equal); {@code main} rewrites it.
 *
 * <ul>
 *   <li>{@code rollout-00..19}: boolean, a {@code fractional} rollout by targeting key, 37, 50, 63,
 *       76, 89, 11, 24% in turn;
 *   <li>{@code modelfw-00..14}: boolean, {@code model} in a list of 3 (models i, i+3, i+5 of 8) and
 *       {@code sem_ver} {@code firmware >= 2.4.0};
 *   <li>{@code region-00..09}: boolean, {@code region} in a list of 2 (regions i, i+2 of 6), else a
 *       10% rollout;
 *   <li>{@code multi-00..04}: string, a 20/30/50 split of three variants.
 * </ul>
 */
public final class BenchWorkload {

  /** Where the generated document is checked in, relative to the project folder. */
  public static final Path CHECKED_IN = Path.of("src", "test", "resources", "dev", "fleetflags", "bench", "flags-50.json");

  private static final String[] MODELS = {"th-100", "th-200", "gw-10", "gw-20", "cam-1", "cam-2", "meter-s", "meter-x"};
  private static final String[] REGIONS = {"eu-west", "eu-central", "us-east", "us-west", "ap-south", "ap-northeast"};
  private static final int[] ROLLOUT_PERCENT = {37, 50, 63, 76, 89, 11, 24};

  private BenchWorkload() {}

  /** The document as compact JSON text, without a final newline, as the shared file is. */
  public static String json() {
    Map<String, Object> flags = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      int on = ROLLOUT_PERCENT[i % ROLLOUT_PERCENT.length];
      flags.put(String.format("rollout-%02d", i), bool(Map.of("fractional", List.of(List.of("on", on), List.of("off", 100 - on)))));
    }
    for (int i = 0; i < 15; i++) {
      List<String> models = List.of(MODELS[i % 8], MODELS[(i + 3) % 8], MODELS[(i + 5) % 8]);
      Map<String, Object> rule = Map.of("and", List.of(
          Map.of("in", List.of(Map.of("var", "model"), models)),
          Map.of("sem_ver", List.of(Map.of("var", "firmware"), ">=", "2.4.0"))));
      flags.put(String.format("modelfw-%02d", i), bool(Map.of("if", List.of(rule, "on", "off"))));
    }
    for (int i = 0; i < 10; i++) {
      List<String> regions = List.of(REGIONS[i % 6], REGIONS[(i + 2) % 6]);
      Map<String, Object> rule = Map.of("in", List.of(Map.of("var", "region"), regions));
      Map<String, Object> rollout = Map.of("fractional", List.of(List.of("on", 10), List.of("off", 90)));
      flags.put(String.format("region-%02d", i), bool(Map.of("if", List.of(rule, "on", rollout))));
    }
    for (int i = 0; i < 5; i++) {
      Map<String, Object> variants = new LinkedHashMap<>();
      for (String v : List.of("control", "treatment-1", "treatment-2")) {
        variants.put(v, v);
      }
      Map<String, Object> flag = new LinkedHashMap<>();
      flag.put("state", "ENABLED");
      flag.put("variants", variants);
      flag.put("defaultVariant", "control");
      flag.put("targeting", Map.of("fractional", List.of(
          List.of("control", 20), List.of("treatment-1", 30), List.of("treatment-2", 50))));
      flags.put(String.format("multi-%02d", i), flag);
    }
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("$schema", "https://flagd.dev/schema/v0/flags.json");
    document.put("flags", flags);
    return Json.write(document);
  }

  private static Map<String, Object> bool(Map<String, Object> targeting) {
    Map<String, Object> variants = new LinkedHashMap<>();
    variants.put("on", true);
    variants.put("off", false);
    Map<String, Object> flag = new LinkedHashMap<>();
    flag.put("state", "ENABLED");
    flag.put("variants", variants);
    flag.put("defaultVariant", "off");
    flag.put("targeting", targeting);
    return flag;
  }

  /** The checked-in document's path below {@code projectFolder}, or the current folder's. */
  public static Path checkedIn(Path projectFolder) {
    return projectFolder.resolve(CHECKED_IN);
  }

  /** Writes the document to the path given, or over the checked-in copy. */
  public static void main(String[] args) throws IOException {
    Path out = args.length > 0 ? Path.of(args[0]) : CHECKED_IN;
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, json(), StandardCharsets.UTF_8);
    System.out.println("wrote " + out.toAbsolutePath());
  }
}
