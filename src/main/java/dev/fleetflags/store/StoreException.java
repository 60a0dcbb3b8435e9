package dev.fleetflags.store;

/**
 * The store could not be opened, read or written. The message says what failed, where, and what an
 * operator can do about it; it is meant to be logged as it is.
 */
public class StoreException extends Exception {

  private static final long serialVersionUID = 1L;

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
