package dev.fleetflags.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A network path between one broker and the etcd members that a test can cut and heal: a TCP
 * forwarder on loopback per member. The broker is configured with the forwarders' addresses; while
 * cut, open connections are closed and new ones are closed at once, as if the broker's side of the
 * network were gone. Nothing leaves loopback.
 */
final class Partition implements AutoCloseable {

  private final List<Forwarder> forwarders = new ArrayList<>();
  private volatile boolean cut;

  /** Forwarders to each of {@code endpoints} (etcd client URLs, comma-separated). */
  Partition(String endpoints) {
    for (String endpoint : endpoints.split(",")) {
      URI uri = URI.create(endpoint);
      forwarders.add(new Forwarder(new InetSocketAddress(uri.getHost(), uri.getPort())));
    }
  }

  /** The forwarders' URLs, comma-separated, for the broker's {@code <etcd-endpoints>}. */
  String endpoints() {
    StringJoiner all = new StringJoiner(",");
    forwarders.forEach(f -> all.add("http://127.0.0.1:" + f.server.getLocalPort()));
    return all.toString();
  }

  void cut() {
    cut = true;
    forwarders.forEach(Forwarder::dropAll);
  }

  void heal() {
    cut = false;
  }

  @Override
  public void close() {
    cut = true;
    forwarders.forEach(Forwarder::close);
  }

  private final class Forwarder {
    final ServerSocket server;
    final InetSocketAddress target;
    final Set<Socket> open = ConcurrentHashMap.newKeySet();

    Forwarder(InetSocketAddress target) {
      this.target = target;
      try {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Thread acceptor = new Thread(this::accept, "partition-" + target.getPort());
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void accept() {
      while (!server.isClosed()) {
        Socket client;
        try {
          client = server.accept();
        } catch (IOException e) {
          return;
        }
        if (cut) {
          quietly(client);
          continue;
        }
        try {
          Socket upstream = new Socket(target.getAddress(), target.getPort());
          open.add(client);
          open.add(upstream);
          pipe(client, upstream);
          pipe(upstream, client);
        } catch (IOException e) {
          quietly(client); // the member is down: so is the connection
        }
      }
    }

    private void pipe(Socket from, Socket to) {
      Thread t = new Thread(() -> {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
          for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            out.write(buffer, 0, n);
            out.flush();
          }
        } catch (IOException e) {
          // either side closed
        } finally {
          quietly(from);
          quietly(to);
        }
      }, "partition-pipe");
      t.setDaemon(true);
      t.start();
    }

    void dropAll() {
      for (Socket s : open) {
        quietly(s);
      }
      open.clear();
    }

    void close() {
      dropAll();
      try {
        server.close();
      } catch (IOException e) {
        // closing anyway
      }
    }

    private void quietly(Socket s) {
      open.remove(s);
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
