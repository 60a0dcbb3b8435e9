package dev.fleetflags.eval;

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
  }

  /** An array literal with computed elements: JSON Logic evaluates each element. */
  static final class Array extends Expr {
    private final Expr[] elements;

    Array(Expr[] elements) {
      this.elements = elements;
    }

    @Override
    Object eval(Scope s) {
      List<Object> list = new ArrayList<>(elements.length);
      for (Expr e : elements) {
        list.add(e.eval(s));
      }
      return Collections.unmodifiableList(list);
    }
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
