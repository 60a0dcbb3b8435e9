package dev.fleetflags.eval;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * JSON Logic's value semantics, which are JavaScript's: truthiness, {@code ==} and {@code ===},
 * relational comparison, ToNumber, parseFloat and String(). Numbers are compared and computed as
 * doubles, as in JavaScript; JSON Logic's "undefined" is represented by null.
 */
final class Js {

  private Js() {}

  /** JSON Logic's truthiness: JavaScript's, except that an empty array is falsy. */
  static boolean truthy(@Nullable Object v) {
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s) {
      return !s.isEmpty();
    }
    if (v instanceof Long l) {
      return l != 0L;
    }
    if (v instanceof Number n) {
      double d = n.doubleValue();
      return d != 0.0 && !Double.isNaN(d);
    }
    if (v instanceof List<?> list) {
      return !list.isEmpty();
    }
    return true;
  }

  /** JavaScript {@code a === b}: same type and value; arrays and objects only by identity. */
  static boolean strictEquals(@Nullable Object a, @Nullable Object b, Scope s) {
    if (a == b) {
      return !(a instanceof Double d && d.isNaN());
    }
    if (a == null || b == null) {
      return false;
    }
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() == y.doubleValue();
    }
    if (a instanceof String x) {
      if (b instanceof String y && x.length() == y.length()) {
        s.scan(x.length());
      }
      return x.equals(b);
    }
    return a instanceof Boolean && a.equals(b);
  }

  /** JavaScript {@code a == b} (the abstract equality comparison). */
  static boolean looseEquals(@Nullable Object a, @Nullable Object b, Scope s) {
    while (true) {
      if (a == null || b == null) {
        return a == b;
      }
      if (a instanceof Number x && b instanceof Number y) {
        return x.doubleValue() == y.doubleValue();
      }
      if (a instanceof String x && b instanceof String y) {
        if (x.length() == y.length()) {
          s.scan(x.length());
        }
        return x.equals(y);
      }
      if (a instanceof Boolean x && b instanceof Boolean y) {
        return x.booleanValue() == y.booleanValue();
      }
      boolean aObject = isObject(a);
      boolean bObject = isObject(b);
      if (aObject && bObject) {
        return a == b;
      }
      if (a instanceof Boolean x) {
        a = x ? 1.0 : 0.0;
      } else if (b instanceof Boolean y) {
        b = y ? 1.0 : 0.0;
      } else if (a instanceof Number && b instanceof String str) {
        b = toNumber(str, s);
      } else if (a instanceof String str && b instanceof Number) {
        a = toNumber(str, s);
      } else if (aObject) {
        a = toPrimitive(a, s);
      } else if (bObject) {
        b = toPrimitive(b, s);
      } else {
        return false;
      }
    }
  }

  /** JavaScript {@code a < b}. */
  static boolean lessThan(@Nullable Object a, @Nullable Object b, Scope s) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() < y.doubleValue();
    }
    Object pa = toPrimitive(a, s);
    Object pb = toPrimitive(b, s);
    if (pa instanceof String x && pb instanceof String y) {
      s.scan(Math.min(x.length(), y.length()));
      return x.compareTo(y) < 0;
    }
    return toNumber(pa, s) < toNumber(pb, s);
  }

  /** JavaScript {@code a <= b}. */
  static boolean lessOrEqual(@Nullable Object a, @Nullable Object b, Scope s) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() <= y.doubleValue();
    }
    Object pa = toPrimitive(a, s);
    Object pb = toPrimitive(b, s);
    if (pa instanceof String x && pb instanceof String y) {
      s.scan(Math.min(x.length(), y.length()));
      return x.compareTo(y) <= 0;
    }
    return toNumber(pa, s) <= toNumber(pb, s);
  }

  static boolean isObject(@Nullable Object v) {
    return v instanceof List || v instanceof Map;
  }

  /** ToPrimitive for arrays and objects (their string forms); other values are primitive. */
  static @Nullable Object toPrimitive(@Nullable Object v, Scope s) {
    return isObject(v) ? toStr(v, s) : v;
  }

  /** JavaScript Number(v); a long string or an array charges the work to {@code s}. */
  static double toNumber(@Nullable Object v, Scope s) {
    if (v == null) {
      return 0.0;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof Boolean b) {
      return b ? 1.0 : 0.0;
    }
    String text = v instanceof String str ? str : toStr(v, s);
    s.scan(text.length());
    return stringToNumber(text);
  }

  /** A number as JSON Logic results carry it: the value itself, or a boxed double. */
  static Object number(double d) {
    return d;
  }

  private static double stringToNumber(String s) {
    int begin = 0;
    int stop = s.length();
    while (begin < stop && isJsSpace(s.charAt(begin))) {
      begin++;
    }
    while (stop > begin && isJsSpace(s.charAt(stop - 1))) {
      stop--;
    }
    String t = s.substring(begin, stop);
    if (t.isEmpty()) {
      return 0.0;
    }
    if (t.length() > 2 && t.charAt(0) == '0') {
      char p = t.charAt(1);
      int radix = p == 'x' || p == 'X' ? 16 : p == 'o' || p == 'O' ? 8 : p == 'b' || p == 'B' ? 2 : 0;
      if (radix != 0) {
        double value = 0;
        for (int i = 2; i < t.length(); i++) {
          int digit = Character.digit(t.charAt(i), radix);
          if (digit < 0) {
            return Double.NaN;
          }
          value = value * radix + digit;
        }
        return value;
      }
    }
    int end = decimalPrefix(t, 0);
    if (end != t.length()) {
      return Double.NaN;
    }
    return parseDecimal(t, 0, end);
  }

  /** JavaScript parseFloat(v): the longest decimal prefix of String(v), else NaN. */
  static double parseFloat(@Nullable Object v, Scope scope) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    String s = toStr(v, scope);
    scope.scan(s.length());
    int start = 0;
    while (start < s.length() && isJsSpace(s.charAt(start))) {
      start++;
    }
    int end = decimalPrefix(s, start);
    if (end == start) {
      return Double.NaN;
    }
    return parseDecimal(s, start, end);
  }

  /**
   * JavaScript's white space and line terminators, which Number() trims and parseFloat() skips:
   * Java's isWhitespace differs (it omits no-break spaces and U+FEFF, and adds U+001C..U+001F).
   */
  private static boolean isJsSpace(char c) {
    return switch (c) {
      case '\t', '\n', '\u000B', '\f', '\r', '\uFEFF', '\u2028', '\u2029' -> true;
      default -> Character.getType(c) == Character.SPACE_SEPARATOR;
    };
  }

  /**
   * The end of the longest StrDecimalLiteral starting at {@code start}: optional sign, then
   * "Infinity" or digits with an optional fraction and exponent. Returns {@code start} if none.
   */
  private static int decimalPrefix(String s, int start) {
    int i = start;
    int n = s.length();
    if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      i++;
    }
    if (s.startsWith("Infinity", i)) {
      return i + 8;
    }
    int digitsStart = i;
    while (i < n && isDigit(s.charAt(i))) {
      i++;
    }
    int intDigits = i - digitsStart;
    int fracDigits = 0;
    if (i < n && s.charAt(i) == '.') {
      int j = i + 1;
      while (j < n && isDigit(s.charAt(j))) {
        j++;
      }
      fracDigits = j - i - 1;
      if (intDigits > 0 || fracDigits > 0) {
        i = j;
      }
    }
    if (intDigits == 0 && fracDigits == 0) {
      return start;
    }
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      int j = i + 1;
      if (j < n && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
        j++;
      }
      int expStart = j;
      while (j < n && isDigit(s.charAt(j))) {
        j++;
      }
      if (j > expStart) {
        i = j;
      }
    }
    return i;
  }

  private static double parseDecimal(String s, int start, int end) {
    String literal = s.substring(start, end);
    if (literal.endsWith("Infinity")) {
      return literal.charAt(0) == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    return Double.parseDouble(literal);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /**
   * JavaScript String(v), joining an array within the budget of {@code s}: the characters it
   * creates are charged.
   */
  static String toStr(@Nullable Object v, Scope s) {
    if (v instanceof List<?> list) {
      StringBuilder sb = new StringBuilder();
      appendJoined(sb, list, s);
      return sb.toString();
    }
    return toStr(v);
  }

  /**
   * JavaScript String(v); null is "null" (callers that join arrays treat it as empty). Outside an
   * evaluation: an array is joined without a budget.
   */
  static String toStr(@Nullable Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Boolean b) {
      return b ? "true" : "false";
    }
    if (v instanceof Long l) {
      return Long.toString(l);
    }
    if (v instanceof Number n) {
      return numberToString(n.doubleValue());
    }
    if (v instanceof List<?> list) {
      return toStr(list, Scope.forConstants());
    }
    return "[object Object]";
  }

  /**
   * Array.prototype.join(","), in which null elements are empty; the characters appended are
   * charged to {@code s} before they are made.
   */
  static void appendJoined(StringBuilder sb, List<?> list, Scope s) {
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        s.allocate(1);
        sb.append(',');
      }
      Object e = list.get(i);
      if (e instanceof List<?> inner) {
        appendJoined(sb, inner, s);
      } else if (e != null) {
        String text = toStr(e);
        s.allocate(text.length());
        sb.append(text);
      }
    }
  }

  /** Number.prototype.toString(): the shortest digits, in exponent form below 1e-6 and from 1e21. */
  static String numberToString(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0.0) {
      return "0";
    }
    if (d == Math.rint(d) && Math.abs(d) < 0x1p53) {
      return Long.toString((long) d); // exact, and no shorter digits read back as d
    }
    BigDecimal bd = shortest(d);
    int exponent = bd.precision() - bd.scale() - 1;
    if (exponent >= -6 && exponent < 21) {
      return bd.toPlainString();
    }
    String digits = bd.unscaledValue().abs().toString();
    StringBuilder sb = new StringBuilder();
    if (bd.signum() < 0) {
      sb.append('-');
    }
    sb.append(digits.charAt(0));
    if (digits.length() > 1) {
      sb.append('.').append(digits, 1, digits.length());
    }
    sb.append('e').append(exponent >= 0 ? "+" : "-").append(Math.abs(exponent));
    return sb.toString();
  }

  /**
   * The decimal with the fewest digits that reads back as {@code d}, the nearest to {@code d} if
   * several: the digits JavaScript prints. Java 17's Double.toString is not always that short
   * (2e23 prints as 1.9999999999999998E23).
   */
  private static BigDecimal shortest(double d) {
    BigDecimal exact = new BigDecimal(d);
    for (int digits = 1; digits < 17; digits++) {
      BigDecimal nearest = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
      if (nearest.doubleValue() == d) {
        return nearest.stripTrailingZeros();
      }
      // Where the gap below d is half the gap above (d a power of two), the nearest decimal of
      // this length can miss while its neighbour on the far side still reads back as d.
      BigDecimal step = BigDecimal.ONE.scaleByPowerOfTen(-nearest.scale());
      BigDecimal other = nearest.compareTo(exact) < 0 ? nearest.add(step) : nearest.subtract(step);
      if (other.doubleValue() == d) {
        return other.stripTrailingZeros();
      }
    }
    return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
  }
}
