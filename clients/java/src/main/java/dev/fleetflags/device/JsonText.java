package dev.fleetflags.device;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads the JSON of object flags (RFC 8259, strictly) into plain values: objects as maps in member
 * order, arrays as lists, strings, numbers as Long (integers that fit) or Double, booleans and
 * null. Small on purpose: a device needs no JSON library for this. Nesting is limited so that a
 * hostile payload cannot exhaust the stack.
 */
public final class JsonText {

  /** Deeper nesting is refused; the extension's own default limit is 64. */
  static final int MAX_DEPTH = 256;

  private final String text;
  private int at;

  private JsonText(String text) {
    this.text = text;
  }

  /**
   * The value of a JSON text.
   *
   * @throws IllegalArgumentException naming what is wrong and at which character
   */
  public static @Nullable Object parse(String text) {
    JsonText reader = new JsonText(text);
    reader.space();
    Object value = reader.value(0);
    reader.space();
    if (reader.at != text.length()) {
      throw reader.error("unexpected text after the value");
    }
    return value;
  }

  private @Nullable Object value(int depth) {
    if (depth > MAX_DEPTH) {
      throw error("nested deeper than " + MAX_DEPTH);
    }
    if (at >= text.length()) {
      throw error("a value is missing");
    }
    char c = text.charAt(at);
    return switch (c) {
      case '{' -> object(depth);
      case '[' -> array(depth);
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          yield number();
        }
        throw error("unexpected character '" + c + "'");
      }
    };
  }

  private Map<String, @Nullable Object> object(int depth) {
    Map<String, @Nullable Object> members = new LinkedHashMap<>();
    at++;
    space();
    if (peek('}')) {
      at++;
      return Collections.unmodifiableMap(members);
    }
    while (true) {
      space();
      if (!peek('"')) {
        throw error("a member name (a string) is expected");
      }
      int nameAt = at;
      String name = string();
      space();
      expect(':');
      space();
      Object value = value(depth + 1);
      if (members.containsKey(name)) {
        at = nameAt;
        throw error("member \"" + name + "\" appears twice");
      }
      members.put(name, value);
      space();
      if (peek(',')) {
        at++;
        continue;
      }
      expect('}');
      return Collections.unmodifiableMap(members);
    }
  }

  private List<@Nullable Object> array(int depth) {
    List<@Nullable Object> elements = new ArrayList<>();
    at++;
    space();
    if (peek(']')) {
      at++;
      return Collections.unmodifiableList(elements);
    }
    while (true) {
      space();
      elements.add(value(depth + 1));
      space();
      if (peek(',')) {
        at++;
        continue;
      }
      expect(']');
      return Collections.unmodifiableList(elements);
    }
  }

  private String string() {
    at++;
    StringBuilder s = new StringBuilder();
    while (true) {
      if (at >= text.length()) {
        throw error("the string is not closed");
      }
      char c = text.charAt(at++);
      if (c == '"') {
        return s.toString();
      }
      if (c < 0x20) {
        at--;
        throw error("a control character must be escaped in a string");
      }
      if (c != '\\') {
        s.append(c);
        continue;
      }
      if (at >= text.length()) {
        throw error("the string is not closed");
      }
      char e = text.charAt(at++);
      switch (e) {
        case '"', '\\', '/' -> s.append(e);
        case 'b' -> s.append('\b');
        case 'f' -> s.append('\f');
        case 'n' -> s.append('\n');
        case 'r' -> s.append('\r');
        case 't' -> s.append('\t');
        case 'u' -> s.append(hex4());
        default -> {
          at--;
          throw error("unknown escape \\" + e);
        }
      }
    }
  }

  private char hex4() {
    if (at + 4 > text.length()) {
      throw error("\\u needs four hex digits");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(text.charAt(at + i), 16);
      if (d < 0) {
        throw error("\\u needs four hex digits");
      }
      v = v << 4 | d;
    }
    at += 4;
    return (char) v;
  }

  private Object number() {
    int start = at;
    boolean integral = true;
    if (peek('-')) {
      at++;
    }
    if (peek('0')) {
      at++;
    } else if (!digits()) {
      throw error("a digit is expected");
    }
    if (peek('.')) {
      at++;
      integral = false;
      if (!digits()) {
        throw error("a digit is expected after the decimal point");
      }
    }
    if (peek('e') || peek('E')) {
      at++;
      integral = false;
      if (peek('+') || peek('-')) {
        at++;
      }
      if (!digits()) {
        throw error("a digit is expected in the exponent");
      }
    }
    String literal = text.substring(start, at);
    if (integral) {
      try {
        return Long.parseLong(literal);
      } catch (NumberFormatException tooLarge) {
        // beyond a long: kept as the nearest double, as JSON readers commonly do
      }
    }
    return Double.parseDouble(literal);
  }

  private boolean digits() {
    int start = at;
    while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
      at++;
    }
    return at > start;
  }

  private @Nullable Object literal(String word, @Nullable Object value) {
    if (!text.startsWith(word, at)) {
      throw error("unexpected character '" + text.charAt(at) + "'");
    }
    at += word.length();
    return value;
  }

  private void space() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      at++;
    }
  }

  private boolean peek(char c) {
    return at < text.length() && text.charAt(at) == c;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw error("'" + c + "' is expected");
    }
    at++;
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException(what + " at character " + at);
  }
}
