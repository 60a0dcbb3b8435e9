package dev.fleetflags.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Says what is wrong with text that is not JSON, or not UTF-8, in the operator's words. Jackson's
 * own messages name its classes, features and settings ({@code JsonReadFeature...}, "Source:
 * REDACTED"), which mean nothing to an operator and tell a stranger what parses the input; they are
 * translated here, and what is not recognised becomes a plain "malformed JSON".
 */
final class JsonSyntax {

  private static final Pattern UNEXPECTED_CHARACTER = Pattern.compile("^Unexpected character \\(.*?code (\\d+)");
  private static final Pattern TOKEN = Pattern.compile("^(?:Unrecognized|Non-standard) token '(.*?)'(?::|$)", Pattern.DOTALL);
  private static final Pattern CLOSE_MARKER = Pattern.compile("^Unexpected close marker '(.)': expected '(.)'");
  private static final Pattern STRAY_CLOSE_MARKER = Pattern.compile("^Unexpected close marker '(.)'");
  private static final Pattern ESCAPE = Pattern.compile("^Unrecognized character escape .*?\\(code (\\d+)\\)");
  private static final Pattern CONTROL = Pattern.compile("^Illegal (unquoted )?character \\(\\(CTRL-CHAR, code (\\d+)\\)\\)");

  /** Characters of a member name the parser reads at most; no name comes near, none is valid. */
  static final int MAX_NAME_LENGTH = 50_000;

  private JsonSyntax() {}

  /** The reason for one of Jackson's parse failures, starting "malformed JSON". */
  static String reason(JsonProcessingException e) {
    String message = e.getOriginalMessage();
    String why = message == null ? null : e instanceof StreamConstraintsException ? constraint(message) : translate(message);
    return why == null ? "malformed JSON" : "malformed JSON: " + why;
  }

  /**
   * How far before the parser's reported place the problem is: it reports a stray control
   * character between values after it, every other problem at it.
   */
  static int before(JsonProcessingException e) {
    String message = e.getOriginalMessage();
    return message != null && message.startsWith("Illegal character ((CTRL-CHAR") ? 1 : 0;
  }

  private static @Nullable String constraint(String message) {
    if (message.startsWith("Number value length")) {
      return "a number longer than 1000 characters";
    }
    if (message.startsWith("Name length")) {
      return "a member name longer than " + MAX_NAME_LENGTH + " characters";
    }
    if (message.startsWith("String value length")) {
      return "a string longer than the document may be";
    }
    if (message.startsWith("Document nesting depth")) {
      return "nested too deep";
    }
    return null;
  }

  private static @Nullable String translate(String message) {
    Matcher m = UNEXPECTED_CHARACTER.matcher(message);
    if (m.find()) {
      return "unexpected character " + character(Integer.parseInt(m.group(1))) + expected(message);
    }
    m = TOKEN.matcher(message);
    if (m.find()) {
      String token = m.group(1);
      if (message.startsWith("Non-standard") || token.contains("Infinity") || token.contains("NaN") || token.contains("INF")) {
        return Json.quote(token) + " is not a JSON number; numbers are finite and written in digits";
      }
      return "unknown word " + Json.quote(token) + "; " + VALUE;
    }
    if (message.startsWith("Unexpected end-of-input")) {
      if (message.contains("close marker for Object")) {
        return "the text ends inside an object: a '}' is missing";
      }
      if (message.contains("close marker for Array")) {
        return "the text ends inside an array: a ']' is missing";
      }
      if (message.contains("closing quote") || message.contains("VALUE_STRING") || message.contains("field name")) {
        return "the text ends inside a string: a closing '\"' is missing";
      }
      return "the text ends early";
    }
    m = CLOSE_MARKER.matcher(message);
    if (m.find()) {
      return "unexpected '" + m.group(1) + "'; expected '" + m.group(2) + "'";
    }
    m = STRAY_CLOSE_MARKER.matcher(message);
    if (m.find()) {
      return "unexpected '" + m.group(1) + "' with nothing open to close";
    }
    m = ESCAPE.matcher(message);
    if (m.find()) {
      return "unknown escape \\" + new String(Character.toChars(Integer.parseInt(m.group(1))))
          + " in a string; JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\u followed by four hex digits";
    }
    m = CONTROL.matcher(message);
    if (m.find()) {
      String character = "control character " + Json.codePoint(Integer.parseInt(m.group(2)));
      return m.group(1) != null
          ? character + " in a string; it must be written as an escape such as \\n or \\u000a"
          : character + " between values; only spaces, tabs and line breaks may stand there";
    }
    if (message.startsWith("Invalid numeric value")) {
      return message.contains("Leading zeroes") ? "a number with a leading zero" : "a malformed number";
    }
    return null;
  }

  private static final String VALUE = "expected a value: a string, number, object, array, true, false or null";

  /** What Jackson expected instead of an unexpected character, said our way. */
  private static String expected(String message) {
    if (message.contains("double-quote to start field name")) {
      return "; expected a member name in double quotes";
    }
    if (message.contains("colon to separate field name and value")) {
      return "; expected ':' after the member name";
    }
    if (message.contains("comma to separate Object entries")) {
      return "; expected ',' or '}'";
    }
    if (message.contains("comma to separate Array entries")) {
      return "; expected ',' or ']'";
    }
    if (message.contains("comment")) {
      return "; JSON has no comments";
    }
    if (message.contains("plus sign")) {
      return " in a number; a number does not start with '+'";
    }
    if (message.contains("Exponent indicator not followed by a digit")) {
      return " in a number; an exponent needs digits";
    }
    if (message.contains("Decimal point not followed by a digit")) {
      return " in a number; a decimal point needs digits after it";
    }
    if (message.contains("follow minus sign")) {
      return " in a number; '-' must be followed by digits";
    }
    if (message.contains("in numeric value")) {
      return " in a number";
    }
    if (message.contains("hex-digit for character escape")) {
      return " in a \\u escape; \\u must be followed by four hex digits";
    }
    if (message.contains("expected a value") || message.contains("expected a valid value")) {
      return "; " + VALUE;
    }
    if (message.contains("space separating root-level values")) {
      return "; the document is one JSON value";
    }
    return "";
  }

  /** A character for a message: itself in quotes if it is visible, else its code point. */
  private static String character(int codePoint) {
    boolean visible = !Character.isISOControl(codePoint) && !Character.isWhitespace(codePoint) && !Character.isSpaceChar(codePoint)
        && Character.isDefined(codePoint) && !(codePoint <= 0xffff && Character.isSurrogate((char) codePoint)) && codePoint != 0xfffd
        && Character.getType(codePoint) != Character.FORMAT;
    return visible ? "'" + new String(Character.toChars(codePoint)) + "'" : Json.codePoint(codePoint);
  }

  // --- UTF-8 ---------------------------------------------------------------------------------

  /**
   * Why the {@code length} bytes at {@code at} (which a strict decoder refused) are not UTF-8, naming
   * the bytes: overlong forms (such as C0 80 for NUL), encoded surrogates, code points beyond
   * U+10FFFF, stray continuation bytes, cut-off sequences.
   */
  static String invalidUtf8(byte[] bytes, int at, int length) {
    int b0 = bytes[at] & 0xff;
    int b1 = at + 1 < bytes.length ? bytes[at + 1] & 0xff : -1;
    String why;
    if (b0 >= 0x80 && b0 <= 0xbf) {
      why = "a continuation byte without a lead byte";
    } else if (b0 == 0xc0 || b0 == 0xc1 || b0 == 0xe0 && b1 >= 0x80 && b1 <= 0x9f || b0 == 0xf0 && b1 >= 0x80 && b1 <= 0x8f) {
      why = "an overlong encoding (a character written with more bytes than UTF-8 allows; C0 80 is an overlong NUL)";
    } else if (b0 == 0xed && b1 >= 0xa0 && b1 <= 0xbf) {
      why = "an encoded UTF-16 surrogate, which is not a character";
    } else if (b0 >= 0xf5 || b0 == 0xf4 && b1 >= 0x90) {
      why = b0 >= 0xf8 ? "a byte that never occurs in UTF-8" : "a code point beyond U+10FFFF";
    } else {
      why = "a sequence cut short";
    }
    // The lead byte and the continuation bytes that follow it, as far as its sequence would go.
    int end = Math.min(at + Math.max(length, sequenceLength(b0)), bytes.length);
    StringBuilder shown = new StringBuilder(String.format("%02X", b0));
    for (int i = at + 1; i < end && (bytes[i] & 0xc0) == 0x80; i++) {
      shown.append(String.format(" %02X", bytes[i] & 0xff));
    }
    return "not valid UTF-8: bytes " + shown + " are " + why;
  }

  private static int sequenceLength(int lead) {
    return lead >= 0xf8 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  }
}
