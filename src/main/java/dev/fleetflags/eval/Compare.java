package dev.fleetflags.eval;

import dev.fleetflags.eval.CostAnalysis.Cost;
import org.jspecify.annotations.Nullable;

/** Equality and ordering with JavaScript's coercions. */
final class Compare {

  private Compare() {}

  /**
   * Comparing {@code operands}, each used once: an array becomes text (its characters created),
   * and a string is passed over at most twice (made a number, compared).
   */
  static Cost comparing(Cost... operands) {
    return Cost.of(Bound.SCALARS, operands).plus(Bound.scanned(Bound.mul(2, Expr.text(operands))), Expr.arrayText(operands));
  }

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
      return (strict ? Js.strictEquals(x, y, s) : Js.looseEquals(x, y, s)) != negate;
    }

    @Override
    Cost cost(CostAnalysis an) {
      return comparing(an.of(a), an.of(b));
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
      if (!less(x, y, s)) {
        return false;
      }
      return c == null || less(y, c.eval(s), s);
    }

    private boolean less(@Nullable Object x, @Nullable Object y, Scope s) {
      return orEqual ? Js.lessOrEqual(x, y, s) : Js.lessThan(x, y, s);
    }

    @Override
    Cost cost(CostAnalysis an) {
      Cost x = an.of(a);
      Cost y = an.of(b);
      if (c == null) {
        return comparing(x, y);
      }
      // The middle operand is compared twice.
      Cost z = an.of(c);
      Cost both = comparing(x, y, z);
      return both.plus(Bound.scanned(Bound.mul(2, y.value().text())), y.value().arrayText());
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
      return orEqual ? Js.lessOrEqual(y, x, s) : Js.lessThan(y, x, s);
    }

    @Override
    Cost cost(CostAnalysis an) {
      return comparing(an.of(a), an.of(b));
    }
  }
}
