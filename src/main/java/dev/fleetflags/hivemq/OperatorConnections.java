package dev.fleetflags.hivemq;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Which connection of a client id is a signed-in operator's, now, and which client ids were
 * operators' lately. An admin answer is published to a client id, and a later connection may
 * reuse it: the answer goes out only while the connection that asked is still the operator
 * connection of its client id ({@link #current}); and {@link OperatorSessions} gives a connection
 * with an operator's client id, live or lately ended, a fresh session of its own.
 *
 * <p>A connection is any object that stands for it alone (the connection's lifecycle listener).
 * Ended client ids are remembered for {@link #RECENT}, at most {@link #MAX_RECENT} of them.
 */
final class OperatorConnections {

  static final Duration RECENT = Duration.ofMinutes(10);
  static final int MAX_RECENT = 10_000;

  private final ConcurrentMap<String, Object> live = new ConcurrentHashMap<>();
  /** Client ids whose operator connection ended, to when; oldest first. */
  private final LinkedHashMap<String, Long> ended = new LinkedHashMap<>();
  private final LongSupplier nanoClock;

  OperatorConnections(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  /** An operator signed in on this connection: from now on it is the client id's. */
  void signedIn(String clientId, Object connection) {
    if (live.put(clientId, connection) != null) {
      remember(clientId);
    }
  }

  /**
   * A connection that is not an operator's was admitted with this client id: it takes the id over
   * from any operator connection that had it.
   */
  void admitted(String clientId) {
    if (!live.isEmpty() && live.remove(clientId) != null) {
      remember(clientId);
    }
  }

  /** A connection ended; if it was its client id's operator connection, the id is now recent. */
  void ended(String clientId, Object connection) {
    if (!live.isEmpty() && live.remove(clientId, connection)) {
      remember(clientId);
    }
  }

  /** The operator connection of this client id now, or null. */
  @Nullable Object current(String clientId) {
    return live.get(clientId);
  }

  /** Whether an operator is connected with this client id, or was within {@link #RECENT}. */
  boolean isOperatorClientId(String clientId) {
    if (live.containsKey(clientId)) {
      return true;
    }
    synchronized (ended) {
      if (ended.isEmpty()) {
        return false;
      }
      forgetOld();
      return ended.containsKey(clientId);
    }
  }

  private void remember(String clientId) {
    synchronized (ended) {
      ended.remove(clientId);
      ended.put(clientId, nanoClock.getAsLong());
      forgetOld();
    }
  }

  private void forgetOld() {
    long now = nanoClock.getAsLong();
    Iterator<Map.Entry<String, Long>> oldest = ended.entrySet().iterator();
    while (oldest.hasNext()) {
      Map.Entry<String, Long> entry = oldest.next();
      if (ended.size() <= MAX_RECENT && now - entry.getValue() < RECENT.toNanos()) {
        return;
      }
      oldest.remove();
    }
  }
}
