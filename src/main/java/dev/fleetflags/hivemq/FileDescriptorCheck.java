package dev.fleetflags.hivemq;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns at start when the broker process may open fewer files than the devices it is sized for
 * ({@code <expected-devices>}) need: every connection is a file descriptor, and a broker out of them
 * stops accepting connections with nothing but its own log to say so.
 */
final class FileDescriptorCheck {

  /**
   * Descriptors a broker needs beside its connections: HiveMQ's own (about 1,250 measured with file
   * persistence, most of them its persistence's files, and its jars) and FleetFlags' (its jar and
   * RocksDB's files, about 12), with room to spare.
   */
  static final int HEADROOM = 2_000;

  private static final Logger log = LoggerFactory.getLogger(FileDescriptorCheck.class);

  private FileDescriptorCheck() {}

  /** Logs one warning if this process's limit is below what {@code expectedDevices} need. */
  static void warnIfLow(int expectedDevices) {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os) {
      warning(os.getMaxFileDescriptorCount(), os.getOpenFileDescriptorCount(), expectedDevices).ifPresent(log::warn);
    }
  }

  /** The warning for a process that may open {@code limit} files and has {@code open}, if any. */
  static Optional<String> warning(long limit, long open, int expectedDevices) {
    long needed = (long) expectedDevices + HEADROOM;
    if (limit >= needed) {
      return Optional.empty();
    }
    return Optional.of(String.format(Locale.ROOT, "FleetFlags: this broker may open %,d files (its file-descriptor limit) and has"
        + " %,d open, but is sized for %,d devices (<expected-devices>): each connected device takes one, and"
        + " HiveMQ and FleetFlags need about %,d of their own; raise the limit to at least %,d (systemd"
        + " LimitNOFILE=, docker run --ulimit nofile=, ulimit -n) or set <expected-devices> to the devices this"
        + " broker serves", limit, open, expectedDevices, HEADROOM, needed));
  }
}
