package dev.fleetflags.store;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A process that writes to a store until it is killed, for {@link CrashDurabilityTest}. It prints
 * "revision N" once write N has returned, "ready" when it waits for a line on stdin before writing
 * on without pause, and never closes the store.
 */
final class StoreChild {

  private StoreChild() {}

  public static void main(String[] args) throws Exception {
    FlagStore store = FlagStore.open(Path.of(args[0]), StoreFixtures.settings(100, 1_000));
    for (int i = 0; i < 3; i++) {
      write(store);
    }
    System.out.println("ready");
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    while (true) {
      write(store);
    }
  }

  /** Sets the counter flag and a device attribute to the revision the write will get. */
  private static void write(FlagStore store) throws Exception {
    long next = store.revision() + 1;
    long revision = store.write(new StoreWrite(store.revision(), "apply", StoreFixtures.OPERATOR,
        java.util.Map.of("counter", StoreFixtures.counter("counter", next)), java.util.Map.of(), null,
        java.util.Map.of("dev", java.util.Map.of("n", next))));
    System.out.println("revision " + revision);
    System.out.flush();
  }
}
