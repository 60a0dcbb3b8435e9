package dev.fleetflags.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Only valid text and numbers JSON can carry are read, every refusal with its location and reason
 * in the operator's words: lone surrogates from escapes (by path), bytes that are not UTF-8 (by
 * line and column), integers beyond 64 bits and numbers beyond a double (by path); malformed JSON
 * is described without the parser's internals; no message carries a large value.
 */
class JsonTextTest {

  private static List<String> problems(byte[] json) {
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class, () -> Json.parse(json, Limits.DEFAULT));
    List<String> found = new ArrayList<>();
    e.problems().forEach(p -> found.add(p.toString()));
    return found;
  }

  private static List<String> problems(String json) {
    return problems(json.getBytes(StandardCharsets.UTF_8));
  }

  private static @Nullable Object parsed(String json) throws InvalidDocumentException {
    return Json.parse(json.getBytes(StandardCharsets.UTF_8), Limits.DEFAULT);
  }

  /** UTF-8 text with raw bytes spliced in where {@code #} stands. */
  private static byte[] withBytes(String text, int... bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = text.indexOf('#');
    out.writeBytes(text.substring(0, at).getBytes(StandardCharsets.UTF_8));
    for (int b : bytes) {
      out.write(b);
    }
    out.writeBytes(text.substring(at + 1).getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  // --- text ----------------------------------------------------------------------------------

  @Test
  void aLoneSurrogateFromAnEscapeIsRefusedWhereverItIs() {
    String lone = "a lone UTF-16 surrogate \\ud800 (character 4): half of a pair without its other half,"
        + " which a \\u escape can write but is no character; text must be valid Unicode";
    assertEquals(List.of("flags.ota\\ud800: not valid Unicode: the member name holds " + lone),
        problems("{\"flags\": {\"ota\\ud800\": {}}}"));
    assertEquals(List.of("flags.f.variants.on: not valid Unicode: the string holds " + lone.replace("character 4", "character 2")),
        problems("{\"flags\": {\"f\": {\"variants\": {\"on\": \"x\\ud800\"}}}}"));
    assertEquals(List.of("a[1]: not valid Unicode: the string holds a lone UTF-16 surrogate \\udc00 (character 1): half of a pair"
            + " without its other half, which a \\u escape can write but is no character; text must be valid Unicode"),
        problems("{\"a\": [\"ok\", \"\\udc00\\ud83d\"]}"));
    assertTrue(problems("[\"\\ud83d\"]").get(0).startsWith("[0]: not valid Unicode: the string holds a lone UTF-16 surrogate \\ud83d"));
  }

  @Test
  void aPairOfSurrogateEscapesIsOneCharacter() throws Exception {
    assertEquals(Map.of("k\uD83D\uDE80", "ota-\u00fc-\uD83D\uDE80"), parsed("{\"k\\ud83d\\ude80\": \"ota-\\u00fc-\\uD83D\\uDE80\"}"));
    assertEquals(Map.of("ota-\u00fc-\uD83D\uDE80", 1L), parsed("{\"ota-\u00fc-\uD83D\uDE80\": 1}"));
  }

  static Stream<Arguments> notUtf8() {
    return Stream.of(
        Arguments.of(withBytes("{\"ota#\": 1}", 0xC0, 0x80), "line 1, column 6: not valid UTF-8: bytes C0 80 are an overlong"
            + " encoding (a character written with more bytes than UTF-8 allows; C0 80 is an overlong NUL)"),
        Arguments.of(withBytes("{\n  \"a\": \"\u00fc#\"}", 0xE0, 0x80, 0xAF), "line 2, column 10: not valid UTF-8: bytes E0 80 AF are"
            + " an overlong encoding (a character written with more bytes than UTF-8 allows; C0 80 is an overlong NUL)"),
        Arguments.of(withBytes("[\"#\"]", 0xED, 0xA0, 0x80), "line 1, column 3: not valid UTF-8: bytes ED A0 80 are an encoded"
            + " UTF-16 surrogate, which is not a character"),
        Arguments.of(withBytes("[\"#\"]", 0xF4, 0x90, 0x80, 0x80), "line 1, column 3: not valid UTF-8: bytes F4 90 80 80 are a code"
            + " point beyond U+10FFFF"),
        Arguments.of(withBytes("[\"#\"]", 0xFF), "line 1, column 3: not valid UTF-8: bytes FF are a byte that never occurs in UTF-8"),
        Arguments.of(withBytes("[\"a#\"]", 0x80), "line 1, column 4: not valid UTF-8: bytes 80 are a continuation byte without a lead byte"),
        Arguments.of(withBytes("\r\n\r\n[\"\uD83D\uDE80\uD83D\uDE80#", 0xE2, 0x82), "line 3, column 5: not valid UTF-8: bytes E2 82"
            + " are a sequence cut short"));
  }

  @ParameterizedTest
  @MethodSource("notUtf8")
  void bytesThatAreNotUtf8AreRefusedWithLineAndColumn(byte[] json, String expected) {
    assertEquals(List.of(expected), problems(json));
  }

  @Test
  void aJavaStringWithALoneSurrogateIsRefusedRatherThanWrittenAsAQuestionMark() {
    InvalidDocumentException e = assertThrows(InvalidDocumentException.class, () -> Json.parse("{\n \"k\": \"a\ud800\"}", Limits.DEFAULT));
    assertEquals(List.of("line 2, column 9: not valid Unicode: a lone UTF-16 surrogate \\ud800: half of a pair"
        + " without its other half, which a \\u escape can write but is no character; text must be valid Unicode"),
        e.problems().stream().map(Problem::toString).toList());
  }

  @Test
  void aByteOrderMarkIsIgnoredAndNulBytesDoNotSwitchTheEncoding() throws Exception {
    assertEquals(Map.of("a", 1L), Json.parse(withBytes("#{\"a\": 1}", 0xEF, 0xBB, 0xBF), Limits.DEFAULT));
    // A parser guessing the encoding from zero bytes would read these as UTF-16 or UTF-32.
    assertEquals(List.of("line 1, column 2: malformed JSON: unexpected character U+0000; the document is one JSON value"),
        problems(withBytes("1#", 0)));
    assertEquals(List.of("line 1, column 1: malformed JSON: control character U+0000 between values; only spaces, tabs and line"
        + " breaks may stand there"), problems(withBytes("#{}", 0, 0, 0)));
  }

  @Test
  void controlCharactersInStringsAreTextButNotInNames() {
    assertEquals("a\u0000\nb", assertDoesNotThrowParse("\"a\\u0000\\nb\""));
    assertEquals("flag key holds the control character U+0000 (character 4); names may not hold control characters (U+0000 to"
        + " U+001F, U+007F)", Names.problem("flag key", "ota\u0000", 256));
    assertEquals("variant name holds the control character U+007F (character 1); names may not hold control characters (U+0000"
        + " to U+001F, U+007F)", Names.problem("variant name", "\u007fon", 256));
    assertEquals("device id holds the control character U+000A (character 3); names may not hold control characters (U+0000 to"
        + " U+001F, U+007F)", Names.problem("device id", "\uD83D\uDE80a\nb", 256));
    assertNull(Names.problem("flag key", "ota-\u00fc-\uD83D\uDE80 \u0080\u00a0", 256), "only C0 controls and DEL are refused");
  }

  @Test
  void nameLengthsAreCountedInCharactersNotUtf16Units() {
    String rockets = "\uD83D\uDE80".repeat(7);
    assertNull(Names.problem("flag key", rockets, 7), "7 characters (14 UTF-16 units)");
    assertEquals("flag key is 8 characters, more than the limit of 7", Names.problem("flag key", rockets + "a", 7));
    assertEquals("flag key is not valid Unicode: a lone UTF-16 surrogate \\udc00 (character 2): half of a pair without its other"
        + " half, which a \\u escape can write but is no character; text must be valid Unicode", Names.problem("flag key", "a\udc00", 7));
  }

  // --- numbers -------------------------------------------------------------------------------

  static Stream<Arguments> numbersJsonCannotCarry() {
    return Stream.of(
        Arguments.of("{\"v\": 1e400}", "v: number 1e400 is beyond the range of a 64-bit floating-point number (1.7976931348623157E308"
            + " either way); numbers must be finite"),
        Arguments.of("{\"v\": [-1.5E309]}", "v[0]: number -1.5E309 is beyond the range of a 64-bit floating-point number"
            + " (1.7976931348623157E308 either way); numbers must be finite"),
        Arguments.of("{\"v\": 1e-400}", "v: number 1e-400 is too small for a 64-bit floating-point number: it would be read as 0"),
        Arguments.of("{\"v\": 9223372036854775808}", "v: integer 9223372036854775808 does not fit in 64 bits (from"
            + " -9223372036854775808 to 9223372036854775807); integers are read exactly or not at all"),
        Arguments.of("{\"v\": -9223372036854775809}", "v: integer -9223372036854775809 does not fit in 64 bits (from"
            + " -9223372036854775808 to 9223372036854775807); integers are read exactly or not at all"),
        Arguments.of("{\"a\": {\"b\": 1208925819614629174706176}}", "a.b: integer 1208925819614629174706176 does not fit in 64 bits"
            + " (from -9223372036854775808 to 9223372036854775807); integers are read exactly or not at all"),
        Arguments.of("[" + "9".repeat(300) + "]", "[0]: integer " + "9".repeat(48) + "\u2026 (300 characters) does not fit in 64 bits"
            + " (from -9223372036854775808 to 9223372036854775807); integers are read exactly or not at all"));
  }

  @ParameterizedTest
  @MethodSource("numbersJsonCannotCarry")
  void numbersJsonCannotCarryAreRefusedWithTheirPath(String json, String expected) {
    assertEquals(List.of(expected), problems(json));
  }

  @Test
  void numbersAtTheEdgesAreReadExactly() throws Exception {
    assertEquals(List.of(Long.MAX_VALUE, Long.MIN_VALUE, 9007199254740993L, 0L),
        parsed("[9223372036854775807, -9223372036854775808, 9007199254740993, -0]"));
    assertEquals(List.of(Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, 0.0, -0.0, 0.0, 1e300),
        parsed("[1.7976931348623157e308, -1.7976931348623157E+308, 4.9e-324, 0.0, -0.0, 0e400, 1e300]"));
    for (Object value : (List<?>) parsed("[9223372036854775807, 1.7976931348623157e308, 4.9e-324, -0.0, 0.1]")) {
      Object again = parsed(Json.write(value));
      assertEquals(value, again, "written and read again");
      assertEquals(value.getClass(), again.getClass());
    }
  }

  // --- malformed JSON ------------------------------------------------------------------------

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("{\"a\": x}", "line 1, column 8: malformed JSON: unknown word \"x\"; expected a value: a string, number, object,"
            + " array, true, false or null"),
        Arguments.of("{\"a\": 1", "line 1, column 8: malformed JSON: the text ends inside an object: a '}' is missing"),
        Arguments.of("[1, 2", "line 1, column 6: malformed JSON: the text ends inside an array: a ']' is missing"),
        Arguments.of("{\"a\": \"abc", "line 1, column 11: malformed JSON: the text ends inside a string: a closing '\"' is missing"),
        Arguments.of("{\"a\": NaN}", "line 1, column 10: malformed JSON: \"NaN\" is not a JSON number; numbers are finite and written in"
            + " digits"),
        Arguments.of("{\"a\": -Infinity}", "line 1, column 16: malformed JSON: \"-Infinity\" is not a JSON number; numbers are finite and"
            + " written in digits"),
        Arguments.of("{'a': 1}", "line 1, column 2: malformed JSON: unexpected character '''; expected a member name in double quotes"),
        Arguments.of("{\"a\": 1,}", "line 1, column 9: malformed JSON: unexpected character '}'; expected a member name in double quotes"),
        Arguments.of("[1,]", "line 1, column 4: malformed JSON: unexpected character ']'; expected a value: a string, number, object,"
            + " array, true, false or null"),
        Arguments.of("{\"a\" 1}", "line 1, column 6: malformed JSON: unexpected character '1'; expected ':' after the member name"),
        Arguments.of("{\"a\": 1 \"b\": 2}", "line 1, column 9: malformed JSON: unexpected character '\"'; expected ',' or '}'"),
        Arguments.of("[1 2]", "line 1, column 4: malformed JSON: unexpected character '2'; expected ',' or ']'"),
        Arguments.of("{\"a\": 01}", "line 1, column 8: malformed JSON: a number with a leading zero"),
        Arguments.of("{\"a\": 1e}", "line 1, column 8: malformed JSON: unexpected character '}' in a number; an exponent needs digits"),
        Arguments.of("{\"a\": 1.}", "line 1, column 8: malformed JSON: unexpected character '}' in a number; a decimal point needs digits"
            + " after it"),
        Arguments.of("{\"a\": +1}", "line 1, column 8: malformed JSON: unexpected character '+' in a number; a number does not start"
            + " with '+'"),
        Arguments.of("{\"a\": -}", "line 1, column 8: malformed JSON: unexpected character '}' in a number; '-' must be followed by"
            + " digits"),
        Arguments.of("{\"a\": \"\\x\"}", "line 1, column 9: malformed JSON: unknown escape \\x in a string; JSON has \\\" \\\\ \\/ \\b \\f"
            + " \\n \\r \\t and \\u followed by four hex digits"),
        Arguments.of("{\"a\": \"\\u12\"}", "line 1, column 12: malformed JSON: unexpected character '\"' in a \\u escape; \\u must be"
            + " followed by four hex digits"),
        Arguments.of("{\"a\": \"a\nb\"}", "line 1, column 9: malformed JSON: control character U+000A in a string; it must be written"
            + " as an escape such as \\n or \\u000a"),
        Arguments.of("// note\n{}", "line 1, column 1: malformed JSON: unexpected character '/'; JSON has no comments"),
        Arguments.of("{\"a\": [1}", "line 1, column 9: malformed JSON: unexpected '}'; expected ']'"),
        Arguments.of("]", "line 1, column 1: malformed JSON: unexpected ']' with nothing open to close"),
        Arguments.of("{\"a\": \u00a0}", "line 1, column 7: malformed JSON: unexpected character U+00A0; expected a value: a string,"
            + " number, object, array, true, false or null"),
        Arguments.of("{\"a\": " + "1".repeat(1001) + "}", "line 1, column 1009: malformed JSON: a number longer than 1000 characters"));
  }

  @ParameterizedTest
  @MethodSource("malformed")
  void malformedJsonIsDescribedInOurWords(String json, String expected) {
    assertEquals(List.of(expected), problems(json));
  }

  /** What the parser's own messages say and an answer must not: its classes, features and settings. */
  @ParameterizedTest
  @ValueSource(strings = {"{\"a\": NaN}", "{\"a\": +1}", "// c\n{}", "{\"a\": 1", "{\"a\": [1}", "{'a': 1}", "{\"a\": \"\\x\"}",
      "{\"a\": \"\t\"}", "{\"a\": tru}", "[1,]", "\u0000", "{\"a\": 1e}", "{\"a\":\"", "[\"a\" : 1]", "{\"a\": 1}}", "{{}}", "[.5]",
      "{\"a\": undefined}", "{\"a\": 0x10}", "[1]]", "{\"\\u00zz\": 1}"})
  void noParserInternalsAppear(String json) {
    for (String problem : problems(json)) {
      for (String internal : List.of("Jackson", "Feature", "REDACTED", "Source", "`", "(code", "CTRL-CHAR", "VALUE_", "Constraints",
          "was expecting", "JsonToken", "com.fasterxml")) {
        assertFalse(problem.contains(internal), problem);
      }
      assertTrue(problem.matches("line \\d+, column \\d+: malformed JSON: .+"), problem);
    }
  }

  @Test
  void theParsersOwnBoundsAreSaidOurWay() {
    List<String> deep = problems("[".repeat(2_100) + "]".repeat(2_100));
    assertTrue(deep.get(0).endsWith(": nested deeper than the limit of 64 levels"), deep.toString());
    assertTrue(deep.get(1).matches("line 1, column \\d+: malformed JSON: nested too deep"), deep.toString());
    assertEquals(List.of("line 1, column 60008: malformed JSON: a member name longer than 50000 characters"),
        problems("{\"" + "n".repeat(60_000) + "\": 1}"));
    assertEquals(List.of("line 1, column 1503: malformed JSON: a number longer than 1000 characters"),
        problems("[" + "1".repeat(1_500) + "]"));
  }

  // --- quoting -------------------------------------------------------------------------------

  @Test
  void messagesQuoteAtMostAFewDozenCharactersOfAValue() {
    String big = "x".repeat(1_000_000);
    assertEquals("\"" + "x".repeat(48) + "\u2026\" (1000000 characters)", Json.quote(big));
    assertEquals("\"a\\u0000b\\ud800\"", Json.quote("a\u0000b\ud800"));
    assertEquals("\"" + "\uD83D\uDE80".repeat(48) + "\"", Json.quote("\uD83D\uDE80".repeat(48)), "48 characters are shown whole");

    String name = "x".repeat(10_000);
    assertEquals(List.of("x".repeat(256) + "\u2026: duplicate key \"" + "x".repeat(48) + "\u2026\" (10000 characters)"),
        problems("{\"" + name + "\": 1, \"" + name + "\": 2}"), "a location shows at most 256 characters of a name");
    assertTrue(problems("{\"" + big + "\": 1}").get(0).endsWith(": malformed JSON: a member name longer than 50000 characters"));
    assertEquals("flags." + "k".repeat(256), Json.path("flags", "k".repeat(256)), "a name of the default limit is whole");
    String token = "[" + "t".repeat(100_000) + "]";
    assertTrue(problems(token).get(0).length() < 250, problems(token).get(0));
  }

  private static Object assertDoesNotThrowParse(String json) {
    try {
      return parsed(json);
    } catch (InvalidDocumentException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }
}
