package dev.fleetflags.store;

/** Acts on each change the store applies: makes it live and fans it out. */
@FunctionalInterface
public interface StoreListener {

  /**
   * Takes a change that has just become the store's current state. Changes arrive one at a time,
   * in revision order, on the thread that applied them, before that thread goes on.
   */
  void applied(StoreChange change);
}
