package dev.fleetflags.load;

import dev.fleetflags.it.FleetFlagsBroker;
import java.io.IOException;
import java.util.List;

/**
 * The harness's devices, {@code dev-0 .. dev-<n-1>}: in this process ({@link Fleet}), or spread
 * over client JVMs the harness starts ({@link ClientProcesses}) when one process cannot hold them
 * all (each connection is an open file). Everything they receive lands in one inbox with the time
 * it arrived ({@link System#nanoTime}: the monotonic clock, which processes on one machine share).
 * Every wait is bounded.
 */
interface Devices extends AutoCloseable {

  /** A message a device received: which device, when ({@link System#nanoTime}), the payload. */
  record Arrival(int device, long nanos, byte[] payload) {}

  /**
   * The devices of the settings, in as many client processes as the file limit of this process
   * (which child JVMs inherit) needs, or {@link LoadSettings#clientProcesses} if set; in this
   * process if one is enough.
   */
  static Devices open(FleetFlagsBroker broker, LoadSettings settings) throws IOException, InterruptedException {
    int processes = settings.clientProcesses() > 0 ? settings.clientProcesses()
        : ClientProcesses.needed(settings.devices(), OpenFiles.ofThisProcess());
    return processes <= 1 ? new Fleet(broker, settings) : ClientProcesses.start(broker, settings, processes);
  }

  int size();

  /**
   * Connects every device (clean start) and subscribes each, QoS 1, to its topic from the template
   * ({@code {clientId}} replaced); ends with the reason at the first device that fails, or when
   * none has progressed for the settings' bound.
   *
   * @return {@link System#nanoTime} of the last SUBACK
   */
  long connect(String topicTemplate) throws InterruptedException;

  /** Disconnects every device. */
  void disconnect() throws InterruptedException;

  /**
   * Waits until the inbox holds at least {@code count} messages, or until none has arrived for the
   * settings' bound.
   *
   * @return false if the bound passed first
   */
  boolean awaitArrivals(int count) throws InterruptedException;

  /** How many messages wait in the inbox. */
  int arrived();

  /** Takes everything received so far out of the inbox. */
  List<Arrival> takeArrivals();

  @Override
  void close();
}
