package dev.fleetflags.delivery;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link ConnectionFacts} instance for all connected devices that report the same facts (a
 * fleet's CONNECT user properties repeat a few models, firmwares and regions), so keeping a
 * device's facts costs a reference, not a map of strings. Counted like {@link AttributeInterner}:
 * every {@link #intern} is matched by a {@link #release}, and facts no device reports any more are
 * forgotten.
 */
final class SharedFacts {

  private static final class Shared {
    final ConnectionFacts facts;
    int users;

    Shared(ConnectionFacts facts) {
      this.facts = facts;
    }
  }

  private final ConcurrentHashMap<ConnectionFacts, Shared> shared = new ConcurrentHashMap<>();

  /** The shared instance equal to {@code facts}. */
  ConnectionFacts intern(ConnectionFacts facts) {
    if (facts.equals(ConnectionFacts.NONE)) {
      return ConnectionFacts.NONE;
    }
    return shared.compute(facts, (key, existing) -> {
      Shared entry = existing != null ? existing : new Shared(facts);
      entry.users++;
      return entry;
    }).facts;
  }

  /** A device holding {@code facts} from {@link #intern} is gone. */
  void release(ConnectionFacts facts) {
    if (facts != ConnectionFacts.NONE) {
      shared.computeIfPresent(facts, (key, entry) -> --entry.users == 0 ? null : entry);
    }
  }

  /** Distinct facts in use. */
  int size() {
    return shared.size();
  }
}
