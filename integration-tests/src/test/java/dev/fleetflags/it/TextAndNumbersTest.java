package dev.fleetflags.it;

import static dev.fleetflags.it.Scenarios.document;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.proto.v1.Flag;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Valid text and numbers only (issue 13, items 6 and 9), on a real broker with the packaged zip:
 * a key with a lone surrogate, an overlong NUL, numbers beyond a double or beyond 64 bits are
 * refused with their location, over MQTT 5 and 3.1.1, in every kind of request, while connected
 * MQTT 5 and 3.1.1 devices get nothing and new devices the same set; a Unicode key goes through
 * apply, query, the devices' README hash and a restart unchanged; a rejected seed file is logged
 * as its problems, not its content.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the restart comes last
class TextAndNumbersTest {

  private static final String KEY = "ota-\u00fc-\uD83D\uDE80";

  private EmbeddedBroker broker;
  private Operator mqtt5;
  private Operator mqtt3;
  private Device device5;
  private Device device3;

  @BeforeAll
  void start() {
    broker = EmbeddedBroker.start(Scenarios.SETUP);
    mqtt5 = Operator.mqtt5(broker, "text-ops-5");
    mqtt3 = Operator.mqtt3(broker, "text-ops-3");
    Operator.accepted(mqtt5.apply(document(AdminScenarios.boolFlag("text-kept", "on"))));
    device5 = Device.online(broker, new Device.Spec("text-device-5", Device.Protocol.MQTT5, Map.of()));
    device3 = Device.online(broker, new Device.Spec("text-device-3", Device.Protocol.MQTT3, Map.of()));
  }

  @AfterAll
  void stop() {
    Scenarios.close(device5, device3, mqtt5, mqtt3, broker);
  }

  /** JSON text with raw bytes spliced in where {@code #} stands. */
  private static byte[] withBytes(String text, int... bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = text.indexOf('#');
    out.writeBytes(text.substring(0, at).getBytes(UTF_8));
    for (int b : bytes) {
      out.write(b);
    }
    out.writeBytes(text.substring(at + 1).getBytes(UTF_8));
    return out.toByteArray();
  }

  private static String flag(String key, String variants) {
    return document("\"" + key + "\": {\"state\": \"ENABLED\", \"variants\": " + variants + ", \"defaultVariant\": \"a\"}");
  }

  Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("a key with a lone surrogate", "flags/apply", flag("ota\\ud800", "{\"a\": true}").getBytes(UTF_8),
            "flags.ota\\ud800", "not valid Unicode: the member name holds a lone UTF-16 surrogate \\ud800"),
        Arguments.of("a key with an overlong NUL", "flags/apply", withBytes(flag("ota#", "{\"a\": true}"), 0xC0, 0x80),
            "line 1, column 16", "not valid UTF-8: bytes C0 80 are an overlong encoding"),
        Arguments.of("a key with a control character", "flags/apply", flag("ota\\u0000", "{\"a\": true}").getBytes(UTF_8),
            "flags.ota\\u0000", "flag key holds the control character U+0000"),
        Arguments.of("a string with an encoded surrogate", "flags/apply", withBytes(flag("s", "{\"a\": \"#\"}"), 0xED, 0xA0, 0x80),
            "line 1, column 57", "not valid UTF-8: bytes ED A0 80 are an encoded UTF-16 surrogate"),
        Arguments.of("1e400", "flags/apply", flag("n", "{\"a\": 1e400}").getBytes(UTF_8),
            "flags.n.variants.a", "number 1e400 is beyond the range of a 64-bit floating-point number"),
        Arguments.of("2^63", "flags/apply", flag("n", "{\"a\": 9223372036854775808}").getBytes(UTF_8),
            "flags.n.variants.a", "integer 9223372036854775808 does not fit in 64 bits"),
        Arguments.of("2^80", "flags/replace", flag("n", "{\"a\": 1, \"b\": 1208925819614629174706176}").getBytes(UTF_8),
            "flags.n.variants.b", "integer 1208925819614629174706176 does not fit in 64 bits"),
        Arguments.of("NaN", "flags/apply", flag("n", "{\"a\": NaN}").getBytes(UTF_8),
            "line 1, column 59", "malformed JSON: \"NaN\" is not a JSON number"),
        Arguments.of("a device id with a lone surrogate", "devices/attributes",
            "{\"devices\": {\"dev\\udfff\": {\"model\": \"x\"}}}".getBytes(UTF_8),
            "devices.dev\\udfff", "not valid Unicode"),
        Arguments.of("an attribute of 2^80", "devices/attributes",
            "{\"devices\": {\"text-device-5\": {\"fw\": 1208925819614629174706176}}}".getBytes(UTF_8),
            "devices.text-device-5.fw", "does not fit in 64 bits"),
        Arguments.of("an assumed attribute with an overlong NUL", "query/evaluate",
            withBytes("{\"device\": \"d\", \"attributes\": {\"m#\": 1}}", 0xC0, 0x80), "line 1, column 34", "overlong"),
        Arguments.of("a delete by a name with a lone surrogate", "flags/delete", "{\"flags\": [\"ota\\ud800\"]}".getBytes(UTF_8),
            "flags[0]", "not valid Unicode"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  @Order(1)
  void textAndNumbersJsonCannotCarryAreRefusedWithTheirLocationAndChangeNothing(
      String kind, String action, byte[] payload, String location, String reason) {
    JsonNode flagsBefore = mqtt5.queryFlags();
    HeldFlags newBefore = Scenarios.newDevice(broker, "text-new-before");
    int received5 = device5.receivedCount();
    int received3 = device3.receivedCount();

    for (Operator operator : List.of(mqtt5, mqtt3)) {
      JsonNode answer = operator.send(action, payload);

      assertEquals("rejected", answer.get("status").asText(), answer::toString);
      JsonNode problem = answer.get("problems").get(0);
      assertEquals(location, problem.get("location").asText(), kind + ": " + answer);
      assertTrue(problem.get("reason").asText().contains(reason), kind + ": " + answer);
      for (String internal : List.of("Jackson", "Feature", "REDACTED", "Exception", "code ")) {
        assertFalse(answer.toString().contains(internal), answer::toString);
      }
    }

    assertEquals(flagsBefore, mqtt5.queryFlags(), "the flags and their revisions");
    HeldFlags newAfter = Scenarios.newDevice(broker, "text-new-after");
    assertEquals(newBefore.values(), newAfter.values());
    assertEquals(newBefore.stateHashText(), newAfter.stateHashText());
    device5.assertHolds(mqtt5.evaluated("text-device-5"));
    device3.assertHolds(mqtt3.evaluated("text-device-3"));
    assertEquals(received5, device5.receivedCount(), "a connected device gets nothing");
    assertEquals(received3, device3.receivedCount(), "a connected device gets nothing");
  }

  @Test
  @Order(2)
  void aUnicodeKeyGoesThroughApplyQueryTheDevicesHashAndARestartUnchanged() {
    String value = "\u65e5\u672c \uD83D\uDE80 \u00e9";
    JsonNode applied = mqtt3.apply(document("\"" + KEY + "\": {\"state\": \"ENABLED\", \"variants\": {\"\u00e9t\u00e9\": \"" + value
        + "\", \"hiver\": \"h\"}, \"defaultVariant\": \"\u00e9t\u00e9\"}"));
    Operator.accepted(applied);
    assertEquals(List.of(KEY), Scenarios.texts(applied.get("changed")));

    for (Device device : List.of(device5, device3)) {
      device.awaitHeld(held -> held.flags().containsKey(KEY), "the Unicode flag");
      Flag received = device.held().flags().get(KEY);
      assertEquals(value, received.getString());
      device.assertHolds(mqtt5.evaluated(device.clientId()));
    }
    HeldFlags fresh = Scenarios.newDevice(broker, "text-unicode");
    assertEquals(value, fresh.values().get(KEY));
    JsonNode definitions = mqtt5.queryFlags();
    assertEquals(value, definitions.at("/flags").get(KEY).at("/definition/variants").get("\u00e9t\u00e9").asText());
    String hash = mqtt5.evaluated("text-unicode").stateHash();
    assertEquals(hash, fresh.stateHashText(), "the hash the device computes from the README");

    // What is accepted survives a restart unchanged: same key, value, definitions and hash.
    Scenarios.close(device5, device3, mqtt5, mqtt3);
    broker.restart();
    mqtt5 = Operator.mqtt5(broker, "text-ops-5-restarted"); // a fresh id: see BrokerKillTest
    mqtt3 = Operator.mqtt3(broker, "text-ops-3-restarted");
    assertEquals(definitions, mqtt5.queryFlags());
    HeldFlags restarted = Scenarios.newDevice(broker, "text-unicode");
    assertEquals(fresh.values(), restarted.values());
    assertEquals(hash, restarted.stateHashText());
    assertEquals(hash, mqtt3.evaluated("text-unicode").stateHash());
    device5 = Device.online(broker, new Device.Spec("text-device-5", Device.Protocol.MQTT5, Map.of()));
    device3 = Device.online(broker, new Device.Spec("text-device-3", Device.Protocol.MQTT3, Map.of()));
    assertEquals(value, device3.held().values().get(KEY));
    device3.assertHolds(mqtt3.evaluated("text-device-3"));
  }

  /** The seed file is read as admin requests are; refused, the log names its problems, not its content. */
  @Test
  @Order(3)
  void aRejectedSeedFileIsLoggedAsItsProblemsNotItsContent() {
    String secret = "SEED-CONTENT-" + "x".repeat(100_000);
    String seed = "{\"flags\": {\"f\": {\"state\": \"" + secret + "\", \"variants\": {\"a\": true}},"
        + " \"g\": {\"state\": \"ENABLED\", \"variants\": {\"a\": true, \"b\": \"" + secret + "\"}}}}";
    try (EmbeddedBroker seeded = EmbeddedBroker.start(Scenarios.open(List.of(),
            "<seed-file>" + ExtensionSetup.SEED_FILE + "</seed-file>")
        .withSeedFlags(seed))) {
      String reason = seeded.startPreventedReason().orElseThrow(() -> new AssertionError(seeded.logTail()));
      assertTrue(reason.contains("the seed file") && reason.contains("was rejected: 2 problems"), reason);
      assertTrue(reason.contains("flags.f.state: must be \"ENABLED\" or \"DISABLED\", found \"SEED-CONTENT-xxx"), reason);
      assertTrue(reason.contains("\u2026\" (100013 characters)"), reason);
      assertTrue(reason.contains("flags.g.variants.b: variants of mixed types"), reason);
      assertFalse(seeded.log().contains("x".repeat(100)), "the log quotes no large part of the file");
      assertTrue(reason.length() < 1_000, reason);
    }
  }
}
