package dev.fleetflags.eval;

import dev.fleetflags.eval.CostAnalysis.Cost;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Strings and membership: {@code cat}, {@code substr}, {@code in}, {@code starts_with}, {@code ends_with}. */
final class Text {

  private Text() {}

  /** Needles up to this length are searched for with String.contains: at most this many comparisons per character. */
  private static final int SHORT_NEEDLE = 16;

  /**
   * Whether {@code haystack} contains {@code needle}, in time linear in their lengths, which are
   * charged to {@code s}: String.contains compares up to the needle's length at every position.
   */
  static boolean contains(String haystack, String needle, Scope s) {
    int h = haystack.length();
    int n = needle.length();
    s.scan((long) h + n);
    if (n <= SHORT_NEEDLE || (long) h * n <= 4096) {
      return haystack.contains(needle);
    }
    // Knuth-Morris-Pratt: the longest proper prefix of needle[0..i] that is also its suffix.
    int[] border = new int[n];
    for (int i = 1, k = 0; i < n; i++) {
      while (k > 0 && needle.charAt(i) != needle.charAt(k)) {
        k = border[k - 1];
      }
      if (needle.charAt(i) == needle.charAt(k)) {
        k++;
      }
      border[i] = k;
    }
    for (int i = 0, k = 0; i < h; i++) {
      while (k > 0 && haystack.charAt(i) != needle.charAt(k)) {
        k = border[k - 1];
      }
      if (haystack.charAt(i) == needle.charAt(k)) {
        k++;
      }
      if (k == n) {
        return true;
      }
    }
    return false;
  }

  /** {@code cat}: the arguments joined, null as empty, arrays comma-joined. */
  static final class Cat extends Expr {
    private final Expr[] args;

    Cat(Expr[] args) {
      this.args = args;
    }

    @Override
    Object eval(Scope s) {
      StringBuilder sb = new StringBuilder();
      for (Expr arg : args) {
        Object v = arg.eval(s);
        if (v instanceof List<?> list) {
          Js.appendJoined(sb, list, s);
        } else if (v != null) {
          String text = Js.toStr(v);
          s.allocate(text.length());
          sb.append(text);
        }
      }
      return sb.toString();
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost[] costs = a.of(args);
      long length = Expr.text(costs);
      return Cost.of(Bound.string(length), costs).plus(0, length);
    }
  }

  /** {@code substr}: JavaScript's String.prototype.substr, with a negative length cutting from the end. */
  static final class Substr extends Expr {
    private final Expr source;
    private final Expr start;
    private final @Nullable Expr length;

    Substr(Expr source, Expr start, @Nullable Expr length) {
      this.source = source;
      this.start = start;
      this.length = length;
    }

    @Override
    Object eval(Scope s) {
      String str = Js.toStr(source.eval(s), s);
      double from = Js.toNumber(start.eval(s), s);
      if (length == null) {
        return substr(str, from, Double.NaN, true, s);
      }
      // A length given as null is a length of 0, not an absent one.
      Object lengthValue = length.eval(s);
      if (Js.lessThan(lengthValue, 0L, s)) {
        String tail = substr(str, from, Double.NaN, true, s);
        // json-logic-js computes tail.length + length: for a non-number that concatenates
        // strings, which reads as NaN, a length of 0.
        return lengthValue instanceof Number n ? substr(tail, 0, tail.length() + n.doubleValue(), false, s) : "";
      }
      return substr(str, from, Js.toNumber(lengthValue, s), false, s);
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost text = a.of(source);
      Cost from = a.of(start);
      if (length == null) {
        return Cost.of(Bound.string(text.value().text()), text, from)
            .plus(Bound.scanned(from.value().text()), Bound.add(text.value().arrayText(), Bound.add(text.value().text(), from.value().arrayText())));
      }
      // The length is compared with 0 and then made a number; the result may be cut from a tail.
      Cost count = a.of(length);
      return Cost.of(Bound.string(text.value().text()), text, from, count)
          .plus(Bound.scanned(Bound.add(from.value().text(), Bound.mul(2, count.value().text()))),
              Bound.add(Bound.add(text.value().arrayText(), Bound.mul(2, text.value().text())),
                  Bound.add(from.value().arrayText(), Bound.mul(2, count.value().arrayText()))));
    }

    private static String substr(String s, double start, double length, boolean toEnd, Scope scope) {
      int size = s.length();
      double from = Double.isNaN(start) ? 0 : trunc(start);
      if (from < 0) {
        from = Math.max(size + from, 0);
      }
      from = Math.min(from, size);
      double count = toEnd ? size - from : Double.isNaN(length) ? 0 : trunc(length);
      count = Math.min(Math.max(count, 0), size - from);
      int begin = (int) from;
      scope.allocate((long) count);
      return s.substring(begin, begin + (int) count);
    }

    private static double trunc(double d) {
      return d < 0 ? Math.ceil(d) : Math.floor(d);
    }
  }

  /** {@code in} with a computed second argument: substring of a string or strict member of an array. */
  static final class In extends Logic.Predicate {
    private final Expr needle;
    private final Expr haystack;

    In(Expr needle, Expr haystack) {
      this.needle = needle;
      this.haystack = haystack;
    }

    @Override
    boolean test(Scope s) {
      Object n = needle.eval(s);
      Object h = haystack.eval(s);
      if (h instanceof String str) {
        return !str.isEmpty() && contains(str, Js.toStr(n, s), s);
      }
      if (h instanceof List<?> list) {
        s.scan(list.size());
        for (Object e : list) {
          if (Js.strictEquals(n, e, s)) {
            return true;
          }
        }
      }
      return false;
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost n = a.of(needle);
      Cost h = a.of(haystack);
      Bound list = h.value();
      long search = Bound.add(n.value().text(), list.text());
      long members = Bound.add(list.length(), Bound.mul(list.length(), n.value().text()));
      return Cost.of(Bound.SCALARS, n, h).plus(Bound.scanned(Bound.add(search, members)), n.value().arrayText());
    }
  }

  /** {@code in} over a literal string: a substring test. */
  static final class InString extends Logic.Predicate {
    private final Expr needle;
    private final String haystack;

    InString(Expr needle, String haystack) {
      this.needle = needle;
      this.haystack = haystack;
    }

    @Override
    boolean test(Scope s) {
      return !haystack.isEmpty() && contains(haystack, Js.toStr(needle.eval(s), s), s);
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost n = a.of(needle);
      return n.giving(Bound.SCALARS).plus(Bound.scanned(Bound.add(haystack.length(), n.value().text())), n.value().arrayText());
    }
  }

  /**
   * {@code in} over a short literal array of strings only: a scan that compares hash codes (which
   * strings cache) before characters, cheaper than a hash set for the few values targeting lists
   * usually hold. Only a string is {@code ===} to a string.
   */
  static final class InStrings extends Logic.Predicate {
    /** The most members for which a scan beats a hash lookup. */
    static final int MAX_MEMBERS = 8;

    private final Expr needle;
    private final String[] members;
    private final int[] hashes;

    InStrings(Expr needle, String[] members) {
      this.needle = needle;
      this.members = members;
      this.hashes = new int[members.length];
      for (int i = 0; i < members.length; i++) {
        hashes[i] = members[i].hashCode();
      }
    }

    @Override
    boolean test(Scope s) {
      if (!(needle.eval(s) instanceof String n)) {
        return false;
      }
      s.scan(n.length()); // hashed once, compared where a hash matches
      int hash = n.hashCode();
      for (int i = 0; i < hashes.length; i++) {
        if (hashes[i] == hash && members[i].equals(n)) {
          return true;
        }
      }
      return false;
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost n = a.of(needle);
      return n.giving(Bound.SCALARS).plus(Bound.scanned(n.value().text()), 0);
    }
  }

  /**
   * {@code in} over a literal array: a hash lookup, so a list of 100,000 device ids costs O(1) per
   * evaluation. Keys keep {@code ===}: numbers are held as doubles (1 and 1.0 meet, "1" and 1 do
   * not); arrays and objects in the literal can never be {@code ===} to a computed value.
   */
  static final class InSet extends Logic.Predicate {
    private final Expr needle;
    private final Set<Object> members;
    private final boolean hasNull;

    InSet(Expr needle, List<?> literal) {
      this.needle = needle;
      Set<Object> set = new HashSet<>(Math.max(16, literal.size() * 2));
      boolean nul = false;
      for (Object e : literal) {
        if (e == null) {
          nul = true;
        } else if (e instanceof String || e instanceof Boolean) {
          set.add(e);
        } else if (e instanceof Number number) {
          Double key = key(number);
          if (key != null) {
            set.add(key);
          }
        }
      }
      this.members = set;
      this.hasNull = nul;
    }

    @Override
    boolean test(Scope s) {
      Object n = needle.eval(s);
      if (n == null) {
        return hasNull;
      }
      if (n instanceof Number number) {
        Double key = key(number);
        return key != null && members.contains(key);
      }
      if (n instanceof String str) {
        s.scan(str.length()); // hashed, and compared with the members of its bucket
      }
      return (n instanceof String || n instanceof Boolean) && members.contains(n);
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost n = a.of(needle);
      return n.giving(Bound.SCALARS).plus(Bound.scanned(n.value().text()), 0);
    }

    private static @Nullable Double key(Number number) {
      double d = number.doubleValue();
      if (Double.isNaN(d)) {
        return null;
      }
      return d == 0.0 ? 0.0 : d; // -0 === 0
    }
  }

  /** {@code starts_with} and {@code ends_with}: null unless both arguments are strings. */
  static final class Affix extends Expr {
    private final Expr value;
    private final Expr affix;
    private final boolean prefix;

    Affix(Expr value, Expr affix, boolean prefix) {
      this.value = value;
      this.affix = affix;
      this.prefix = prefix;
    }

    @Override
    @Nullable Object eval(Scope s) {
      if (value.eval(s) instanceof String v && affix.eval(s) instanceof String a) {
        s.scan(a.length());
        return prefix ? v.startsWith(a) : v.endsWith(a);
      }
      return null;
    }

    @Override
    Cost cost(CostAnalysis an) {
      Cost v = an.of(value);
      Cost a = an.of(affix);
      return Cost.of(Bound.SCALARS, v, a).plus(Bound.scanned(a.value().text()), 0);
    }
  }
}
