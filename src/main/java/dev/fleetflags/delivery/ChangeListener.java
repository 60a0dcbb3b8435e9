package dev.fleetflags.delivery;

import java.util.concurrent.CompletionStage;

/** Something that acts on accepted changes: the fan-out to connected devices. */
@FunctionalInterface
public interface ChangeListener {

  /**
   * Takes a change that has just become current and returns, when known, how many devices it
   * affects (those that will receive an update). Called on the thread that applied the change to
   * the store (the admin thread, or with several brokers the one applying etcd's changes), one
   * change at a time in revision order; it must return at once and do its work elsewhere.
   */
  CompletionStage<Integer> onChange(FlagChange change);

  /** Changes taken and not yet worked through: admin refuses new writes while too many wait. */
  default int changesWaiting() {
    return 0;
  }
}
