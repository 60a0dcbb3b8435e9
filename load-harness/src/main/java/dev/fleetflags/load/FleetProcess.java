package dev.fleetflags.load;

import dev.fleetflags.it.FleetFlagsBroker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * A client process of the harness ({@link ClientProcesses}): a JVM holding a share of the devices
 * in a {@link Fleet} of its own, told what to do one line at a time on its standard input and
 * answering on its standard output, where it also sends every message its devices receive as it
 * arrives, with the time it arrived ({@link System#nanoTime}, comparable across processes on one
 * machine). It ends when its standard input closes, so it never outlives the harness.
 *
 * <p>Arguments: broker host, port, first device, devices, connects in flight, wait in seconds.
 * Commands: {@code connect <topic template>}, {@code disconnect}. Lines it writes: {@code ready
 * <nanos>} once, {@code connected <nanos of the last SUBACK>}, {@code disconnected}, {@code failed
 * <reason>}, {@code arrival <device> <nanos> <payload in base64>}.
 */
public final class FleetProcess {

  private FleetProcess() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int first = Integer.parseInt(args[2]);
    int size = Integer.parseInt(args[3]);
    int connectsInFlight = Integer.parseInt(args[4]);
    Duration wait = Duration.ofSeconds(Long.parseLong(args[5]));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    try (Fleet fleet = new Fleet(at(host, port), first, size, connectsInFlight, wait, OpenFiles::ofThisProcess)) {
      Thread forwarder = new Thread(() -> forward(fleet, out), "arrivals");
      forwarder.setDaemon(true);
      forwarder.start();
      say(out, "ready " + System.nanoTime());
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        try {
          if (line.startsWith("connect ")) {
            say(out, "connected " + fleet.connect(line.substring("connect ".length())));
          } else if (line.equals("disconnect")) {
            fleet.disconnect();
            say(out, "disconnected");
          } else {
            say(out, "failed unknown command: " + line);
          }
        } catch (Exception | Error e) {
          say(out, "failed " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
      }
    }
    System.exit(0); // the clients' threads would keep the JVM alive
  }

  /** Sends what the devices received, as it arrives (every millisecond). */
  private static void forward(Fleet fleet, PrintStream out) {
    Base64.Encoder base64 = Base64.getEncoder();
    while (true) {
      List<Devices.Arrival> arrivals = fleet.takeArrivals();
      if (!arrivals.isEmpty()) {
        StringBuilder lines = new StringBuilder();
        for (Devices.Arrival a : arrivals) {
          lines.append("arrival ").append(a.device()).append(' ').append(a.nanos()).append(' ')
              .append(base64.encodeToString(a.payload())).append('\n');
        }
        synchronized (out) {
          out.print(lines);
          out.flush();
        }
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static void say(PrintStream out, String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  private static FleetFlagsBroker at(String host, int port) {
    return new FleetFlagsBroker() {
      @Override
      public String host() {
        return host;
      }

      @Override
      public int mqttPort() {
        return port;
      }

      @Override
      public String log() {
        return "";
      }

      @Override
      public void close() {}
    };
  }
}
