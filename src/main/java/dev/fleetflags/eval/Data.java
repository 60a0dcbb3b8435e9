package dev.fleetflags.eval;

import dev.fleetflags.eval.CostAnalysis.Cost;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Reading data: {@code var}, {@code missing} and {@code missing_some}. */
final class Data {

  /** JSON Logic's "undefined": a path that leads nowhere (distinct from a present null). */
  static final Object MISSING = new Object();

  private Data() {}

  /** The dotted path as {@code var} splits it; empty means the whole data. */
  static String[] segments(String path) {
    return path.isEmpty() ? new String[0] : path.split("\\.", -1);
  }

  /**
   * The value at {@code segments} of the scope's current data, or {@link #MISSING}. At the top the
   * data is the device context, with {@code targetingKey} and flagd's {@code $flagd} properties.
   */
  static @Nullable Object lookup(Scope s, String flagKey, String[] segments) {
    Object data = s.data;
    if (data != Scope.ROOT) {
      return descend(data, segments, 0);
    }
    if (segments.length == 0) {
      DeviceContext context = s.context();
      s.allocate(context.names.length + 3L); // its attributes, targeting key and $flagd
      return context.asData(flagKey, s.timestamp);
    }
    String first = segments[0];
    Object value;
    if ("targetingKey".equals(first)) {
      value = s.targetingKey;
      if (value == null) {
        return MISSING;
      }
    } else if ("$flagd".equals(first)) {
      if (segments.length == 2 && "flagKey".equals(segments[1])) {
        return flagKey;
      }
      if (segments.length == 2 && "timestamp".equals(segments[1])) {
        return s.timestampValue();
      }
      value = DeviceContext.flagdProperties(flagKey, s.timestamp);
    } else {
      return attribute(s, segments);
    }
    return segments.length == 1 ? value : descend(value, segments, 1);
  }

  /** The value at {@code segments} of the device's attributes, or {@link #MISSING}. */
  private static @Nullable Object attribute(Scope s, String[] segments) {
    Object value = s.device.attributeOrMissing(segments[0]);
    return segments.length == 1 || value == MISSING ? value : descend(value, segments, 1);
  }

  /** Whether a path read at the top reads a device attribute (not the targeting key or $flagd). */
  private static boolean readsAttribute(String[] segments) {
    return segments.length > 0 && !"targetingKey".equals(segments[0]) && !"$flagd".equals(segments[0]);
  }

  /** JavaScript property access along {@code segments}, from {@code from}. */
  static @Nullable Object descend(@Nullable Object data, String[] segments, int from) {
    Object current = data;
    for (int i = from; i < segments.length; i++) {
      if (current == null) {
        return MISSING;
      }
      String key = segments[i];
      if (current instanceof Map<?, ?> map) {
        Object next = map.get(key);
        if (next == null && !map.containsKey(key)) {
          return MISSING;
        }
        current = next;
      } else if (current instanceof List<?> list) {
        if ("length".equals(key)) {
          current = (long) list.size();
        } else {
          int index = arrayIndex(key);
          if (index < 0 || index >= list.size()) {
            return MISSING;
          }
          current = list.get(index);
        }
      } else if (current instanceof String str) {
        if ("length".equals(key)) {
          current = (long) str.length();
        } else {
          int index = arrayIndex(key);
          if (index < 0 || index >= str.length()) {
            return MISSING;
          }
          current = String.valueOf(str.charAt(index));
        }
      } else {
        return MISSING;
      }
    }
    return current;
  }

  private static int arrayIndex(String key) {
    if (key.isEmpty() || key.length() > 9 || (key.length() > 1 && key.charAt(0) == '0')) {
      return -1;
    }
    int index = 0;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      index = index * 10 + (c - '0');
    }
    return index;
  }

  /** {@code var} with a literal path. */
  static final class Var extends Expr {
    private final String flagKey;
    private final String[] segments;
    /** Decided once here, so that reading an attribute does not compare the name with the special ones. */
    private final boolean attribute;
    private final Expr fallback;

    Var(String flagKey, String path, Expr fallback) {
      this.flagKey = flagKey;
      String[] names = segments(path);
      for (int i = 0; i < names.length; i++) {
        // Attribute names are usually interned (literals, and JSON member names, which Jackson
        // interns): then the attribute map finds them by identity, without comparing characters.
        names[i] = names[i].intern();
      }
      this.segments = names;
      this.attribute = readsAttribute(segments);
      this.fallback = fallback;
    }

    @Override
    @Nullable Object eval(Scope s) {
      Object value;
      if (attribute && s.data == Scope.ROOT) {
        value = s.attribute(segments[0]); // interned: see the constructor
        if (segments.length > 1 && value != MISSING) {
          value = descend(value, segments, 1);
        }
      } else {
        value = lookup(s, flagKey, segments);
      }
      return value == MISSING ? fallback.eval(s) : value;
    }

    /** Whether this reads exactly {@code $flagd.timestamp}. */
    boolean isTimestamp() {
      return segments.length == 2 && "$flagd".equals(segments[0]) && "timestamp".equals(segments[1]);
    }

    @Override
    int weight() {
      return 1 + segments.length;
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost otherwise = a.of(fallback);
      Bound value = a.present(segments) ? a.read(segments) : a.read(segments).join(otherwise.value());
      return otherwise.giving(value).plus(0, segments.length == 0 ? a.contextSize() : 0);
    }

    /** Whether the value read includes {@code $flagd.timestamp}. */
    boolean readsTimestamp() {
      return segments.length == 0
          || ("$flagd".equals(segments[0]) && (segments.length == 1 || "timestamp".equals(segments[1])));
    }
  }

  /** {@code var} whose path is computed. */
  static final class DynamicVar extends Expr {
    private final String flagKey;
    private final Expr path;
    private final Expr fallback;

    DynamicVar(String flagKey, Expr path, Expr fallback) {
      this.flagKey = flagKey;
      this.path = path;
      this.fallback = fallback;
    }

    @Override
    @Nullable Object eval(Scope s) {
      Object p = path.eval(s);
      // Only null and "" itself mean the whole data; a value whose text is "" ([]) names the key "".
      String[] segments = p == null || "".equals(p) ? new String[0] : split(Js.toStr(p, s), s);
      Object value = lookup(s, flagKey, segments);
      return value == MISSING ? fallback.eval(s) : value;
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost p = a.of(path);
      Cost otherwise = a.of(fallback);
      return Cost.of(a.anything().join(otherwise.value()), p, otherwise)
          .plus(Bound.scanned(p.value().text()), Bound.add(p.value().arrayText(), a.contextSize()));
    }
  }

  /** {@code missing}: the keys whose values are null, empty or absent. */
  static final class Missing extends Expr {
    private final String flagKey;
    private final Expr[] keys;

    Missing(String flagKey, Expr[] keys) {
      this.flagKey = flagKey;
      this.keys = keys;
    }

    @Override
    Object eval(Scope s) {
      Object[] values = evalAll(keys, s);
      List<?> names = values.length > 0 && values[0] instanceof List<?> l ? l : java.util.Arrays.asList(values);
      return missing(s, flagKey, names);
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost[] costs = a.of(keys);
      Bound first = costs.length > 0 ? costs[0].value() : Bound.NOTHING;
      long count = Math.max(keys.length, first.length());
      Bound name = Expr.join(costs);
      if (first.element() != null) {
        name = name.join(first.element());
      }
      return Cost.of(Bound.NOTHING, costs).then(missing(a, count, name));
    }
  }

  /** A computed path's segments; the pass over it is charged to {@code s}. */
  private static String[] split(String path, Scope s) {
    s.scan(path.length());
    return path.split("\\.", -1);
  }

  static List<Object> missing(Scope s, String flagKey, List<?> names) {
    s.scan(names.size());
    s.allocate(names.size());
    List<Object> absent = new ArrayList<>();
    for (Object name : names) {
      String path = name == null ? "" : Js.toStr(name, s);
      s.scan(path.length());
      Object value = lookup(s, flagKey, segments(path));
      if (value == MISSING || value == null || "".equals(value)) {
        absent.add(name);
      }
    }
    return Collections.unmodifiableList(absent);
  }

  /**
   * What {@link #missing} costs for {@code count} names within {@code name}: each is made text,
   * split and looked up; the names missing are listed.
   */
  static Cost missing(CostAnalysis a, long count, Bound name) {
    long perName = Bound.add(name.arrayText(), Bound.add(1, a.contextSize()));
    return Cost.of(Bound.array(count, name))
        .plus(Bound.scanned(Bound.add(count, Bound.mul(count, name.text()))), Bound.add(count, Bound.mul(count, perName)));
  }

  /** {@code missing_some}: nothing if at least {@code need} of the keys are present. */
  static final class MissingSome extends Expr {
    private final String flagKey;
    private final Expr need;
    private final Expr keys;

    MissingSome(String flagKey, Expr need, Expr keys) {
      this.flagKey = flagKey;
      this.need = need;
      this.keys = keys;
    }

    @Override
    Object eval(Scope s) {
      double needed = Js.toNumber(need.eval(s), s);
      Object k = keys.eval(s);
      List<?> names = k instanceof List<?> l ? l : List.of();
      List<Object> absent = missing(s, flagKey, names);
      return names.size() - absent.size() >= needed ? List.of() : absent;
    }

    @Override
    Cost cost(CostAnalysis a) {
      Cost n = Arith.numbers(a.of(need));
      Cost k = a.of(keys);
      Bound list = k.value();
      Bound name = list.element() != null ? list.element() : Bound.NOTHING;
      return Cost.of(Bound.NOTHING, n, k).then(missing(a, list.length(), name));
    }
  }
}
