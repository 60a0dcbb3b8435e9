package dev.fleetflags.load;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.it.FleetFlagsBroker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A run that cannot connect its devices ends with the reason, at once or within its wait, instead
 * of waiting without end (issue 13, item 12: out of file descriptors, the harness waited on its
 * connect slots for minutes without a word). No broker is needed: a file limit that is too small,
 * a port where nothing listens, and a port that takes connections and never answers.
 */
class FleetFailureTest {

  /** Far more than any of these runs takes; only reached if one hangs. */
  private static final Duration BOUND = Duration.ofSeconds(60);

  @Test
  void refusesMoreDevicesThanItsFileLimitHolds() {
    try (Fleet fleet = new Fleet(at(1), settings(30_000, 500, 5), () -> new OpenFiles(150, 20_000))) {
      IllegalStateException e = assertTimeoutPreemptively(BOUND,
          () -> assertThrows(IllegalStateException.class, () -> fleet.connect(LoadRun.FLAG_TOPIC)));
      String reason = e.getMessage();
      assertTrue(reason.contains("cannot connect 30000 devices"), reason);
      assertTrue(reason.contains("may open 20,000 files"), reason);
      assertTrue(reason.contains("has 150 open"), reason);
      assertTrue(reason.contains("ulimit -n"), reason);
      assertTrue(reason.contains("at least 30,350"), reason);
    }
  }

  @Test
  void aDeviceThatCannotConnectEndsTheRunWithItsReason() throws IOException {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    try (Fleet fleet = new Fleet(at(closed), settings(50, 2, 30), OpenFiles::ofThisProcess)) {
      IllegalStateException e = assertTimeoutPreemptively(BOUND,
          () -> assertThrows(IllegalStateException.class, () -> fleet.connect(LoadRun.FLAG_TOPIC)));
      String reason = e.getMessage();
      assertTrue(reason.contains("failed to connect and subscribe"), reason);
      assertTrue(reason.contains("Connection refused"), reason);
      assertTrue(reason.contains("of 50 devices started connecting, 0 connected and subscribed"), reason);
      assertTrue(reason.contains("files open"), reason);
    }
  }

  @Test
  void aBrokerThatNeverAnswersEndsTheRunAfterTheWait() throws IOException {
    // takes connections into its backlog and never reads them, as a broker out of files does
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Fleet fleet = new Fleet(at(silent.getLocalPort()), settings(10, 2, 2), OpenFiles::ofThisProcess)) {
      IllegalStateException e = assertTimeoutPreemptively(BOUND,
          () -> assertThrows(IllegalStateException.class, () -> fleet.connect(LoadRun.FLAG_TOPIC)));
      String reason = e.getMessage();
      assertTrue(reason.contains("no device finished connecting and subscribing for PT2S"), reason);
      assertTrue(reason.contains("2 of 10 devices started connecting, 0 connected and subscribed"), reason);
    }
  }

  private static LoadSettings settings(int devices, int connectsInFlight, int waitSeconds) {
    return new LoadSettings(devices, 1, connectsInFlight, Path.of("flags-50.json"), Path.of("target/unused"),
        null, "", List.of(), Duration.ofSeconds(waitSeconds));
  }

  private static FleetFlagsBroker at(int port) {
    return FleetProcess.at("127.0.0.1", port);
  }
}
