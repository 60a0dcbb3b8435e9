package dev.fleetflags.eval;

/**
 * Thrown when one flag's evaluation has used up its step or size budget (see {@link Scope#charge}):
 * {@link Flag#evaluate} turns it into that flag's ERROR resolution. One preallocated instance
 * without a stack trace, so running out costs nothing and allocates nothing.
 */
final class BudgetExceeded extends RuntimeException {

  private static final long serialVersionUID = 1L;

  static final BudgetExceeded INSTANCE = new BudgetExceeded();

  private BudgetExceeded() {
    super("evaluation budget exceeded", null, false, false);
  }
}
