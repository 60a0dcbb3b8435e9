package dev.fleetflags.delivery;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The flag set being served now. Admin writes replace it after the store has made the change
 * durable; readers (device evaluations, queries) take whatever is current without locking.
 */
public final class LiveFlags {

  private volatile FlagSetRevision current;
  private final List<ChangeListener> listeners = new CopyOnWriteArrayList<>();

  public LiveFlags(FlagSetRevision initial) {
    this.current = initial;
  }

  public FlagSetRevision current() {
    return current;
  }

  public void addListener(ChangeListener listener) {
    listeners.add(listener);
  }

  /**
   * Makes {@code change.after()} current and tells the listeners; returns the number of devices
   * they report affected. Only admin calls this, one change at a time.
   */
  public int publish(FlagChange change) {
    current = change.after();
    int affected = 0;
    for (ChangeListener listener : listeners) {
      affected += listener.onChange(change);
    }
    return affected;
  }
}
