package dev.fleetflags.eval;

import org.jspecify.annotations.Nullable;

/** Equality and ordering with JavaScript's coercions. */
final class Compare {

  private Compare() {}

  /** {@code ==}, {@code ===}, {@code !=}, {@code !==}. */
  static final class Equals extends Logic.Predicate {
    private final Expr a;
    private final Expr b;
    private final boolean strict;
    private final boolean negate;

    Equals(Expr a, Expr b, boolean strict, boolean negate) {
      this.a = a;
      this.b = b;
      this.strict = strict;
      this.negate = negate;
    }

    @Override
    boolean test(Scope s) {
      Object x = a.eval(s);
      Object y = b.eval(s);
      return (strict ? Js.strictEquals(x, y) : Js.looseEquals(x, y)) != negate;
    }
  }

  /** {@code <} and {@code <=}, with the between form {@code a < b < c}. */
  static final class Less extends Logic.Predicate {
    private final Expr a;
    private final Expr b;
    private final @Nullable Expr c;
    private final boolean orEqual;

    Less(Expr a, Expr b, @Nullable Expr c, boolean orEqual) {
      this.a = a;
      this.b = b;
      this.c = c;
      this.orEqual = orEqual;
    }

    @Override
    boolean test(Scope s) {
      Object x = a.eval(s);
      Object y = b.eval(s);
      if (!less(x, y)) {
        return false;
      }
      return c == null || less(y, c.eval(s));
    }

    private boolean less(@Nullable Object x, @Nullable Object y) {
      return orEqual ? Js.lessOrEqual(x, y) : Js.lessThan(x, y);
    }
  }

  /** {@code >} and {@code >=}. */
  static final class Greater extends Logic.Predicate {
    private final Expr a;
    private final Expr b;
    private final boolean orEqual;

    Greater(Expr a, Expr b, boolean orEqual) {
      this.a = a;
      this.b = b;
      this.orEqual = orEqual;
    }

    @Override
    boolean test(Scope s) {
      Object x = a.eval(s);
      Object y = b.eval(s);
      return orEqual ? Js.lessOrEqual(y, x) : Js.lessThan(y, x);
    }
  }
}
