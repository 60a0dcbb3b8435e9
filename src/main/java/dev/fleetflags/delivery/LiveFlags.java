package dev.fleetflags.delivery;

import java.util.List;
import java.util.concurrent.CompletableFuture;
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
   * Makes {@code change.after()} current and tells the listeners; the future completes with the
   * number of devices they report affected, or with what one of them threw. Returns at once. Only
   * admin calls this (as the store applies each change), one change at a time.
   */
  public CompletableFuture<Integer> publish(FlagChange change) {
    current = change.after();
    CompletableFuture<Integer> affected = CompletableFuture.completedFuture(0);
    for (ChangeListener listener : listeners) {
      CompletableFuture<Integer> one;
      try {
        one = listener.onChange(change).toCompletableFuture();
      } catch (Throwable e) {
        one = CompletableFuture.failedFuture(e);
      }
      affected = affected.thenCombine(one, Integer::sum);
    }
    return affected;
  }

  /** The most changes any listener has taken and not yet worked through. */
  public int changesWaiting() {
    int most = 0;
    for (ChangeListener listener : listeners) {
      most = Math.max(most, listener.changesWaiting());
    }
    return most;
  }
}
