package dev.fleetflags.eval;

import dev.fleetflags.eval.CostAnalysis.Cost;
import org.jspecify.annotations.Nullable;

/** Arithmetic as JSON Logic's reference implementation does it. */
final class Arith {

  private Arith() {}

  /** Making numbers of {@code operands}: arrays become text, strings are read once. */
  static Cost numbers(Cost... operands) {
    return Cost.of(Bound.SCALARS, operands).plus(Bound.scanned(Expr.text(operands)), Expr.arrayText(operands));
  }

  /** {@code +}: the sum of parseFloat of each argument (so {@code {"+": "3"}} casts to 3). */
  static final class Plus extends Expr {
    private final Expr[] args;

    Plus(Expr[] args) {
      this.args = args;
    }

    @Override
    Object eval(Scope s) {
      double sum = 0;
      for (Expr arg : args) {
        sum += Js.parseFloat(arg.eval(s), s);
      }
      return sum;
    }

    @Override
    Cost cost(CostAnalysis a) {
      return numbers(a.of(args));
    }
  }

  /** {@code *}: the product of parseFloat of each argument; a lone argument is returned as is. */
  static final class Times extends Expr {
    private final Expr[] args;

    Times(Expr[] args) {
      this.args = args;
    }

    @Override
    @Nullable Object eval(Scope s) {
      if (args.length == 1) {
        return args[0].eval(s);
      }
      double product = Js.parseFloat(args[0].eval(s), s);
      for (int i = 1; i < args.length; i++) {
        product *= Js.parseFloat(args[i].eval(s), s);
      }
      return product;
    }

    @Override
    Cost cost(CostAnalysis a) {
      return args.length == 1 ? a.of(args[0]) : numbers(a.of(args));
    }
  }

  /** {@code -}: negation with one argument, subtraction with two. */
  static final class Minus extends Expr {
    private final Expr a;
    private final @Nullable Expr b;

    Minus(Expr a, @Nullable Expr b) {
      this.a = a;
      this.b = b;
    }

    @Override
    Object eval(Scope s) {
      double x = Js.toNumber(a.eval(s), s);
      return b == null ? -x : x - Js.toNumber(b.eval(s), s);
    }

    @Override
    Cost cost(CostAnalysis an) {
      return b == null ? numbers(an.of(a)) : numbers(an.of(a), an.of(b));
    }
  }

  /** {@code /} and {@code %}. */
  static final class Divide extends Expr {
    private final Expr a;
    private final Expr b;
    private final boolean remainder;

    Divide(Expr a, Expr b, boolean remainder) {
      this.a = a;
      this.b = b;
      this.remainder = remainder;
    }

    @Override
    Object eval(Scope s) {
      double x = Js.toNumber(a.eval(s), s);
      double y = Js.toNumber(b.eval(s), s);
      return remainder ? x % y : x / y;
    }

    @Override
    Cost cost(CostAnalysis an) {
      return numbers(an.of(a), an.of(b));
    }
  }

  /** {@code min} and {@code max}: Math.min/Math.max over the numbers of the arguments. */
  static final class MinMax extends Expr {
    private final Expr[] args;
    private final boolean max;

    MinMax(Expr[] args, boolean max) {
      this.args = args;
      this.max = max;
    }

    @Override
    Object eval(Scope s) {
      double result = max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      for (Expr arg : args) {
        double x = Js.toNumber(arg.eval(s), s);
        result = max ? Math.max(result, x) : Math.min(result, x);
      }
      return result;
    }

    @Override
    Cost cost(CostAnalysis a) {
      return numbers(a.of(args));
    }
  }
}
