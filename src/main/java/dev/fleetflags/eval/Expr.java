package dev.fleetflags.eval;

import dev.fleetflags.eval.CostAnalysis.Cost;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A compiled JSON Logic expression: a small immutable object that computes its value from a
 * {@link Scope}. Compilation builds the tree once; evaluation walks it without touching JSON.
 */
abstract class Expr {

  abstract @Nullable Object eval(Scope s);

  /** The value's truthiness; boolean-valued nodes override this to skip boxing. */
  boolean test(Scope s) {
    return Js.truthy(eval(s));
  }

  /** Whether the value is known at compile time (and {@link #eval} ignores the scope). */
  boolean isConstant() {
    return false;
  }

  /**
   * The worst case of evaluating this node for any device: the bound of its value and what its
   * evaluation charges the budget, its children's included (see {@link CostAnalysis}). Each node
   * bounds here exactly what its {@link #eval} charges.
   */
  abstract Cost cost(CostAnalysis a);

  /**
   * The steps one evaluation of this node takes besides its children's and besides what it
   * charges: 1, or more for a node that walks a literal of its own (a long {@code var} path).
   * A flag's budget is charged its targeting's weight once; a loop charges its body's weight
   * for every element.
   */
  int weight() {
    return 1;
  }

  static final Const NULL = new Const(null);

  /** A literal. */
  static final class Const extends Expr {
    final @Nullable Object value;
    private final boolean truthy;

    Const(@Nullable Object value) {
      this.value = value;
      this.truthy = Js.truthy(value);
    }

    @Override
    @Nullable Object eval(Scope s) {
      return value;
    }

    @Override
    boolean test(Scope s) {
      return truthy;
    }

    @Override
    boolean isConstant() {
      return true;
    }

    @Override
    Cost cost(CostAnalysis a) {
      return Cost.of(a.literal(this));
    }
  }

  /** An array literal with computed elements: JSON Logic evaluates each element. */
  static final class Array extends Expr {
    private final Expr[] elements;

    Array(Expr[] elements) {
      this.elements = elements;
    }

    @Override
    Object eval(Scope s) {
      s.allocate(elements.length);
      List<Object> list = new ArrayList<>(elements.length);
      for (Expr e : elements) {
        list.add(e.eval(s));
      }
      return Collections.unmodifiableList(list);
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost[] costs = a.of(elements);
      return Cost.of(Bound.array(elements.length, join(costs)), costs).plus(0, elements.length);
    }
  }

  /** Whatever any of {@code costs} may give. */
  static Bound join(Cost... costs) {
    Bound b = Bound.NOTHING;
    for (Cost c : costs) {
      b = b.join(c.value());
    }
    return b;
  }

  /** The characters that turning any of {@code costs}' arrays into text creates. */
  static long arrayText(Cost... costs) {
    long n = 0;
    for (Cost c : costs) {
      n = Bound.add(n, c.value().arrayText());
    }
    return n;
  }

  /** The characters of the texts of {@code costs}' values. */
  static long text(Cost... costs) {
    long n = 0;
    for (Cost c : costs) {
      n = Bound.add(n, c.value().text());
    }
    return n;
  }

  /** Evaluates every expression of {@code args}. */
  static @Nullable Object[] evalAll(Expr[] args, Scope s) {
    Object[] values = new Object[args.length];
    for (int i = 0; i < args.length; i++) {
      values[i] = args[i].eval(s);
    }
    return values;
  }

  static @Nullable Object arg(@Nullable Object[] values, int i) {
    return i < values.length ? values[i] : null;
  }
}
