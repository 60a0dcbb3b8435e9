package dev.fleetflags.store;

/**
 * Where a store that is one copy of a shared state commits its writes: the shared state's source
 * of truth. The committed change comes back to this store through {@link
 * FlagStore#applyCommitted}, like any other broker's change, and {@link #commit} returns once this
 * store has applied it.
 */
public interface Committer {

  /**
   * Commits {@code write} if the shared state is still at {@code basedOn}, the revision the write
   * was validated against, and waits (bounded) until this store has applied it.
   *
   * @return the revision of the change
   * @throws RevisionConflictException if the shared state has moved on since {@code basedOn} (or
   *     is not at the write's expected revision); nothing was written, and this store has caught
   *     up with the newer state when it could within the bound
   * @throws StoreException if the source of truth could not be reached or did not confirm the
   *     commit, or this store did not apply it in time; the message says which
   */
  long commit(StoreWrite write, long basedOn) throws StoreException, RevisionConflictException;
}
