package dev.fleetflags.load;

import dev.fleetflags.it.FleetFlagsBroker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The devices spread over client JVMs the harness starts ({@link FleetProcess}), each holding a
 * contiguous share, so that N can exceed one process's file-descriptor limit where memory allows.
 * The harness talks to each over its standard input and output, one line at a time; what their
 * devices receive comes back as it arrives into one inbox here. A child that fails, ends or stops
 * answering ends the run with its reason; every wait for one is bounded.
 */
final class ClientProcesses implements Devices {

  /** Lines a child has answered with, and the messages its devices received. */
  private final class Child {
    final Process process;
    final Writer commands;
    final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    final Path log;
    final int first;
    final int size;

    Child(Process process, Path log, int first, int size) {
      this.process = process;
      this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      this.log = log;
      this.first = first;
      this.size = size;
      Thread reader = new Thread(this::read, "client-process-" + first);
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      Base64.Decoder base64 = Base64.getDecoder();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          if (line.startsWith("arrival ")) {
            String[] f = line.split(" ", 4);
            inbox.add(new Arrival(Integer.parseInt(f[1]), Long.parseLong(f[2]), base64.decode(f[3])));
            inboxSize.incrementAndGet();
          } else {
            answers.add(line);
          }
        }
      } catch (IOException e) {
        // the process ended
      }
      answers.add("failed the client process of devices " + first + ".." + (first + size - 1) + " ended"
          + (process.isAlive() ? "" : " with exit code " + process.exitValue()) + "; its log: " + tail());
    }

    void send(String command) throws IOException {
      commands.write(command + "\n");
      commands.flush();
    }

    /** The child's answer to a command, within the wait; its failure as an exception. */
    String answer(String command, Duration within) throws InterruptedException {
      String line = answers.poll(within.toMillis(), TimeUnit.MILLISECONDS);
      if (line == null) {
        throw new IllegalStateException("the client process of devices " + first + ".." + (first + size - 1)
            + " did not answer '" + command + "' within " + within + "; its log: " + tail());
      }
      if (line.startsWith("failed ")) {
        throw new IllegalStateException(line.substring("failed ".length()));
      }
      return line;
    }

    String tail() {
      try {
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
      } catch (IOException e) {
        return "(" + e + ")";
      }
    }
  }

  /** Beside its devices' connections, what a client JVM opens (jars, pipes, selectors). */
  private static final int CHILD_HEADROOM = OpenFiles.HEADROOM;

  private final List<Child> children = new ArrayList<>();
  private final ConcurrentLinkedQueue<Arrival> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inboxSize = new AtomicInteger();
  private final int size;
  private final Duration wait;

  private ClientProcesses(int size, Duration wait) {
    this.size = size;
    this.wait = wait;
  }

  /**
   * Client processes {@code devices} need where each may open as many files as this one (child
   * processes inherit its limit); 1 where the limit is not known.
   */
  static int needed(int devices, OpenFiles limits) {
    if (!limits.known()) {
      return 1;
    }
    long perProcess = Math.max(1, limits.max() - CHILD_HEADROOM - OpenFiles.HEADROOM);
    return (int) Math.max(1, (devices + perProcess - 1) / perProcess);
  }

  /**
   * Starts {@code processes} client JVMs with this JVM's class path and {@link
   * LoadSettings#clientJvmArgs}, each with a contiguous share of the devices, and waits until each
   * is ready; checks that their clock is this process's.
   */
  static ClientProcesses start(FleetFlagsBroker broker, LoadSettings settings, int processes)
      throws IOException, InterruptedException {
    ClientProcesses all = new ClientProcesses(settings.devices(), settings.timeout());
    Files.createDirectories(settings.work());
    try {
      int n = settings.devices();
      int inFlight = Math.max(1, settings.connectsInFlight() / processes);
      for (int p = 0; p < processes; p++) {
        int first = (int) ((long) n * p / processes);
        int size = (int) ((long) n * (p + 1) / processes) - first;
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(settings.clientJvmArgs());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(FleetProcess.class.getName());
        command.add(broker.host());
        command.add(Integer.toString(broker.mqttPort()));
        command.add(Integer.toString(first));
        command.add(Integer.toString(size));
        command.add(Integer.toString(inFlight));
        command.add(Long.toString(settings.timeout().toSeconds()));
        Path log = settings.work().resolve("clients-" + p + ".log");
        long before = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        Child child = all.new Child(process, log, first, size);
        all.children.add(child);
        String ready = child.answer("start", settings.timeout());
        long clock = ready.startsWith("ready ") ? Long.parseLong(ready.substring("ready ".length())) : -1;
        if (clock < before || clock > System.nanoTime()) {
          throw new IllegalStateException("the client process's clock is not this process's (System.nanoTime "
              + clock + " outside " + before + ".." + System.nanoTime() + "): arrival times could not be compared");
        }
      }
      LoadRun.log("%d client processes hold %d devices (%s each)", processes, n, settings.clientJvmArgs());
      return all;
    } catch (IOException | InterruptedException | RuntimeException e) {
      all.close();
      throw e;
    }
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public long connect(String topicTemplate) throws InterruptedException {
    long last = 0;
    for (String answer : everyChild("connect " + topicTemplate)) {
      last = Math.max(last, Long.parseLong(answer.substring("connected ".length())));
    }
    return last;
  }

  @Override
  public void disconnect() throws InterruptedException {
    everyChild("disconnect");
  }

  /**
   * Sends a command to every child at once and waits for each one's answer. A child connecting or
   * disconnecting its share bounds its own waits; the bound here covers one that hangs anyway:
   * the whole share's wait, as if nothing progressed, and once more.
   */
  private List<String> everyChild(String command) throws InterruptedException {
    for (Child c : children) {
      try {
        c.send(command);
      } catch (IOException e) {
        throw new IllegalStateException("the client process of devices " + c.first + ".. cannot be told '" + command
            + "': " + e + "; its log: " + c.tail(), e);
      }
    }
    List<String> answers = new ArrayList<>();
    for (Child c : children) {
      answers.add(c.answer(command, wait.multipliedBy(2).plus(wait.multipliedBy(Math.max(1, c.size / 1000)))));
    }
    return answers;
  }

  @Override
  public boolean awaitArrivals(int count) throws InterruptedException {
    return Fleet.awaitProgress(inboxSize::get, count, wait);
  }

  @Override
  public int arrived() {
    return inboxSize.get();
  }

  @Override
  public List<Arrival> takeArrivals() {
    List<Arrival> taken = new ArrayList<>();
    for (Arrival a = inbox.poll(); a != null; a = inbox.poll()) {
      taken.add(a);
      inboxSize.decrementAndGet();
    }
    return taken;
  }

  /** Closes each child's standard input, so it disconnects and ends; ends it if it has not within a minute. */
  @Override
  public void close() {
    for (Child c : children) {
      try {
        c.commands.close();
      } catch (IOException e) {
        // ended already
      }
    }
    for (Child c : children) {
      try {
        if (!c.process.waitFor(60, TimeUnit.SECONDS)) {
          c.process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        c.process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
