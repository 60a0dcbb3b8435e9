package dev.fleetflags.bench;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.rules.FlagType;

/**
 * The flag engine's work in instructions, which a shared, noisy machine repeats where it does not
 * repeat times: run under {@code valgrind --tool=callgrind} twice with different numbers of
 * measured evaluations (see BENCHMARKS.md); the difference in the main thread's instructions over
 * the difference in evaluations is the cost of one, since setup, warm-up and JIT compilation
 * (which runs on other threads) are the same in both runs. Memory stalls do not show in
 * instructions: this complements the JMH figures, it does not replace them.
 *
 * <p>Arguments: {@code all} (the 50-flag set for one device) or {@code rollout} ({@code
 * rollout-00} resolved alone), the warm-up evaluations, the measured evaluations.
 */
public final class EngineInstructions {

  /** Read by nobody, written by every evaluation, so that the JIT cannot drop the work. */
  static volatile Object sink;

  private EngineInstructions() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3 || !(args[0].equals("all") || args[0].equals("rollout"))) {
      throw new IllegalArgumentException("usage: EngineInstructions all|rollout <warm-up count> <measured count>");
    }
    boolean all = args[0].equals("all");
    int total = Integer.parseInt(args[1]) + Integer.parseInt(args[2]);
    FlagEngineBenchmark.Workload w = new FlagEngineBenchmark.Workload();
    w.setUp();
    FlagSet set = w.flagSet;
    DeviceContext[] devices = w.devices;
    int d = 0;
    for (int i = 0; i < total; i++) {
      sink = all
          ? set.evaluate(devices[d], w.epochSeconds)
          : set.resolve(FlagEngineBenchmark.ROLLOUT, FlagType.BOOLEAN, false, devices[d], w.epochSeconds);
      d = d + 1 == devices.length ? 0 : d + 1;
    }
  }
}
