package dev.fleetflags.conformance;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A flagd document cut into the original text of each flag and of every other top-level member,
 * so that a copy with some flags left out keeps the rest byte for byte (the provider's {@code $ref}
 * substitution, for one, is sensitive to whitespace, and a rewritten copy would hide that).
 */
final class FlagFileText {

  private final Map<String, String> flags = new LinkedHashMap<>();
  private final Map<String, String> others = new LinkedHashMap<>();

  FlagFileText(String json) {
    try (JsonParser p = new JsonFactory().createParser(json)) {
      expect(p.nextToken(), JsonToken.START_OBJECT);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (name.equals("flags")) {
          expect(p.nextToken(), JsonToken.START_OBJECT);
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            flags.put(key, valueText(json, p));
          }
        } else {
          p.nextToken();
          others.put(name, valueText(json, p));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String valueText(String json, JsonParser p) throws IOException {
    int start = (int) p.currentTokenLocation().getCharOffset();
    p.skipChildren();
    p.finishToken(); // a scalar is read lazily: consume it, so that the location is past its end
    int end = (int) p.currentLocation().getCharOffset();
    return json.substring(start, end);
  }

  private static void expect(JsonToken got, JsonToken want) {
    if (got != want) {
      throw new IllegalArgumentException("flag file: expected " + want + ", found " + got);
    }
  }

  /** The text of one flag's definition, as written. */
  String flag(String key) {
    return Objects.requireNonNull(flags.get(key), key);
  }

  List<String> flagKeys() {
    return new ArrayList<>(flags.keySet());
  }

  /** A document with only {@code keys} among the flags, each as it was written, and every other member. */
  String with(Collection<String> keys) {
    StringBuilder out = new StringBuilder("{\n  \"flags\": {");
    String sep = "\n    ";
    for (String key : keys) {
      out.append(sep).append('"').append(key).append("\": ").append(flags.get(key));
      sep = ",\n    ";
    }
    out.append("\n  }");
    others.forEach((name, text) -> out.append(",\n  \"").append(name).append("\": ").append(text));
    return out.append("\n}\n").toString();
  }
}
