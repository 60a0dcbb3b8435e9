package dev.fleetflags.bench;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.FlagType;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Limits;
import dev.openfeature.contrib.providers.flagd.Config;
import dev.openfeature.contrib.providers.flagd.FlagdOptions;
import dev.openfeature.contrib.providers.flagd.FlagdProvider;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * FleetFlags against the flagd Java provider (in-process, offline flag file, through the
 * OpenFeature client) on the shared workload: {@code flags-50.json} and 10,000 devices, one device
 * per invocation in turn, the same devices for both engines. Run with {@code mvn -q -Pbench test}
 * (see BENCHMARKS.md); {@code mvn verify} compiles it but does not run it.
 *
 * <p>The flag file is the generated workload ({@link BenchWorkload}, checked in), or the path in
 * the system property {@code fleetflags.bench.flags}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
// A noisy shared 2-core machine: several forks of long iterations, about 5 minutes in all.
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class FlagEngineBenchmark {

  static final String FLAGS_PROPERTY = "fleetflags.bench.flags";
  static final String ROLLOUT = "rollout-00";
  /** Devices whose 50 values are compared between the engines before measuring. */
  private static final int CHECKED_DEVICES = 1_000;

  /** The flag file compiled by FleetFlags, and the devices as each engine takes them. */
  @State(Scope.Benchmark)
  public static class Workload {
    Path file;
    FlagSet flagSet;
    /** Fixed, so that the benchmark times evaluation, not the clock; no flag here reads the time. */
    long epochSeconds;
    DeviceContext[] devices;
    EvaluationContext[] contexts;
    /** The flag keys in the set's order, and which of them are string flags (the rest are boolean). */
    String[] keys;
    boolean[] stringFlag;

    @Setup(Level.Trial)
    public void setUp() throws IOException, InvalidDocumentException {
      file = flagFile();
      flagSet = new FlagSetCompiler(Limits.DEFAULT).compile(Files.readAllBytes(file), FlagSetCompiler.Mode.STRICT);
      epochSeconds = System.currentTimeMillis() / 1000;
      List<BenchDevices.Device> population = BenchDevices.generate();
      devices = new DeviceContext[population.size()];
      contexts = new EvaluationContext[population.size()];
      for (int i = 0; i < devices.length; i++) {
        BenchDevices.Device d = population.get(i);
        devices[i] = new DeviceContext(d.targetingKey(), d.attributes());
        contexts[i] = openFeatureContext(d);
      }
      keys = new String[flagSet.size()];
      stringFlag = new boolean[flagSet.size()];
      for (int i = 0; i < keys.length; i++) {
        keys[i] = flagSet.flag(i).key();
        FlagType type = flagSet.flag(i).type();
        if (type != FlagType.BOOLEAN && type != FlagType.STRING) {
          throw new IllegalStateException("the benchmark evaluates boolean and string flags only, " + keys[i] + " is " + type);
        }
        stringFlag[i] = type == FlagType.STRING;
      }
    }
  }

  /** The flagd provider, in-process on the same file, behind the OpenFeature client. */
  @State(Scope.Benchmark)
  public static class Flagd {
    Client client;

    @Setup(Level.Trial)
    public void setUp(Workload w) {
      FlagdProvider provider = new FlagdProvider(FlagdOptions.builder()
          .resolverType(Config.Resolver.FILE)
          .offlineFlagSourcePath(w.file.toString())
          .deadline(60_000) // a cold JVM on a busy machine misses the default 1 s
          .build());
      OpenFeatureAPI.getInstance().setProviderAndWait(provider);
      client = OpenFeatureAPI.getInstance().getClient();
      checkEnginesAgree(w, client);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      OpenFeatureAPI.getInstance().shutdown();
    }
  }

  private int next;

  /** The next device of the population, in turn. */
  private int nextDevice() {
    int i = next;
    next = i + 1 == BenchDevices.COUNT ? 0 : i + 1;
    return i;
  }

  /**
   * The harness alone: taking the next device and consuming a result, which every benchmark here
   * also does; what it costs is part of each figure above it.
   */
  @Benchmark
  public void harness_rotationOnly(Workload w, Blackhole bh) {
    bh.consume(w.devices[nextDevice()]);
  }

  @Benchmark
  public void allFlags_fleetflags(Workload w, Blackhole bh) {
    bh.consume(w.flagSet.evaluate(w.devices[nextDevice()], w.epochSeconds));
  }

  @Benchmark
  public void allFlags_flagd(Workload w, Flagd flagd, Blackhole bh) {
    EvaluationContext context = w.contexts[nextDevice()];
    String[] keys = w.keys;
    for (int i = 0; i < keys.length; i++) {
      bh.consume(w.stringFlag[i]
          ? flagd.client.getStringDetails(keys[i], "", context)
          : flagd.client.getBooleanDetails(keys[i], false, context));
    }
  }

  @Benchmark
  public void rollout00_fleetflags(Workload w, Blackhole bh) {
    bh.consume(w.flagSet.resolve(ROLLOUT, FlagType.BOOLEAN, false, w.devices[nextDevice()], w.epochSeconds));
  }

  @Benchmark
  public void rollout00_flagd(Workload w, Flagd flagd, Blackhole bh) {
    bh.consume(flagd.client.getBooleanDetails(ROLLOUT, false, w.contexts[nextDevice()]));
  }

  private static Path flagFile() throws IOException {
    String configured = System.getProperty(FLAGS_PROPERTY);
    Path file = configured != null ? Path.of(configured) : BenchWorkload.CHECKED_IN;
    if (!Files.isRegularFile(file)) {
      throw new IOException("no flag file at " + file.toAbsolutePath() + "; set -D" + FLAGS_PROPERTY + "=<path to flags-50.json>");
    }
    return file.toAbsolutePath();
  }

  private static EvaluationContext openFeatureContext(BenchDevices.Device d) {
    Map<String, Value> attributes = new LinkedHashMap<>();
    d.attributes().forEach((name, value) -> attributes.put(name, value(value)));
    return new ImmutableContext(d.targetingKey(), attributes);
  }

  private static Value value(Object v) {
    if (v instanceof String s) {
      return new Value(s);
    }
    if (v instanceof List<?> list) {
      List<Value> values = new ArrayList<>(list.size());
      for (Object e : list) {
        values.add(value(e));
      }
      return new Value(values);
    }
    throw new IllegalArgumentException("unexpected attribute value " + v);
  }

  /**
   * Both engines must do the same work: on a sample of devices, no errors, the same reasons, and
   * the same variants except where {@code fractional} decides. There the provider buckets by the
   * legacy float method rather than flagd's {@code (hash * total) >> 32} (see
   * {@code ../shared/conformance/PROVIDER-DEVIATIONS.md}, item 1): another variant for some
   * devices, the same amount of work.
   */
  private static void checkEnginesAgree(Workload w, Client client) {
    FlagSet flagSet = w.flagSet;
    String[] keys = w.keys;
    boolean[] stringFlag = w.stringFlag;
    boolean[] fractional = new boolean[keys.length];
    for (int i = 0; i < keys.length; i++) {
      fractional[i] = mentions(Objects.requireNonNull(flagSet.flag(i).definition()).targeting(), "fractional");
    }
    int fractionalPairs = 0;
    int fractionalDiffer = 0;
    for (int d = 0; d < CHECKED_DEVICES; d++) {
      Evaluation evaluation = flagSet.evaluate(w.devices[d], w.epochSeconds);
      for (int i = 0; i < keys.length; i++) {
        FlagEvaluationDetails<?> details = stringFlag[i]
            ? client.getStringDetails(keys[i], "", w.contexts[d])
            : client.getBooleanDetails(keys[i], false, w.contexts[d]);
        boolean sameVariant = Objects.equals(details.getVariant(), evaluation.variant(i));
        if (details.getErrorCode() != null
            || !details.getReason().equals(evaluation.reason(i).name())
            || (!sameVariant && !fractional[i])) {
          throw new IllegalStateException("engines disagree on " + keys[i] + " for dev-" + d + ": flagd "
              + details.getVariant() + " (" + details.getReason() + ", " + details.getErrorCode() + "), FleetFlags "
              + evaluation.variant(i) + " (" + evaluation.reason(i) + ")");
        }
        if (fractional[i]) {
          fractionalPairs++;
          fractionalDiffer += sameVariant ? 0 : 1;
        }
      }
    }
    System.out.printf("Engines agree on %d devices x %d flags; where fractional decides, the provider's legacy"
        + " bucketing picks another variant in %d of %d cases.%n", CHECKED_DEVICES, keys.length, fractionalDiffer, fractionalPairs);
  }

  private static boolean mentions(Object json, String operator) {
    if (json instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (operator.equals(e.getKey()) || mentions(e.getValue(), operator)) {
          return true;
        }
      }
    } else if (json instanceof List<?> list) {
      for (Object e : list) {
        if (mentions(e, operator)) {
          return true;
        }
      }
    }
    return false;
  }
}
