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
 * String}, {@link Long} (integral numbers that fit), {@link Double} (every other number), {@code
 * List<Object>} and {@code Map<String, Object>} (insertion-ordered); containers are unmodifiable.
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
                  .maxStringLength(64 * 1024 * 1024)
                  .build())
          .build();

  private Json() {}

  public static @Nullable Object parse(String text, Limits limits) throws InvalidDocumentException {
    return parse(text.getBytes(StandardCharsets.UTF_8), limits);
  }

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
    Reader reader = new Reader(limits);
    try (JsonParser parser = FACTORY.createParser(bytes)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new InvalidDocumentException(new Problem("", "document is empty"));
      }
      Object value = reader.read(parser, "", 1);
      if (parser.nextToken() != null) {
        throw new InvalidDocumentException(
            new Problem(where(parser.currentTokenLocation()), "unexpected content after the JSON value"));
      }
      if (!reader.problems.isEmpty()) {
        throw new InvalidDocumentException(reader.problems);
      }
      return value;
    } catch (JsonProcessingException e) {
      JsonLocation location = e.getLocation();
      String reason = "malformed JSON: " + firstLine(e.getOriginalMessage());
      List<Problem> problems = new ArrayList<>(reader.problems);
      problems.add(new Problem(location == null ? "" : where(location), reason));
      throw new InvalidDocumentException(problems);
    } catch (IOException e) {
      // Reading from a byte array does no I/O; this is the parser's way of reporting bad input.
      throw new InvalidDocumentException(new Problem("", "unreadable JSON: " + e.getMessage()));
    }
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

  /** The location of a member {@code key} of the value at {@code parent}. */
  public static String path(String parent, String key) {
    return parent.isEmpty() ? key : parent + "." + key;
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

  private static String where(JsonLocation location) {
    return "line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private static String firstLine(@Nullable String message) {
    if (message == null) {
      return "unexpected input";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
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
          return parser.getText();
        case VALUE_NUMBER_INT:
          if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            return parser.getDoubleValue();
          }
          return parser.getLongValue();
        case VALUE_NUMBER_FLOAT:
          return parser.getDoubleValue();
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
        parser.nextToken();
        Object value = read(parser, childPath, depth + 1);
        if (map.containsKey(key)) {
          problems.add(new Problem(childPath, "duplicate key \"" + key + "\""));
        } else {
          map.put(key, value);
        }
      }
      return Collections.unmodifiableMap(map);
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
