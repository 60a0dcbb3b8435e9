package dev.fleetflags.store;

import java.time.Clock;

/**
 * How the store behaves beyond where it lives.
 *
 * @param registryCacheSize device registry entries held in memory (absent devices count too)
 * @param historyLimit history entries kept; older ones are pruned in the write that adds a new one
 * @param clock the source of history timestamps
 */
public record StoreSettings(int registryCacheSize, int historyLimit, Clock clock) {

  public static final StoreSettings DEFAULT = new StoreSettings(100_000, 10_000, Clock.systemUTC());

  public StoreSettings {
    if (registryCacheSize < 0) {
      throw new IllegalArgumentException("registryCacheSize must not be negative, was " + registryCacheSize);
    }
    if (historyLimit < 1) {
      throw new IllegalArgumentException("historyLimit must be at least 1, was " + historyLimit);
    }
  }
}
