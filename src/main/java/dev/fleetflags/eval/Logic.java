package dev.fleetflags.eval;

import dev.fleetflags.eval.CostAnalysis.Cost;
import org.jspecify.annotations.Nullable;

/** Control flow and boolean logic: {@code if}, {@code and}, {@code or}, {@code !}, {@code !!}. */
final class Logic {

  private Logic() {}

  /** {@code if} (and {@code ?:}): condition/value pairs, then an optional else. */
  static final class If extends Expr {
    private final Expr[] args;

    If(Expr[] args) {
      this.args = args;
    }

    /** Conditions and values, alternating, then the else value if there is one. */
    Expr[] args() {
      return args;
    }

    @Override
    @Nullable Object eval(Scope s) {
      int i = 0;
      for (; i < args.length - 1; i += 2) {
        if (args[i].test(s)) {
          return args[i + 1].eval(s);
        }
      }
      return i == args.length - 1 ? args[i].eval(s) : null;
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost[] costs = a.of(args);
      Bound value = args.length % 2 == 1 ? Bound.NOTHING : Bound.SCALARS; // no else: null
      for (int i = 1; i < args.length; i += 2) {
        value = value.join(costs[i].value());
      }
      if (args.length % 2 == 1) {
        value = value.join(costs[args.length - 1].value());
      }
      return Cost.of(value, costs);
    }
  }

  /** {@code and}: the first falsy value, else the last value. */
  static final class And extends Expr {
    private final Expr[] args;

    And(Expr[] args) {
      this.args = args;
    }

    @Override
    @Nullable Object eval(Scope s) {
      Object value = null;
      for (Expr arg : args) {
        value = arg.eval(s);
        if (!Js.truthy(value)) {
          return value;
        }
      }
      return value;
    }

    @Override
    boolean test(Scope s) {
      for (Expr arg : args) {
        if (!arg.test(s)) {
          return false;
        }
      }
      return args.length > 0;
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost[] costs = a.of(args);
      return Cost.of(Expr.join(costs).join(Bound.SCALARS), costs); // no operands: null
    }
  }

  /** {@code or}: the first truthy value, else the last value. */
  static final class Or extends Expr {
    private final Expr[] args;

    Or(Expr[] args) {
      this.args = args;
    }

    @Override
    @Nullable Object eval(Scope s) {
      Object value = null;
      for (Expr arg : args) {
        value = arg.eval(s);
        if (Js.truthy(value)) {
          return value;
        }
      }
      return value;
    }

    @Override
    boolean test(Scope s) {
      for (Expr arg : args) {
        if (arg.test(s)) {
          return true;
        }
      }
      return false;
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost[] costs = a.of(args);
      return Cost.of(Expr.join(costs).join(Bound.SCALARS), costs); // no operands: null
    }
  }

  /** A node whose value is always a boolean; only {@link #test} needs writing. */
  abstract static class Predicate extends Expr {
    @Override
    final Object eval(Scope s) {
      return test(s);
    }

    @Override
    abstract boolean test(Scope s);
  }

  /** {@code !} and {@code !!}. */
  static final class Not extends Predicate {
    private final Expr arg;
    private final boolean negate;

    Not(Expr arg, boolean negate) {
      this.arg = arg;
      this.negate = negate;
    }

    @Override
    boolean test(Scope s) {
      return arg.test(s) != negate;
    }

    @Override
    Cost cost(CostAnalysis a) {
      return a.of(arg).giving(Bound.SCALARS);
    }
  }
}
