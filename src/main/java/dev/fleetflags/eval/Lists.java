package dev.fleetflags.eval;

import dev.fleetflags.eval.CostAnalysis.Cost;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Array operations: {@code merge}, and the scoped ones ({@code map}, {@code filter}, {@code
 * reduce}, {@code all}, {@code some}, {@code none}) whose logic reads each element as its data.
 */
final class Lists {

  private Lists() {}

  /** {@code merge}: arrays flattened one level into one array. */
  static final class Merge extends Expr {
    private final Expr[] args;

    Merge(Expr[] args) {
      this.args = args;
    }

    @Override
    Object eval(Scope s) {
      Object[] values = evalAll(args, s);
      long total = 0;
      for (Object v : values) {
        total += v instanceof List<?> list ? list.size() : 1;
      }
      s.allocate(total);
      List<Object> out = new ArrayList<>((int) total);
      for (Object v : values) {
        if (v instanceof List<?> list) {
          out.addAll(list);
        } else {
          out.add(v);
        }
      }
      return Collections.unmodifiableList(out);
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost[] costs = a.of(args);
      long total = 0;
      Bound element = Bound.NOTHING;
      for (Cost c : costs) {
        Bound v = c.value();
        // An array adds its elements; anything else adds itself.
        total = Bound.add(total, v.kinds() == Bound.ARRAY ? v.length() : Math.max(v.length(), 1));
        element = element.join(v.notArray()).join(v.element());
      }
      return Cost.of(Bound.array(total, element), costs).plus(0, total);
    }
  }

  /** What a scoped operation does with its elements. */
  enum Kind {
    MAP,
    FILTER,
    ALL,
    SOME,
    NONE
  }

  /**
   * {@code map}, {@code filter}, {@code all}, {@code some}, {@code none}. Each element charges the
   * weight of the logic, its evaluation, before the loop starts.
   */
  static final class Scoped extends Expr {
    private final Kind kind;
    private final Expr list;
    private final Expr logic;
    private final long logicWeight;

    Scoped(Kind kind, Expr list, Expr logic, long logicWeight) {
      this.kind = kind;
      this.list = list;
      this.logic = logic;
      this.logicWeight = logicWeight;
    }

    @Override
    Object eval(Scope s) {
      Object value = list.eval(s);
      List<?> elements = value instanceof List<?> l ? l : null;
      if (elements == null) {
        // JSON Logic: map/filter of a non-array give [], all of one gives false, some/none as empty.
        return switch (kind) {
          case MAP, FILTER -> List.of();
          case ALL, SOME -> Boolean.FALSE;
          case NONE -> Boolean.TRUE;
        };
      }
      s.charge(elements.size() * logicWeight);
      if (kind == Kind.MAP || kind == Kind.FILTER) {
        s.allocate(elements.size());
      }
      Object saved = s.data;
      try {
        switch (kind) {
          case MAP:
            List<Object> mapped = new ArrayList<>(elements.size());
            for (Object e : elements) {
              s.data = e;
              mapped.add(logic.eval(s));
            }
            return Collections.unmodifiableList(mapped);
          case FILTER:
            List<Object> kept = new ArrayList<>();
            for (Object e : elements) {
              s.data = e;
              if (logic.test(s)) {
                kept.add(e);
              }
            }
            return Collections.unmodifiableList(kept);
          case ALL:
            if (elements.isEmpty()) {
              return Boolean.FALSE;
            }
            for (Object e : elements) {
              s.data = e;
              if (!logic.test(s)) {
                return Boolean.FALSE;
              }
            }
            return Boolean.TRUE;
          default:
            boolean any = false;
            for (Object e : elements) {
              s.data = e;
              if (logic.test(s)) {
                any = true;
                break;
              }
            }
            return kind == Kind.SOME ? any : !any;
        }
      } finally {
        s.data = saved;
      }
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost source = a.of(list);
      Bound elements = source.value();
      Bound ifNone = kind == Kind.MAP || kind == Kind.FILTER ? Bound.EMPTY_ARRAY : Bound.SCALARS;
      if (elements.element() == null || elements.length() == 0) {
        return source.giving(ifNone);
      }
      long n = elements.length();
      Cost body = a.in(elements.element(), logic);
      long steps = Bound.mul(n, Bound.add(logicWeight, body.steps()));
      long size = Bound.mul(n, body.size());
      Bound value = switch (kind) {
        case MAP -> Bound.array(n, body.value());
        case FILTER -> Bound.array(n, elements.element());
        default -> Bound.SCALARS;
      };
      if (kind == Kind.MAP || kind == Kind.FILTER) {
        size = Bound.add(size, n);
      }
      return source.giving(value.join(ifNone)).plus(steps, size);
    }
  }

  /**
   * {@code reduce}: logic over {@code {"current", "accumulator"}} for each element. Each element
   * charges the logic's weight and the object of its data before the loop starts.
   */
  static final class Reduce extends Expr {
    private final Expr list;
    private final Expr logic;
    private final Expr initial;
    private final long logicWeight;

    Reduce(Expr list, Expr logic, Expr initial, long logicWeight) {
      this.list = list;
      this.logic = logic;
      this.initial = initial;
      this.logicWeight = logicWeight;
    }

    @Override
    @Nullable Object eval(Scope s) {
      Object value = list.eval(s);
      Object accumulator = initial.eval(s);
      if (!(value instanceof List<?> elements)) {
        return accumulator;
      }
      s.charge(elements.size() * logicWeight);
      s.allocate(DATA_MEMBERS * (long) elements.size());
      Object saved = s.data;
      try {
        for (Object e : elements) {
          Map<String, Object> data = new HashMap<>(4);
          data.put("current", e);
          data.put("accumulator", accumulator);
          s.data = data;
          accumulator = logic.eval(s);
        }
      } finally {
        s.data = saved;
      }
      return accumulator;
    }

    /** Members of the data object each element is given: current and accumulator. */
    private static final int DATA_MEMBERS = 2;

    /**
     * Follows the accumulator's bound element by element: exactly for the first {@value
     * CostAnalysis#EXACT_ITERATIONS} (or until it stops growing), then, if it grew by the same
     * amount in each of the last two, by extrapolating that growth to the most elements the list
     * may have, checking that one more element grows it by no more. Anything else is reported.
     */
    @Override
    Cost cost(CostAnalysis a) {
      Cost source = a.of(list);
      Cost start = a.of(initial);
      Cost before = Cost.of(start.value(), source, start);
      Bound elements = source.value();
      Bound element = elements.element();
      if (element == null || elements.length() == 0) {
        return before;
      }
      long n = elements.length();
      long steps = before.steps();
      long size = before.size();
      Bound older = null;
      Bound previous = null;
      Bound accumulator = start.value();
      int problems = a.problems();
      for (long k = 0; k < n; k++) {
        if (k == CostAnalysis.EXACT_ITERATIONS) {
          Bound grown = older == null || !older.sameShape(previous) || !previous.sameShape(accumulator)
              ? null : accumulator.extrapolate(previous, older, n - k);
          Cost last = grown == null ? null : iteration(a, element, grown);
          if (last == null || !grown.join(last.value()).sameShape(grown)
              || !grown.join(last.value()).grewAtMost(grown, accumulator, previous)) {
            a.report(this, "the accumulator of this reduce may grow faster than linearly over " + n
                + " elements; FleetFlags cannot bound what it costs");
            return new Cost(Bound.NOTHING, Bound.INFINITE, Bound.INFINITE);
          }
          steps = Bound.add(steps, Bound.mul(n - k, last.steps()));
          size = Bound.add(size, Bound.mul(n - k, last.size()));
          accumulator = grown.join(last.value());
          break;
        }
        Cost step = iteration(a, element, accumulator);
        steps = Bound.add(steps, step.steps());
        size = Bound.add(size, step.size());
        if (a.problems() > problems) {
          return new Cost(Bound.NOTHING, Bound.INFINITE, Bound.INFINITE);
        }
        Bound next = accumulator.join(step.value());
        if (next.equals(accumulator)) {
          // It stopped growing: every further element costs the same.
          steps = Bound.add(steps, Bound.mul(n - k - 1, step.steps()));
          size = Bound.add(size, Bound.mul(n - k - 1, step.size()));
          break;
        }
        older = previous;
        previous = accumulator;
        accumulator = next;
      }
      return new Cost(accumulator, steps, size);
    }

    /** One element's evaluation of the logic with the accumulator within {@code accumulator}. */
    private Cost iteration(CostAnalysis a, Bound element, Bound accumulator) {
      Cost body = a.in(element, accumulator, logic);
      return body.plus(logicWeight, DATA_MEMBERS);
    }
  }
}
