package dev.fleetflags.load;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.Locale;

/**
 * A process's open files (descriptors: every connection is one) and the most it may open, its
 * {@code ulimit -n}. -1 where the platform does not say.
 */
record OpenFiles(long open, long max) {

  /** What every device's connection adds to a process's open files. */
  static final int PER_DEVICE = 1;

  /** Beside the connections: the JVM's own files, jars, pipes, the event loop's selectors. */
  static final int HEADROOM = 200;

  /** This JVM's. */
  static OpenFiles ofThisProcess() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof UnixOperatingSystemMXBean unix) {
      return new OpenFiles(unix.getOpenFileDescriptorCount(), unix.getMaxFileDescriptorCount());
    }
    return new OpenFiles(-1, -1);
  }

  boolean known() {
    return max >= 0 && open >= 0;
  }

  /** Whether {@code connections} more fit below the limit, with {@link #HEADROOM} to spare. */
  boolean room(int connections) {
    return !known() || open + (long) connections * PER_DEVICE + HEADROOM <= max;
  }

  /** E.g. {@code 19,990 of 20,000 files open}. */
  @Override
  public String toString() {
    return known() ? String.format(Locale.ROOT, "%,d of %,d files open", open, max) : "open files unknown";
  }

  /**
   * Why {@code connections} more do not fit in {@code who}, and what to do about it: the figures,
   * and the limit it takes.
   */
  String tooFew(String who, int connections) {
    return String.format(Locale.ROOT, "%s may open %,d files (its file-descriptor limit, ulimit -n) and has %,d open;"
        + " %,d devices need %,d more, plus about %d for the JVM: raise the limit to at least %,d"
        + " (ulimit -n in the shell that starts Maven; the hard limit is ulimit -Hn), or run fewer"
        + " devices (-Dload.devices)", who, max, open, connections, (long) connections * PER_DEVICE,
        HEADROOM, open + (long) connections * PER_DEVICE + HEADROOM);
  }
}
