package dev.fleetflags.eval;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An upper bound on the values an expression can give, for {@link CostAnalysis}: which kinds of
 * value it may be, the length of its text (JavaScript's String(v): a string's characters, an
 * array's elements joined with commas), and for an array its number of elements and a bound on
 * them, for an object a bound on its members. Numbers saturate at {@link #INFINITE}.
 *
 * @param kinds the kinds it may be: {@link #STRING}, {@link #SCALAR} (number, boolean, null),
 *     {@link #ARRAY}, {@link #OBJECT}
 * @param text the most characters of its text
 * @param length the most elements, if it may be an array
 * @param element the bound of its elements, if it may be a non-empty array
 * @param member the bound of its members, if it may be an object with members
 */
record Bound(int kinds, long text, long length, @Nullable Bound element, @Nullable Bound member) {

  static final int STRING = 1;
  static final int SCALAR = 2;
  static final int ARRAY = 4;
  static final int OBJECT = 8;

  /** Larger than any limit, and small enough that adding two never overflows. */
  static final long INFINITE = Long.MAX_VALUE / 4;

  /** The longest text of a number (as JavaScript prints it), a boolean or null. */
  static final int SCALAR_TEXT = 25;
  /** The text of an object: "[object Object]". */
  private static final int OBJECT_TEXT = 15;

  static final Bound NOTHING = new Bound(0, 0, 0, null, null);
  static final Bound SCALARS = new Bound(SCALAR, SCALAR_TEXT, 0, null, null);
  static final Bound EMPTY_ARRAY = new Bound(ARRAY, 0, 0, null, null);

  static Bound string(long length) {
    return new Bound(STRING, sat(length), 0, null, null);
  }

  /** An array of at most {@code length} elements, each within {@code element}. */
  static Bound array(long length, @Nullable Bound element) {
    if (length == 0 || element == null || element.kinds == 0) {
      return EMPTY_ARRAY;
    }
    return new Bound(ARRAY, mul(length, add(element.text, 1)), sat(length), element, null);
  }

  static Bound object(@Nullable Bound member) {
    return new Bound(OBJECT, OBJECT_TEXT, 0, null, member == null || member.kinds == 0 ? null : member);
  }

  /** The bound of a literal. */
  static Bound of(@Nullable Object literal) {
    if (literal instanceof String s) {
      return string(s.length());
    }
    if (literal instanceof List<?> list) {
      Bound element = NOTHING;
      long text = Math.max(0, list.size() - 1);
      for (Object e : list) {
        Bound b = of(e);
        element = element.join(b);
        text = add(text, e == null ? 0 : b.text);
      }
      return new Bound(ARRAY, text, list.size(), list.isEmpty() ? null : element, null);
    }
    if (literal instanceof Map<?, ?> map) {
      Bound member = NOTHING;
      for (Object v : map.values()) {
        member = member.join(of(v));
      }
      return object(member);
    }
    return SCALARS;
  }

  boolean may(int kind) {
    return (kinds & kind) != 0;
  }

  /** The characters of its text if it may be an array, else 0: what turning it into text creates. */
  long arrayText() {
    return may(ARRAY) ? text : 0;
  }

  /** Whatever either may be. */
  Bound join(@Nullable Bound other) {
    if (other == null || other == this || other.kinds == 0) {
      return this;
    }
    if (kinds == 0) {
      return other;
    }
    return new Bound(kinds | other.kinds, Math.max(text, other.text), Math.max(length, other.length),
        joined(element, other.element), joined(member, other.member));
  }

  private static @Nullable Bound joined(@Nullable Bound a, @Nullable Bound b) {
    return a == null ? b : a.join(b);
  }

  /** This bound without its array part: what {@code merge} adds as one element. */
  Bound notArray() {
    if (!may(ARRAY)) {
      return this;
    }
    int rest = kinds & ~ARRAY;
    return rest == 0 ? NOTHING : new Bound(rest, text, 0, null, member);
  }

  /**
   * What one step of a {@code var} path can reach from such a value: a member of an object, an
   * element of an array, a character of a string, or a length.
   */
  Bound step() {
    Bound reached = NOTHING;
    if (member != null) {
      reached = reached.join(member);
    }
    if (element != null) {
      reached = reached.join(element);
    }
    if (may(STRING) || may(ARRAY)) {
      reached = reached.join(SCALARS); // a length, or a one-character string, whose text is shorter
      reached = reached.join(string(1));
    }
    return reached;
  }

  /** Everything any path can reach from such a value, itself included. */
  Bound reachable() {
    Bound all = this;
    if (element != null) {
      all = all.join(element.reachable());
    }
    if (member != null) {
      all = all.join(member.reachable());
    }
    return may(STRING) || may(ARRAY) ? all.join(SCALARS).join(string(1)) : all;
  }

  static long add(long a, long b) {
    long sum = a + b;
    return sum >= INFINITE ? INFINITE : sum;
  }

  static long mul(long a, long b) {
    if (a == 0 || b == 0) {
      return 0;
    }
    return a >= INFINITE / b ? INFINITE : a * b;
  }

  /** The steps passing over {@code chars} characters (or elements) may charge ({@link Scope#scan}). */
  static long scanned(long chars) {
    return chars >= INFINITE ? INFINITE : (chars + Scope.CHARS_PER_STEP - 1) / Scope.CHARS_PER_STEP;
  }

  static long sat(long a) {
    return Math.min(a, INFINITE);
  }

  // --- linear growth, for reduce --------------------------------------------------------------

  /** The same shape: the same kinds and the same parts present, at every level. */
  boolean sameShape(Bound other) {
    return kinds == other.kinds
        && (element == null) == (other.element == null)
        && (member == null) == (other.member == null)
        && (element == null || element.sameShape(other.element))
        && (member == null || member.sameShape(other.member));
  }

  /**
   * Where {@code this} (the newer) grew from {@code before} by as much as {@code before} grew from
   * {@code older} in every number: this grown {@code times} more; else null. The three must have
   * the same shape.
   */
  @Nullable Bound extrapolate(Bound before, Bound older, long times) {
    long grewText = text - before.text;
    long grewLength = length - before.length;
    if (grewText != before.text - older.text || grewLength != before.length - older.length) {
      return null;
    }
    Bound e = null;
    if (element != null) {
      e = element.extrapolate(before.element, older.element, times);
      if (e == null) {
        return null;
      }
    }
    Bound m = null;
    if (member != null) {
      m = member.extrapolate(before.member, older.member, times);
      if (m == null) {
        return null;
      }
    }
    return new Bound(kinds, add(text, mul(grewText, times)), add(length, mul(grewLength, times)), e, m);
  }

  /** Whether every number of {@code this} exceeds that of {@code base} by at most that of {@code step}. */
  boolean grewAtMost(Bound base, Bound step, Bound stepBase) {
    if (text - base.text > step.text - stepBase.text || length - base.length > step.length - stepBase.length) {
      return false;
    }
    return (element == null || element.grewAtMost(base.element, step.element, stepBase.element))
        && (member == null || member.grewAtMost(base.member, step.member, stepBase.member));
  }
}
