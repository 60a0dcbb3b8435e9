package dev.fleetflags.delivery;

/** Something that acts on accepted changes: the fan-out to connected devices. */
@FunctionalInterface
public interface ChangeListener {

  /**
   * Takes a change that has just become current and returns how many devices it affects (those
   * that will receive an update). Runs on the admin thread, before the operator is answered.
   */
  int onChange(FlagChange change);
}
