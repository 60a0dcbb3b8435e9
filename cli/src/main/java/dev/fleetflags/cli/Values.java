package dev.fleetflags.cli;

import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;

/** Values typed on the command line: JSON where they read as a JSON number, boolean, object or array, else text. */
final class Values {

  private Values() {}

  static Object parse(String text) {
    String t = text.trim();
    if (t.equals("true") || t.equals("false") || t.startsWith("{") || t.startsWith("[") || t.startsWith("\"")
        || t.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
      try {
        Object value = Json.parse(t, Limits.DEFAULT);
        if (value != null) {
          return value;
        }
      } catch (InvalidDocumentException e) {
        // not JSON after all: text
      }
    }
    return text;
  }
}
