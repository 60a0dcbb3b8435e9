package dev.fleetflags.eval;

import dev.fleetflags.eval.CostAnalysis.Cost;
import org.jspecify.annotations.Nullable;

/**
 * flagd's {@code sem_ver}: {@code [version, operator, target]} with operators {@code = != < <= >
 * >=}, {@code ^} (same major) and {@code ~} (same major and minor). Numbers are read as their
 * decimal text ({@code 1.2} as "1.2"). Anything unreadable gives null, so the default variant wins.
 */
final class SemVerCompare extends Expr {

  enum Op {
    EQ("="),
    NE("!="),
    LT("<"),
    LE("<="),
    GT(">"),
    GE(">="),
    SAME_MAJOR("^"),
    SAME_MINOR("~");

    final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }

    static @Nullable Op of(@Nullable Object symbol) {
      for (Op op : values()) {
        if (op.symbol.equals(symbol)) {
          return op;
        }
      }
      return null;
    }

    boolean holds(SemVer a, SemVer b) {
      return switch (this) {
        case EQ -> a.compareTo(b) == 0;
        case NE -> a.compareTo(b) != 0;
        case LT -> a.compareTo(b) < 0;
        case LE -> a.compareTo(b) <= 0;
        case GT -> a.compareTo(b) > 0;
        case GE -> a.compareTo(b) >= 0;
        case SAME_MAJOR -> a.major == b.major;
        case SAME_MINOR -> a.major == b.major && a.minor == b.minor;
      };
    }
  }

  private final Expr version;
  private final Expr operator;
  private final Expr target;
  private final @Nullable Op constantOp;
  private final @Nullable SemVer constantTarget;

  SemVerCompare(Expr version, Expr operator, Expr target) {
    this.version = version;
    this.operator = operator;
    this.target = target;
    this.constantOp = operator.isConstant() ? Op.of(operator.eval(Scope.forConstants())) : null;
    Object t = target.isConstant() ? text(target.eval(Scope.forConstants())) : null;
    this.constantTarget = t == null ? null : SemVer.parse((String) t);
  }

  @Override
  @Nullable Object eval(Scope s) {
    int result = compare(s);
    return result == UNREADABLE ? null : result == HOLDS;
  }

  /** As a condition (the usual use): null is falsy, so no value needs making. */
  @Override
  boolean test(Scope s) {
    return compare(s) == HOLDS;
  }

  /** The version and a computed target are read (as text) and parsed. */
  @Override
  Cost cost(CostAnalysis a) {
    Cost v = a.of(version);
    Cost op = a.of(operator);
    Cost t = a.of(target);
    return Cost.of(Bound.SCALARS, v, op, t).plus(Bound.scanned(Bound.add(v.value().text(), t.value().text())), 0);
  }

  private static final int UNREADABLE = -1;
  private static final int DOES_NOT_HOLD = 0;
  private static final int HOLDS = 1;

  private int compare(Scope s) {
    Object v = text(version.eval(s));
    if (v == null) {
      return UNREADABLE;
    }
    SemVer actual = s.semVer((String) v);
    if (actual == null) {
      return UNREADABLE;
    }
    Op op = constantOp != null ? constantOp : Op.of(operator.eval(s));
    SemVer wanted = constantTarget;
    if (wanted == null) {
      Object t = text(target.eval(s));
      wanted = t == null ? null : s.semVer((String) t);
    }
    if (op == null || wanted == null) {
      return UNREADABLE;
    }
    return op.holds(actual, wanted) ? HOLDS : DOES_NOT_HOLD;
  }

  /** A version's text: strings as they are, numbers as JavaScript prints them, else null. */
  static @Nullable Object text(@Nullable Object v) {
    if (v instanceof String) {
      return v;
    }
    if (v instanceof Number n) {
      return Js.toStr(n);
    }
    return null;
  }
}
