package dev.fleetflags.bench;

import dev.fleetflags.delivery.FanOutPlan;
import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagProbe;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fan-out planner alone (issue: one flag change planned, evaluate + diff, over 1,000,000
 * device contexts in at most 100 ms on one core). The change is the shared workload's
 * {@code rollout-00} going from 37% to 47%; the devices are the shared population (10,000
 * attribute sets) repeated with distinct client ids; as in the delivery index, a device holds only
 * its client id and its shared attributes, and the planner points one probe at each in turn.
 * One operation plans the change for every device, on one thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"}) // appended: the fork keeps -Dfleetflags.bench.flags
public class FanOutPlannerBenchmark {

  @Param("1000000")
  int devices;

  private String[] clientIds;
  private DeviceContext[] attributes;
  private FanOutPlan rolloutStep;
  private FanOutPlan baseline;
  private long now;

  @Setup
  public void setUp() throws Exception {
    Path file = Path.of(System.getProperty("fleetflags.bench.flags", BenchWorkload.CHECKED_IN.toString()));
    String json = Files.readString(file);
    String stepped = json.replace(
        "\"rollout-00\":{\"state\":\"ENABLED\",\"variants\":{\"on\":true,\"off\":false},\"defaultVariant\":\"off\",\"targeting\":{\"fractional\":[[\"on\",37],[\"off\",63]]}}",
        "\"rollout-00\":{\"state\":\"ENABLED\",\"variants\":{\"on\":true,\"off\":false},\"defaultVariant\":\"off\",\"targeting\":{\"fractional\":[[\"on\",47],[\"off\",53]]}}");
    if (stepped.equals(json)) {
      throw new IllegalStateException("rollout-00 not found as expected in " + file);
    }
    FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
    FlagSet before = compiler.compile(json.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    FlagSet after = compiler.compile(stepped.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    rolloutStep = new FanOutPlan(before, after, Set.of("rollout-00"), Set.of(), false);
    baseline = new FanOutPlan(before, before, Set.of(), Set.of(), false);

    List<BenchDevices.Device> population = BenchDevices.generate();
    DeviceContext[] templates = new DeviceContext[population.size()];
    for (int i = 0; i < templates.length; i++) {
      templates[i] = new DeviceContext("", population.get(i).attributes());
    }
    clientIds = new String[devices];
    attributes = new DeviceContext[devices];
    for (int n = 0; n < devices; n++) {
      clientIds[n] = "dev-" + n;
      attributes[n] = templates[n % templates.length];
    }
    now = System.currentTimeMillis() / 1000;
  }

  /** Plans the rollout step for every device; returns how many it affects (about 10%). */
  @Benchmark
  public int planRolloutStep() {
    int affected = 0;
    FlagProbe probe = new FlagProbe(DeviceContext.empty(), now);
    for (int n = 0; n < clientIds.length; n++) {
      if (rolloutStep.affects(probe.moveTo(attributes[n], clientIds[n], now))) {
        affected++;
      }
    }
    return affected;
  }

  /** The same loop with nothing to evaluate: what walking a million devices costs by itself. */
  @Benchmark
  public int walkOnly() {
    int affected = 0;
    FlagProbe probe = new FlagProbe(DeviceContext.empty(), now);
    for (int n = 0; n < clientIds.length; n++) {
      if (baseline.affects(probe.moveTo(attributes[n], clientIds[n], now))) {
        affected++;
      }
    }
    return affected;
  }
}
