package dev.fleetflags.bench;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.rules.FlagType;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The flag engine's and the planner's time as the CPU time of the measuring thread, the least of
 * several rounds: on a shared machine a thread is not charged for waiting for a core, so this
 * repeats better than JMH's wall-clock figures, though other programs' use of the caches still
 * shows. To compare two versions, run them in turn, several times (see BENCHMARKS.md).
 *
 * <p>Arguments: {@code all} (the 50-flag set for one device per operation), {@code rollout}
 * ({@code rollout-00} resolved alone) or {@code plan} ({@link FanOutPlannerBenchmark}'s rollout
 * step over 1,000,000 devices), then optionally the number of rounds (default 20).
 */
public final class EngineCpuTime {

  /** Written by every operation, so that the JIT cannot drop the work. */
  static volatile Object sink;

  private EngineCpuTime() {}

  public static void main(String[] args) throws Exception {
    String what = args.length > 0 ? args[0] : "";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    double best = Double.MAX_VALUE;
    String unit;
    switch (what) {
      case "all", "rollout" -> {
        boolean all = what.equals("all");
        FlagEngineBenchmark.Workload w = new FlagEngineBenchmark.Workload();
        w.setUp();
        FlagSet set = w.flagSet;
        DeviceContext[] devices = w.devices;
        int ops = all ? 400_000 : 4_000_000;
        for (int round = 0; round < rounds; round++) {
          long start = threads.getCurrentThreadCpuTime();
          int d = 0;
          for (int i = 0; i < ops; i++) {
            sink = all
                ? set.evaluate(devices[d], w.epochSeconds)
                : set.resolve(FlagEngineBenchmark.ROLLOUT, FlagType.BOOLEAN, false, devices[d], w.epochSeconds);
            d = d + 1 == devices.length ? 0 : d + 1;
          }
          best = Math.min(best, (threads.getCurrentThreadCpuTime() - start) / (double) ops);
        }
        unit = "ns per operation";
      }
      case "plan" -> {
        FanOutPlannerBenchmark planner = new FanOutPlannerBenchmark();
        planner.devices = 1_000_000;
        planner.setUp();
        for (int round = 0; round < rounds; round++) {
          long start = threads.getCurrentThreadCpuTime();
          sink = planner.planRolloutStep();
          best = Math.min(best, (threads.getCurrentThreadCpuTime() - start) / 1e6);
        }
        unit = "ms per plan of 1,000,000 devices";
      }
      default -> throw new IllegalArgumentException("usage: EngineCpuTime all|rollout|plan [rounds]");
    }
    System.out.printf("%s: %.1f %s (CPU time, least of %d rounds)%n", what, best, unit, rounds);
  }
}
