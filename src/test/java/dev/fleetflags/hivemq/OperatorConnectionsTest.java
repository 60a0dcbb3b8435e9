package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Which connection an answer may go to, and which client ids get a fresh session. */
class OperatorConnectionsTest {

  private final AtomicLong now = new AtomicLong(-3_000_000_000L);
  private final OperatorConnections connections = new OperatorConnections(now::get);
  private final Object asker = new Object();

  @Test
  void theAskingConnectionIsCurrentUntilItEnds() {
    connections.signedIn("ops-1", asker);
    assertSame(asker, connections.current("ops-1"));
    assertTrue(connections.isOperatorClientId("ops-1"));
    connections.ended("ops-1", asker);
    assertNull(connections.current("ops-1"));
    assertTrue(connections.isOperatorClientId("ops-1"), "recent");
    now.addAndGet(OperatorConnections.RECENT.toNanos());
    assertFalse(connections.isOperatorClientId("ops-1"));
  }

  /** A stranger admitted with the operator's client id takes it over: the answer is not its. */
  @Test
  void anotherClientTakingTheIdOverEndsTheOperatorsClaim() {
    connections.signedIn("ops-1", asker);
    connections.admitted("ops-1");
    assertNull(connections.current("ops-1"));
    connections.ended("ops-1", asker); // the taken-over connection's end comes later
    assertNull(connections.current("ops-1"));
    assertTrue(connections.isOperatorClientId("ops-1"));
  }

  @Test
  void aLaterOperatorConnectionIsNotTheOneThatAsked() {
    Object later = new Object();
    connections.signedIn("ops-1", asker);
    connections.signedIn("ops-1", later);
    connections.ended("ops-1", asker);
    assertSame(later, connections.current("ops-1"));
  }

  @Test
  void devicesAreNoneOfItsBusiness() {
    connections.admitted("dev-1");
    connections.ended("dev-1", new Object());
    assertFalse(connections.isOperatorClientId("dev-1"));
  }

  @Test
  void recentIdsAreBounded() {
    for (int i = 0; i <= OperatorConnections.MAX_RECENT; i++) {
      Object connection = new Object();
      connections.signedIn("ops-" + i, connection);
      connections.ended("ops-" + i, connection);
      now.addAndGet(Duration.ofMillis(1).toNanos());
    }
    assertFalse(connections.isOperatorClientId("ops-0"), "the oldest forgotten");
    assertTrue(connections.isOperatorClientId("ops-1"));
  }
}
