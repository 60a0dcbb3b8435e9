package dev.fleetflags.eval;

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
      List<Object> out = new ArrayList<>();
      for (Expr arg : args) {
        Object v = arg.eval(s);
        if (v instanceof List<?> list) {
          out.addAll(list);
        } else {
          out.add(v);
        }
      }
      return Collections.unmodifiableList(out);
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

  /** {@code map}, {@code filter}, {@code all}, {@code some}, {@code none}. */
  static final class Scoped extends Expr {
    private final Kind kind;
    private final Expr list;
    private final Expr logic;

    Scoped(Kind kind, Expr list, Expr logic) {
      this.kind = kind;
      this.list = list;
      this.logic = logic;
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
  }

  /** {@code reduce}: logic over {@code {"current", "accumulator"}} for each element. */
  static final class Reduce extends Expr {
    private final Expr list;
    private final Expr logic;
    private final Expr initial;

    Reduce(Expr list, Expr logic, Expr initial) {
      this.list = list;
      this.logic = logic;
      this.initial = initial;
    }

    @Override
    @Nullable Object eval(Scope s) {
      Object value = list.eval(s);
      Object accumulator = initial.eval(s);
      if (!(value instanceof List<?> elements)) {
        return accumulator;
      }
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
  }
}
