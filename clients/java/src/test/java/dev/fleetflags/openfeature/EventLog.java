package dev.fleetflags.openfeature;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.EventDetails;
import dev.openfeature.sdk.ProviderEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The events an OpenFeature client's handlers received, as the application sees them. The SDK runs
 * handlers on a pool, so events emitted together may be seen in either order: tests wait for the
 * events each step causes before the next step.
 */
final class EventLog {

  /** One event as a handler received it. */
  record Event(ProviderEvent type, List<String> flagsChanged, String message) {}

  private final BlockingQueue<Event> arrived = new LinkedBlockingQueue<>();
  private final List<Event> seen = new ArrayList<>();

  EventLog(Client client) {
    for (ProviderEvent type : ProviderEvent.values()) {
      client.on(type, details -> arrived.add(event(type, details)));
    }
  }

  private static Event event(ProviderEvent type, EventDetails details) {
    List<String> changed = details.getFlagsChanged() == null ? List.of() : List.copyOf(details.getFlagsChanged());
    return new Event(type, changed, String.valueOf(details.getMessage()));
  }

  /** Waits for the next event of this type; events of other types that arrive first are kept. */
  Event await(ProviderEvent type) {
    long deadline = System.nanoTime() + Waiting.WAIT.toNanos();
    for (int i = 0; i < seen.size(); i++) {
      if (seen.get(i).type() == type) {
        return seen.remove(i);
      }
    }
    while (true) {
      long left = deadline - System.nanoTime();
      Event e;
      try {
        e = left > 0 ? arrived.poll(left, TimeUnit.NANOSECONDS) : null;
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new AssertionError(ie);
      }
      if (e == null) {
        throw new AssertionError("no " + type + " within " + Waiting.WAIT + "; other events: " + seen);
      }
      if (e.type() == type) {
        return e;
      }
      seen.add(e);
    }
  }

  /** Events received and not yet awaited, after taking whatever has arrived. */
  List<Event> others() {
    arrived.drainTo(seen);
    return List.copyOf(seen);
  }
}
