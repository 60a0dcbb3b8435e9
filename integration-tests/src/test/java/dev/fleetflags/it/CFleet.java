package dev.fleetflags.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * C devices: the FleetFlags C library (clients/c) with libmosquitto, many devices in one process
 * ({@code clients/c/test/fleet.c}), built with CMake from the repository's sources and driven
 * through its stdin and stdout. Each device restores its state file when it boots, presents its
 * state hash when it connects, saves its state after every update and acks it, as the example
 * device does; the same code ({@code examples/mqtt_device.c}).
 */
final class CFleet implements AutoCloseable {

  private static final Path SOURCE =
      Path.of(System.getProperty("fleetflags.root", "..")).toAbsolutePath().normalize().resolve("clients/c");
  /** Where the C programs are built, and the devices' state files kept. */
  static final Path BUILD = Path.of("target/clients-c").toAbsolutePath();

  /**
   * What a C device holds, as it says: whether it holds a set from the broker, its revision, the
   * state hash it computes, the values by key (as the admin answers write them), how many
   * updates it applied, resyncs it asked for, payloads it refused and acks it sent since it booted,
   * and the revision of its last ack (0: none since it booted).
   */
  record Held(String device, boolean holds, long revision, String stateHash, Map<String, JsonNode> values,
      long updates, long resyncs, long refused, long acks, long ackedRevision) {

    /** A {@code state} answer being read: its header line, then one line per flag. */
    static final class Builder {
      private final String[] header;
      private final Map<String, JsonNode> values = new TreeMap<>();

      Builder(String[] header) {
        this.header = header;
      }

      void flag(String keyHex, char tag, String valueHex) {
        values.put(new String(unhex(keyHex), UTF_8), value(tag, unhex(valueHex)));
      }

      Held build() {
        return new Held(header[1], header[2].equals("1"), Long.parseLong(header[3]), header[4], values,
            Long.parseLong(header[6]), Long.parseLong(header[7]), Long.parseLong(header[8]),
            Long.parseLong(header[9]), Long.parseUnsignedLong(header[10]));
      }
    }
  }

  private final Process process;
  private final OutputStream commands;
  private final Path states;
  private final Map<String, CompletableFuture<Held>> asked = new ConcurrentHashMap<>();
  private final Map<String, Held.Builder> answering = new ConcurrentHashMap<>();
  /** Per device, the status of each update it applied or refused, in order. */
  private final Map<String, List<String>> updates = new ConcurrentHashMap<>();
  private final Set<String> subscribed = ConcurrentHashMap.newKeySet();
  private final List<String> problems = new CopyOnWriteArrayList<>();
  /** Per device, the commands it was given and what it said, for failure messages. */
  private final Map<String, List<String>> transcripts = new ConcurrentHashMap<>();

  private CFleet(Process process, Path states) {
    this.process = process;
    this.commands = process.getOutputStream();
    this.states = states;
    Thread reader = new Thread(this::read, "c-fleet stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Builds the fleet program (skipping the test, with the reason, where cmake, a C compiler,
   * nanopb or libmosquitto is missing) and starts it against the broker.
   */
  static CFleet start(FleetFlagsBroker broker) throws IOException, InterruptedException {
    Path program = build("fleet");
    Path states = BUILD.resolve("states");
    Folders.delete(states);
    Files.createDirectories(states);
    Process process =
        new ProcessBuilder(program.toString(), broker.host(), String.valueOf(broker.mqttPort()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    return new CFleet(process, states);
  }

  /**
   * Builds a program of clients/c ({@code fleet}, or the example {@code device}) and returns its
   * path; skips the test, with the reason, where cmake, a C compiler, nanopb or libmosquitto is
   * missing.
   */
  static Path build(String target) throws IOException, InterruptedException {
    String missing = missing();
    Assumptions.assumeTrue(missing == null, () -> "C devices not tested: " + missing);
    run("cmake", "--build", BUILD.toString(), "--target", target, "-j", "2");
    return BUILD.resolve(target);
  }

  /**
   * Configures the build of clients/c; what is missing for it (cmake, a C compiler, nanopb or
   * libmosquitto), or null if nothing is.
   */
  static @Nullable String missing() throws IOException, InterruptedException {
    for (String tool : List.of("cmake", "cc")) {
      if (!runs(tool, "--version")) {
        return tool + " is missing";
      }
    }
    forgetBuildOfAnotherFolder();
    String configured = run("cmake", "-S", SOURCE.toString(), "-B", BUILD.toString(), "-DFLEETFLAGS_TESTS=OFF");
    if (configured.contains("nanopb not found")) {
      return "nanopb is missing (Debian: nanopb libnanopb-dev)";
    }
    if (configured.contains("libmosquitto not found")) {
      return "libmosquitto is missing (Debian: libmosquitto-dev)";
    }
    return null;
  }

  /**
   * CMake refuses a build folder whose cache was made for another folder, as when the root build's
   * invoker copies this project, target/ and all, after it was run on its own.
   */
  private static void forgetBuildOfAnotherFolder() throws IOException {
    Path cache = BUILD.resolve("CMakeCache.txt");
    if (Files.exists(cache) && !Files.readString(cache, UTF_8).contains("For build in directory: " + BUILD + "\n")) {
      Folders.delete(BUILD);
    }
  }

  private static boolean runs(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Runs a build step; its output, or an AssertionError with it. */
  private static String run(String... command) throws IOException, InterruptedException {
    Files.createDirectories(BUILD);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(() -> {
          try {
            return new String(p.getInputStream().readAllBytes(), UTF_8);
          } catch (IOException e) {
            return e.toString();
          }
        });
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within 5 minutes");
    }
    String text = output.join();
    if (p.exitValue() != 0 && !text.contains("not found")) {
      throw new AssertionError(String.join(" ", command) + " failed:\n" + text);
    }
    return text;
  }

  /** Boots a device from its state file (none yet: it holds nothing) and connects it. */
  void add(String id, Device.Protocol protocol, Map<String, String> userProperties) {
    StringBuilder line = new StringBuilder("add ").append(id).append(protocol == Device.Protocol.MQTT5 ? " 5 " : " 3 ")
        .append(states.resolve(id + ".state"));
    userProperties.forEach((name, value) -> line.append(' ').append(name).append('=').append(value));
    send(line.toString());
    send("connect " + id);
  }

  /** Drops the connection and connects again, presenting what it holds. */
  void reconnect(String id) {
    send("reconnect " + id);
  }

  /** Switches the device off: connection and memory gone, the state file stays. */
  void off(String id) {
    send("off " + id);
  }

  /** Boots the device from its state file and connects it. */
  void reboot(String id) {
    send("reboot " + id);
  }

  /** Acks what it holds as FAILED, with this reason (one word). */
  void fail(String id, String reason) {
    send("fail " + id + " " + reason);
  }

  boolean subscribedOnce(String id) {
    return subscribed.contains(id);
  }

  /** The statuses of the updates it has applied or refused so far (FF_OK, FF_RESYNC, ...). */
  List<String> updates(String id) {
    return List.copyOf(updates.getOrDefault(id, List.of()));
  }

  List<String> problems() {
    return List.copyOf(problems);
  }

  /** What the device holds now. */
  Held held(String id) {
    CompletableFuture<Held> answer = new CompletableFuture<>();
    if (asked.putIfAbsent(id, answer) != null) {
      throw new IllegalStateException("already asking " + id);
    }
    send("state " + id);
    try {
      return answer.get(MqttDevice.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError("the C fleet did not say what " + id + " holds within " + MqttDevice.WAIT
          + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")"), e);
    } finally {
      asked.remove(id);
    }
  }

  /** The commands a device was given and what it said, in order. */
  List<String> transcript(String id) {
    return List.copyOf(transcripts.getOrDefault(id, List.of()));
  }

  private void log(String line) {
    String[] w = line.split(" ", 3);
    if (w.length > 1 && !w[0].equals("flag") && !w[0].equals("state") && !w[0].equals("end")) {
      transcripts.computeIfAbsent(w[1], k -> new CopyOnWriteArrayList<>()).add(line);
    }
  }

  private synchronized void send(String line) {
    String[] w = line.split(" ", 3);
    if (w.length > 1 && !w[0].equals("state")) {
      transcripts.computeIfAbsent(w[1], k -> new CopyOnWriteArrayList<>()).add("> " + line);
    }
    try {
      commands.write((line + "\n").getBytes(UTF_8));
      commands.flush();
    } catch (IOException e) {
      throw new AssertionError("the C fleet does not take commands"
          + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")"), e);
    }
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        take(line);
      }
    } catch (IOException e) {
      problems.add("reading the C fleet: " + e);
    }
  }

  private void take(String line) {
    log(line);
    String[] w = line.split(" ");
    switch (w[0]) {
      case "update" -> updates.computeIfAbsent(w[1], k -> new CopyOnWriteArrayList<>()).add(w[2]);
      case "subscribed" -> subscribed.add(w[1]);
      case "problem" -> problems.add(line);
      case "state" -> answering.put(w[1], new Held.Builder(w));
      case "flag" -> answering.get(w[1]).flag(w[2], w[3].charAt(0), w[4]);
      case "end" -> {
        CompletableFuture<Held> answer = asked.get(w[1]);
        Held held = answering.remove(w[1]).build();
        if (answer != null) {
          answer.complete(held);
        }
      }
      default -> {
        // booted: nothing to keep
      }
    }
  }

  @Override
  public void close() {
    try {
      send("quit");
    } catch (AssertionError e) {
      // already gone
    }
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** The harness's hex, tags and value bytes (those of clients/testvectors/vectors.txt) as JSON. */
  static JsonNode value(char tag, byte[] bytes) {
    JsonNodeFactory json = JsonNodeFactory.instance;
    return switch (tag) {
      case 'b' -> json.booleanNode(bytes[0] != 0);
      case 'i' -> json.numberNode(ByteBuffer.wrap(bytes).getLong());
      case 'd' -> json.numberNode(ByteBuffer.wrap(bytes).getDouble());
      case 's' -> json.textNode(new String(bytes, UTF_8));
      case 'j' -> Operator.parse(new String(bytes, UTF_8));
      default -> throw new AssertionError("unknown tag " + tag);
    };
  }

  static byte[] unhex(String hex) {
    return hex.equals("-") ? new byte[0] : HexFormat.of().parseHex(hex);
  }
}
