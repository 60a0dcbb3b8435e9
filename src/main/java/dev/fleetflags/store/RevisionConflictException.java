package dev.fleetflags.store;

/** A write named an expected revision that is no longer current; nothing was written. */
public final class RevisionConflictException extends Exception {

  private static final long serialVersionUID = 1L;

  private final long expectedRevision;
  private final long currentRevision;

  public RevisionConflictException(long expectedRevision, long currentRevision) {
    super("the write expected revision " + expectedRevision + " but the store is at revision " + currentRevision);
    this.expectedRevision = expectedRevision;
    this.currentRevision = currentRevision;
  }

  public long expectedRevision() {
    return expectedRevision;
  }

  public long currentRevision() {
    return currentRevision;
  }
}
