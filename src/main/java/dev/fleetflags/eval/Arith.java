package dev.fleetflags.eval;

import org.jspecify.annotations.Nullable;

/** Arithmetic as JSON Logic's reference implementation does it. */
final class Arith {

  private Arith() {}

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
        sum += Js.parseFloat(arg.eval(s));
      }
      return sum;
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
      double product = Js.parseFloat(args[0].eval(s));
      for (int i = 1; i < args.length; i++) {
        product *= Js.parseFloat(args[i].eval(s));
      }
      return product;
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
      double x = Js.toNumber(a.eval(s));
      return b == null ? -x : x - Js.toNumber(b.eval(s));
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
      double x = Js.toNumber(a.eval(s));
      double y = Js.toNumber(b.eval(s));
      return remainder ? x % y : x / y;
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
        double x = Js.toNumber(arg.eval(s));
        result = max ? Math.max(result, x) : Math.min(result, x);
      }
      return result;
    }
  }
}
