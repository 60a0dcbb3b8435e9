package dev.fleetflags.rules;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * JSON text to immutable Java values and back. Values are {@code null}, {@link Boolean}, {@link
 * String}, {@link Long} (integral numbers), {@link Double} (numbers with a fraction or exponent),
 * {@code List<Object>} and {@code Map<String, Object>} (insertion-ordered); containers are
 * unmodifiable. Only what survives being written and read again unchanged is read: valid Unicode,
 * integers of 64 bits, finite doubles.
 *
 * <p>Reading enforces {@link Limits} as it goes, so a hostile document costs no more than the limits
 * allow, and reports duplicate keys, which a plain JSON parser would silently resolve.
 */
public final class Json {

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          // Our own limits are checked first and reported with a path; these only bound what we skip.
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(2_000)
                  .maxNumberLength(1_000)
                  .maxNameLength(JsonSyntax.MAX_NAME_LENGTH)
                  .maxStringLength(64 * 1024 * 1024)
                  .build())
          .build();

  private Json() {}

  /**
   * Reads JSON text. A lone UTF-16 surrogate, which could not be written as UTF-8, is refused with
   * its line and column.
   */
  public static @Nullable Object parse(String text, Limits limits) throws InvalidDocumentException {
    int surrogate = Names.loneSurrogate(text);
    if (surrogate >= 0) {
      char[] chars = text.toCharArray();
      throw new InvalidDocumentException(
          new Problem(where(chars, chars.length, surrogate), "not valid Unicode: " + loneSurrogate(text.charAt(surrogate))));
    }
    return parse(text.getBytes(StandardCharsets.UTF_8), limits);
  }

  /**
   * Reads UTF-8 JSON text. What is accepted is what JSON and UTF-8 define, so that it is written
   * back byte for byte the same: bytes that are not UTF-8 (overlong forms, encoded surrogates, ...)
   * are refused with their line and column; strings and member names holding a lone surrogate (from
   * a &#92;u escape), integers beyond 64 bits and numbers beyond a double's range are refused
   * with their path.
   */
  public static @Nullable Object parse(byte[] bytes, Limits limits) throws InvalidDocumentException {
    if (bytes.length > limits.maxDocumentBytes()) {
      throw new InvalidDocumentException(
          new Problem(
              "",
              "document is "
                  + bytes.length
                  + " bytes, more than the limit of "
                  + limits.maxDocumentBytes()
                  + " bytes"));
    }
    CharBuffer text = decode(bytes);
    char[] chars = text.array();
    int length = text.position();
    if (length > 0 && chars[0] == '\ufeff') {
      chars[0] = ' '; // a byte order mark, which RFC 8259 lets a reader ignore
    }
    Reader reader = new Reader(limits);
    JsonParser parser = null;
    try (JsonParser p = FACTORY.createParser(chars, 0, length)) {
      parser = p;
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new InvalidDocumentException(new Problem("", "document is empty"));
      }
      Object value = reader.read(p, "", 1);
      if (p.nextToken() != null) {
        throw new InvalidDocumentException(
            new Problem(where(chars, length, p.currentTokenLocation().getCharOffset()), "unexpected content after the JSON value"));
      }
      if (!reader.problems.isEmpty()) {
        throw new InvalidDocumentException(reader.problems);
      }
      return value;
    } catch (JsonProcessingException e) {
      JsonLocation location = e.getLocation() != null ? e.getLocation() : parser == null ? null : parser.currentLocation();
      List<Problem> problems = new ArrayList<>(reader.problems);
      problems.add(new Problem(location == null ? "" : where(chars, length, location.getCharOffset() - JsonSyntax.before(e)),
          JsonSyntax.reason(e)));
      throw new InvalidDocumentException(problems);
    } catch (IOException e) {
      // Reading from an array does no I/O; this is the parser's way of reporting bad input.
      throw new InvalidDocumentException(new Problem("", "malformed JSON"));
    }
  }

  /** Strict UTF-8: what is not (overlong forms, encoded surrogates, stray bytes) is refused where it is. */
  private static CharBuffer decode(byte[] bytes) throws InvalidDocumentException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length); // never more UTF-16 units than bytes
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      throw new InvalidDocumentException(
          new Problem(where(out.array(), out.position(), out.position()), JsonSyntax.invalidUtf8(bytes, in.position(), result.length())));
    }
    return out;
  }

  /** Compact JSON, object members in their own order. */
  public static String write(@Nullable Object value) {
    StringWriter out = new StringWriter();
    try (JsonGenerator gen = FACTORY.createGenerator(out)) {
      writeValue(gen, value, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Compact UTF-8 JSON with object members sorted by key at every level, so that equal values have
   * equal bytes: the form in which object values travel to devices and enter the state hash.
   */
  public static byte[] canonicalBytes(@Nullable Object value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeCanonical(value, out);
    return out.toByteArray();
  }

  private static void writeCanonical(@Nullable Object value, OutputStream out) {
    try (JsonGenerator gen = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
      writeValue(gen, value, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The length of {@link #canonicalBytes}, counted without holding them. */
  public static long canonicalSize(@Nullable Object value) {
    long[] count = {0};
    OutputStream counter = new OutputStream() {
      @Override
      public void write(int b) {
        count[0]++;
      }

      @Override
      public void write(byte[] b, int off, int len) {
        count[0] += len;
      }
    };
    writeCanonical(value, counter);
    return count[0];
  }

  /**
   * The location of a member {@code key} of the value at {@code parent}: a key longer than {@value
   * #SHOWN_IN_PATH} characters (longer than any valid name under the default limit) is cut short.
   */
  public static String path(String parent, String key) {
    String shown = shown(key, SHOWN_IN_PATH);
    return parent.isEmpty() ? shown : parent + "." + shown;
  }

  /** The location of element {@code index} of the array at {@code parent}. */
  public static String path(String parent, int index) {
    return parent + "[" + index + "]";
  }

  /** A short description of a JSON value's kind for error messages. */
  public static String kind(@Nullable Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof List) {
      return "an array";
    }
    if (value instanceof Map) {
      return "an object";
    }
    return value.getClass().getSimpleName();
  }

  /** A value for a message: a string {@link #quote quoted}, a number as written, anything else by its kind. */
  public static String describe(@Nullable Object value) {
    if (value instanceof String s) {
      return quote(s);
    }
    if (value instanceof Long || value instanceof Double) {
      return value.toString();
    }
    return kind(value);
  }

  /**
   * A string for a message, in double quotes: at most {@value #SHOWN} characters of it (then "…"
   * and its length: a message never carries a large value), control characters and lone surrogates
   * as &#92;uXXXX.
   */
  public static String quote(String s) {
    int length = s.codePointCount(0, s.length());
    String quoted = "\"" + shown(s, SHOWN) + "\"";
    return length > SHOWN ? quoted + " (" + length + " characters)" : quoted;
  }

  /** Characters of a value quoted in a message; the rest is cut off. */
  static final int SHOWN = 48;

  /** Characters of a member name in a location. */
  static final int SHOWN_IN_PATH = 256;

  private static String shown(String s, int characters) {
    StringBuilder sb = new StringBuilder(Math.min(s.length(), characters + 8));
    int count = 0;
    for (int i = 0; i < s.length(); count++) {
      if (count == characters) {
        return sb.append('\u2026').toString();
      }
      int c = s.codePointAt(i);
      if (c < 0x20 || c == 0x7f || Character.isSurrogate((char) c)) {
        // codePointAt gives a surrogate only when it is alone
        sb.append(String.format("\\u%04x", c));
      } else {
        sb.appendCodePoint(c);
      }
      i += Character.charCount(c);
    }
    return sb.toString();
  }

  /** {@code U+XXXX}. */
  static String codePoint(int c) {
    return String.format("U+%04X", c);
  }

  /** Says what and where the lone surrogate at {@code index} of {@code s} is. */
  static String loneSurrogate(String s, int index) {
    return loneSurrogate(s.charAt(index)).replaceFirst(":", " (character " + (s.codePointCount(0, index) + 1) + "):");
  }

  private static String loneSurrogate(char surrogate) {
    return "a lone UTF-16 surrogate " + String.format("\\u%04x", (int) surrogate) + ": half of a pair without its other half,"
        + " which a \\u escape can write but is no character; text must be valid Unicode";
  }

  private static void writeValue(JsonGenerator gen, @Nullable Object value, boolean sorted)
      throws IOException {
    if (value == null) {
      gen.writeNull();
    } else if (value instanceof String s) {
      gen.writeString(s);
    } else if (value instanceof Boolean b) {
      gen.writeBoolean(b);
    } else if (value instanceof Long || value instanceof Integer || value instanceof Short) {
      gen.writeNumber(((Number) value).longValue());
    } else if (value instanceof Number n) {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        gen.writeNull(); // as JSON.stringify does
      } else {
        gen.writeNumber(d);
      }
    } else if (value instanceof List<?> list) {
      gen.writeStartArray();
      for (Object element : list) {
        writeValue(gen, element, sorted);
      }
      gen.writeEndArray();
    } else if (value instanceof Map<?, ?> map) {
      gen.writeStartObject();
      Map<?, ?> ordered = sorted ? new TreeMap<>(map) : map;
      for (Map.Entry<?, ?> e : ordered.entrySet()) {
        gen.writeFieldName(String.valueOf(e.getKey()));
        writeValue(gen, e.getValue(), sorted);
      }
      gen.writeEndObject();
    } else {
      gen.writeString(value.toString());
    }
  }

  /**
   * {@code line L, column C} of the character at {@code offset}: lines as a text editor counts them
   * (a line feed, a carriage return, or both together end one), columns in characters (code points).
   */
  private static String where(char[] text, int length, long offset) {
    int line = 1;
    int column = 1;
    int end = (int) Math.max(0, Math.min(offset, length));
    for (int i = 0; i < end; i++) {
      char c = text[i];
      if (c == '\n' || c == '\r') {
        if (c == '\r' && i + 1 < end && text[i + 1] == '\n') {
          i++;
        }
        line++;
        column = 1;
      } else if (!Character.isLowSurrogate(c) || i == 0 || !Character.isHighSurrogate(text[i - 1])) {
        column++;
      }
    }
    return "line " + line + ", column " + column;
  }

  /** One read of one document; carries the node count and the problems found so far. */
  private static final class Reader {
    private final Limits limits;
    private final List<Problem> problems = new ArrayList<>();
    private int nodes;
    private boolean nodeLimitReported;

    Reader(Limits limits) {
      this.limits = limits;
    }

    /** Reads the value whose first token is current; leaves the parser on its last token. */
    @Nullable Object read(JsonParser parser, String path, int depth) throws IOException {
      if (++nodes > limits.maxNodes()) {
        if (!nodeLimitReported) {
          nodeLimitReported = true;
          problems.add(
              new Problem(
                  path,
                  "document has more than the limit of " + limits.maxNodes() + " JSON values"));
        }
        parser.skipChildren();
        return null;
      }
      JsonToken token = parser.currentToken();
      switch (token) {
        case START_OBJECT:
        case START_ARRAY:
          if (depth > limits.maxDepth()) {
            problems.add(
                new Problem(path, "nested deeper than the limit of " + limits.maxDepth() + " levels"));
            parser.skipChildren();
            return null;
          }
          return token == JsonToken.START_OBJECT
              ? readObject(parser, path, depth)
              : readArray(parser, path, depth);
        case VALUE_STRING:
          return text(parser.getText(), path, "the string");
        case VALUE_NUMBER_INT:
          if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            problems.add(new Problem(path, "integer " + literal(parser) + " does not fit in 64 bits (from "
                + Long.MIN_VALUE + " to " + Long.MAX_VALUE + "); integers are read exactly or not at all"));
            return null;
          }
          return parser.getLongValue();
        case VALUE_NUMBER_FLOAT:
          return real(parser, path);
        case VALUE_TRUE:
          return Boolean.TRUE;
        case VALUE_FALSE:
          return Boolean.FALSE;
        case VALUE_NULL:
          return null;
        default:
          throw new IllegalStateException("unexpected token " + token);
      }
    }

    private Map<String, Object> readObject(JsonParser parser, String path, int depth)
        throws IOException {
      Map<String, Object> map = new LinkedHashMap<>();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String key = parser.currentName();
        String childPath = path(path, key);
        text(key, childPath, "the member name");
        parser.nextToken();
        Object value = read(parser, childPath, depth + 1);
        if (map.containsKey(key)) {
          problems.add(new Problem(childPath, "duplicate key " + quote(key)));
        } else {
          map.put(key, value);
        }
      }
      return Collections.unmodifiableMap(map);
    }

    /** {@code s}, reported if it is not valid Unicode. */
    private String text(String s, String path, String what) {
      int surrogate = Names.loneSurrogate(s);
      if (surrogate >= 0) {
        problems.add(new Problem(path, "not valid Unicode: " + what + " holds " + loneSurrogate(s, surrogate)));
      }
      return s;
    }

    /** A number with a fraction or exponent: a finite double, and not 0 unless it is 0. */
    private @Nullable Double real(JsonParser parser, String path) throws IOException {
      double value = parser.getDoubleValue();
      if (Double.isInfinite(value)) {
        problems.add(new Problem(path, "number " + literal(parser) + " is beyond the range of a 64-bit floating-point"
            + " number (" + Double.MAX_VALUE + " either way); numbers must be finite"));
        return null;
      }
      if (value == 0 && hasNonZeroDigit(parser.getText())) {
        problems.add(new Problem(path, "number " + literal(parser) + " is too small for a 64-bit floating-point"
            + " number: it would be read as 0"));
        return null;
      }
      return value;
    }

    private static boolean hasNonZeroDigit(String literal) {
      for (int i = 0; i < literal.length(); i++) {
        char c = literal.charAt(i);
        if (c == 'e' || c == 'E') {
          return false;
        }
        if (c >= '1' && c <= '9') {
          return true;
        }
      }
      return false;
    }

    /** A number as written, cut short if long. */
    private static String literal(JsonParser parser) throws IOException {
      String text = parser.getText();
      return text.length() <= SHOWN ? text : text.substring(0, SHOWN) + "\u2026 (" + text.length() + " characters)";
    }

    private List<Object> readArray(JsonParser parser, String path, int depth) throws IOException {
      List<Object> list = new ArrayList<>();
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        list.add(read(parser, path(path, list.size()), depth + 1));
      }
      return Collections.unmodifiableList(list);
    }
  }
}
