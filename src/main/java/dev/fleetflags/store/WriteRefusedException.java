package dev.fleetflags.store;

/**
 * The store refuses a write as it is, because it is over one of the store's limits (its size, or
 * the size of one write); nothing was written. The message says which limit and what to do.
 */
public final class WriteRefusedException extends StoreException {

  private static final long serialVersionUID = 1L;

  public WriteRefusedException(String message) {
    super(message);
  }

  public WriteRefusedException(String message, Throwable cause) {
    super(message, cause);
  }
}
