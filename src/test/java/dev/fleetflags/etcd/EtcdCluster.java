package dev.fleetflags.etcd;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd cluster for tests: {@code members} processes of the {@code etcd} binary (Debian's
 * {@code etcd-server}) on free loopback ports, each with a data folder of its own below {@code
 * folder}. Members can be stopped, killed and started again on their folders, to take quorum away
 * and give it back. Shared by source with the integration tests and the load harness, so it uses
 * nothing but the JDK.
 */
public final class EtcdCluster implements AutoCloseable {

  /** Bound on a member's start; reached only when something is wrong. */
  private static final Duration START = Duration.ofSeconds(60);

  /** Larger than etcd's defaults (128 operations, 1.5 MiB), as the README advises for FleetFlags. */
  public static final int MAX_TXN_OPS = 10_240;

  public static final int MAX_REQUEST_BYTES = 16 * 1024 * 1024;

  private final Path folder;
  private final List<Member> members;

  private static final class Member {
    final String name;
    final int clientPort;
    final int peerPort;
    final Path data;
    final Path log;
    Process process;
    boolean started;

    Member(String name, int clientPort, int peerPort, Path folder) {
      this.name = name;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
      this.data = folder.resolve(name);
      this.log = folder.resolve(name + ".log");
    }

    String clientUrl() {
      return "http://127.0.0.1:" + clientPort;
    }

    String peerUrl() {
      return "http://127.0.0.1:" + peerPort;
    }
  }

  private EtcdCluster(Path folder, List<Member> members) {
    this.folder = folder;
    this.members = members;
  }

  /** The etcd binary on the PATH, if there is one. */
  public static Optional<Path> binary() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "etcd");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Why etcd tests cannot run here, or null if they can. */
  public static String unavailableReason() {
    return binary().isPresent()
        ? null
        : "etcd is not on the PATH: install Debian's etcd-server (apt-get install etcd-server), which"
            + " .ci/run does when it runs as root";
  }

  /** Starts a new cluster of {@code size} members in a fresh folder below {@code base}; waits until it is healthy. */
  public static EtcdCluster start(int size, Path base) {
    try {
      Files.createDirectories(base);
      Path folder = Files.createTempDirectory(base, "etcd-");
      List<Integer> ports = freePorts(2 * size);
      List<Member> members = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        members.add(new Member("m" + (i + 1), ports.get(2 * i), ports.get(2 * i + 1), folder));
      }
      EtcdCluster cluster = new EtcdCluster(folder, members);
      try {
        for (int i = 0; i < size; i++) {
          cluster.launch(i);
        }
        cluster.awaitHealthy();
      } catch (RuntimeException | Error e) {
        cluster.close();
        throw e;
      }
      return cluster;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int size() {
    return members.size();
  }

  /** The client URLs of every member, comma-separated, as {@code <etcd-endpoints>} takes them. */
  public String endpoints() {
    StringJoiner all = new StringJoiner(",");
    members.forEach(m -> all.add(m.clientUrl()));
    return all.toString();
  }

  /** The client URL of one member (0-based). */
  public String endpoint(int member) {
    return members.get(member).clientUrl();
  }

  public Path folder() {
    return folder;
  }

  private void launch(int index) {
    Member m = members.get(index);
    StringJoiner initial = new StringJoiner(",");
    members.forEach(other -> initial.add(other.name + "=" + other.peerUrl()));
    List<String> command =
        List.of(
            binary().orElseThrow(() -> new IllegalStateException(unavailableReason())).toString(),
            "--name", m.name,
            "--data-dir", m.data.toString(),
            "--listen-client-urls", m.clientUrl(),
            "--advertise-client-urls", m.clientUrl(),
            "--listen-peer-urls", m.peerUrl(),
            "--initial-advertise-peer-urls", m.peerUrl(),
            "--initial-cluster", initial.toString(),
            "--initial-cluster-token", folder.getFileName().toString(),
            "--initial-cluster-state", m.started ? "existing" : "new",
            "--max-txn-ops", Integer.toString(MAX_TXN_OPS),
            "--max-request-bytes", Integer.toString(MAX_REQUEST_BYTES),
            // a loaded 2-core machine: elections only when a member is really gone
            "--heartbeat-interval", "100",
            "--election-timeout", "1500");
    try {
      m.process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile()))
              .start();
      m.started = true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start etcd member " + m.name, e);
    }
  }

  /** Stops a member (SIGTERM) and waits until it has ended; its data stays. */
  public void stop(int member) {
    end(members.get(member), false);
  }

  /** Kills a member (SIGKILL); its data stays. */
  public void kill(int member) {
    end(members.get(member), true);
  }

  private static void end(Member m, boolean kill) {
    Process p = m.process;
    if (p == null) {
      return;
    }
    if (kill) {
      p.destroyForcibly();
    } else {
      p.destroy();
    }
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    m.process = null;
  }

  /** Starts a stopped member again on its data folder and waits until it answers. */
  public void start(int member) {
    Member m = members.get(member);
    if (m.process != null) {
      throw new IllegalStateException(m.name + " is running");
    }
    launch(member);
    awaitAnswering(m);
  }

  public boolean running(int member) {
    Process p = members.get(member).process;
    return p != null && p.isAlive();
  }

  /** Waits until every running member reports itself healthy (which needs a quorum). */
  public void awaitHealthy() {
    for (Member m : members) {
      if (m.process != null) {
        awaitHealth(m, true);
      }
    }
  }

  private void awaitAnswering(Member m) {
    awaitHealth(m, false);
  }

  private void awaitHealth(Member m, boolean healthy) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + START.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (m.process == null || !m.process.isAlive()) {
        throw new IllegalStateException("etcd member " + m.name + " ended:\n" + logTail(m));
      }
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(URI.create(m.clientUrl() + "/health"))
                    .timeout(Duration.ofSeconds(3))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        last = response.statusCode() + " " + response.body();
        if (!healthy || response.body().contains("\"health\":\"true\"")) {
          return;
        }
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("etcd member " + m.name + " not " + (healthy ? "healthy" : "answering")
        + " within " + START + " (" + last + "):\n" + logTail(m));
  }

  /**
   * Compacts the cluster's history up to its current revision (through etcd's HTTP gateway, so
   * that a test needs no etcd client): a watch from an older revision then fails as compacted.
   *
   * @return the revision compacted at
   */
  public long compact() {
    Member m = members.stream().filter(x -> x.process != null && x.process.isAlive()).findFirst()
        .orElseThrow(() -> new IllegalStateException("no member is running"));
    String range = post(m, "/v3/kv/range", "{\"key\": \"" + java.util.Base64.getEncoder().encodeToString("-".getBytes()) + "\"}");
    java.util.regex.Matcher revision = java.util.regex.Pattern.compile("\"revision\":\"(\\d+)\"").matcher(range);
    if (!revision.find()) {
      throw new IllegalStateException("no revision in " + range);
    }
    long at = Long.parseLong(revision.group(1));
    post(m, "/v3/kv/compaction", "{\"revision\": \"" + at + "\", \"physical\": true}");
    return at;
  }

  /** A member's database size in bytes (etcd's status), after defragmenting it if asked. */
  public long databaseBytes(int member, boolean defragment) {
    Member m = members.get(member);
    if (defragment) {
      post(m, "/v3/maintenance/defragment", "{}");
    }
    java.util.regex.Matcher size =
        java.util.regex.Pattern.compile("\"dbSize\":\"(\\d+)\"").matcher(post(m, "/v3/maintenance/status", "{}"));
    if (!size.find()) {
      throw new IllegalStateException("no dbSize in etcd's status");
    }
    return Long.parseLong(size.group(1));
  }

  private static String post(Member m, String path, String json) {
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(m.clientUrl() + path))
              .timeout(Duration.ofSeconds(10))
              .POST(HttpRequest.BodyPublishers.ofString(json))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String logTail(Member m) {
    try {
      List<String> lines = Files.exists(m.log) ? Files.readAllLines(m.log) : List.of();
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** Stops every member and deletes the cluster's folder. */
  @Override
  public void close() {
    for (Member m : members) {
      end(m, true);
    }
    try (var paths = Files.walk(folder)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover temp folder is no failure
    }
  }

  /** Distinct ports nobody listens on now: all held open at once, so none is handed out twice. */
  private static List<Integer> freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(socket);
        ports.add(socket.getLocalPort());
      }
      return ports;
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }
}
