package dev.fleetflags.it;

import static dev.fleetflags.it.Scenarios.document;
import static dev.fleetflags.it.Scenarios.texts;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The admin protocol on a real broker: writes answered with their revision and changed keys and
 * served to the next device, the queries, and every kind of bad request answered with its reason
 * and location while the store stays as it was. One broker for the class (its own flag keys per
 * scenario); written once, run on every kind of {@link FleetFlagsBroker} by the subclasses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AdminScenarios {

  FleetFlagsBroker broker;
  Operator operator;

  abstract FleetFlagsBroker start(ExtensionSetup setup);

  @BeforeAll
  void startBroker() {
    broker = start(Scenarios.SETUP);
    operator = Operator.mqtt5(broker, "ops-admin");
  }

  @AfterAll
  void stopBroker() {
    Scenarios.close(operator, broker);
  }

  static String boolFlag(String key, String defaultVariant) {
    return """
    "%s": {"state": "ENABLED", "variants": {"on": true, "off": false},
           "defaultVariant": "%s"}\
    """
        .formatted(key, defaultVariant);
  }

  static void assertAccepted(
      JsonNode answer, long revision, List<String> changed, List<String> removed) {
    assertEquals("accepted", answer.get("status").asText(), answer::toString);
    assertEquals(revision, answer.get("revision").asLong(), answer::toString);
    assertEquals(changed, texts(answer.get("changed")), answer::toString);
    assertEquals(removed, texts(answer.get("removed")), answer::toString);
  }

  // --- writes ----------------------------------------------------------------------------------

  @Test
  void applyIsAnsweredOnTheResponseTopicAndServedToTheNextDevice() {
    long before = operator.revision();
    JsonNode answer =
        operator.apply(document(boolFlag("apply-1", "on"), boolFlag("apply-2", "off")));
    assertAccepted(answer, before + 1, List.of("apply-1", "apply-2"), List.of());
    assertEquals(0, answer.get("devicesAffected").asInt(), "no device is connected");

    HeldFlags next = Scenarios.newDevice(broker, "admin-apply");
    assertEquals(before + 1, next.revision());
    assertEquals(true, next.values().get("apply-1"));
    assertEquals(false, next.values().get("apply-2"));

    JsonNode flags = operator.queryFlags();
    assertEquals(before + 1, flags.get("revision").asLong());
    assertEquals(before + 1, flags.at("/flags/apply-1/revision").asLong(), flags::toString);
    assertEquals("on", flags.at("/flags/apply-1/definition/defaultVariant").asText());

    // The same document again changes nothing and writes nothing.
    JsonNode again =
        operator.apply(document(boolFlag("apply-1", "on"), boolFlag("apply-2", "off")));
    assertAccepted(again, before + 1, List.of(), List.of());
    assertEquals(before + 1, operator.revision());
  }

  /** MQTT 3.1.1 has no response topic: the answer comes on flags-admin/responses/{clientId}. */
  @Test
  void anMqtt311OperatorGetsItsAnswersOnItsResponsesTopic() {
    try (Operator mqtt3 = Operator.mqtt3(broker, "ops-admin-3")) {
      long before = mqtt3.revision();
      assertAccepted(
          mqtt3.apply(document(boolFlag("apply-3", "on"))),
          before + 1,
          List.of("apply-3"),
          List.of());
      assertEquals(true, Scenarios.newDevice(broker, "admin-apply-3").values().get("apply-3"));
      JsonNode history = mqtt3.history(1);
      assertEquals("ops-admin-3", history.at("/entries/0/clientId").asText(), history::toString);
    }
  }

  /** An MQTT 5 request without a response topic is answered where an MQTT 3.1.1 one would be. */
  @Test
  void anMqtt5RequestWithoutAResponseTopicIsAnsweredOnTheResponsesTopic() {
    String responses = Operator.responsesTopic("ops-admin-plain");
    try (Mqtt5Device ops =
        Mqtt5Device.with(broker, "ops-admin-plain")
            .credentials(Operator.USERNAME, Operator.PASSWORD)
            .connect()) {
      assertFalse(ops.subscribe(responses).isError());
      ops.publish("flags-admin/query/flags", "{}");
      Mqtt5Publish answer = ops.awaitMessage();
      assertEquals(responses, answer.getTopic().toString());
      JsonNode flags = Operator.parse(new String(answer.getPayloadAsBytes(), UTF_8));
      assertEquals("ok", flags.get("status").asText(), flags::toString);
    }
  }

  @Test
  void replaceMakesTheDocumentTheWholeSet() {
    operator.apply(document(boolFlag("replace-old", "on"), boolFlag("replace-kept", "on")));
    JsonNode current = operator.queryFlags();
    long before = current.get("revision").asLong();
    List<String> others = new ArrayList<>();
    current.get("flags").fieldNames().forEachRemaining(others::add);
    others.remove("replace-kept");

    JsonNode answer =
        operator.replace(document(boolFlag("replace-kept", "on"), boolFlag("replace-new", "off")));
    // replace-kept is unchanged: neither changed nor removed.
    assertAccepted(answer, before + 1, List.of("replace-new"), others);

    HeldFlags next = Scenarios.newDevice(broker, "admin-replace");
    assertEquals(List.of("replace-kept", "replace-new"), List.copyOf(next.flags().keySet()));
    JsonNode flags = operator.queryFlags();
    assertEquals(
        List.of("replace-kept", "replace-new"),
        list(flags.get("flags").fieldNames()),
        flags::toString);
    assertTrue(flags.at("/flags/replace-kept/revision").asLong() < before + 1, "kept as it was");
  }

  @Test
  void deleteRemovesFlagsFromTheSetAndFromTheNextDevice() {
    operator.apply(document(boolFlag("delete-1", "on"), boolFlag("delete-2", "on")));
    long before = operator.revision();
    JsonNode answer = operator.delete("{\"flags\": [\"delete-1\"]}");
    assertAccepted(answer, before + 1, List.of(), List.of("delete-1"));

    HeldFlags next = Scenarios.newDevice(broker, "admin-delete");
    assertFalse(next.flags().containsKey("delete-1"));
    assertTrue(next.flags().containsKey("delete-2"));
    JsonNode some = operator.send("query/flags", "{\"flags\": [\"delete-1\", \"delete-2\"]}");
    assertEquals(List.of("delete-1"), texts(some.get("notFound")), some::toString);
    assertNotNull(some.at("/flags/delete-2/definition"));
  }

  /** A connected device's update is counted in the answer and arrives as a delta. */
  @Test
  void aWriteCountsTheConnectedDevicesItAffects() {
    operator.apply(document(boolFlag("affects-1", "off")));
    try (Mqtt5Device device = Mqtt5Device.connect(broker, "admin-affected")) {
      HeldFlags held = new HeldFlags().apply(Scenarios.subscribe(device));
      JsonNode answer = operator.apply(document(boolFlag("affects-1", "on")));
      assertEquals(1, answer.get("devicesAffected").asInt(), answer::toString);
      var delta = device.awaitUpdate();
      assertEquals(answer.get("revision").asLong(), delta.getRevision());
      held.apply(delta);
      assertEquals(true, held.values().get("affects-1"));
      assertEquals(HeldFlags.hex(delta.getStateHash()), held.stateHashText());
    }
  }

  // --- queries ---------------------------------------------------------------------------------

  @Test
  void evaluateGivesValueVariantAndReasonPerFlagAndTheDevicesStateHash() {
    operator.apply(
        """
        {"flags": {
          "evaluate-static": {"state": "ENABLED", "variants": {"low": 1, "high": 9},
                              "defaultVariant": "low"},
          "evaluate-targeted": {"state": "ENABLED", "variants": {"on": true, "off": false},
                                "defaultVariant": "off",
                                "targeting": {"if": [{"==": [{"var": "model"}, "x1"]}, "on", null]}},
          "evaluate-disabled": {"state": "DISABLED", "variants": {"on": true},
                                "defaultVariant": "on"}
        }}\
        """);
    try (Mqtt5Device device =
        Mqtt5Device.with(broker, "admin-evaluate").userProperty("model", "x1").connect()) {
      HeldFlags held = new HeldFlags().apply(Scenarios.subscribe(device));
      JsonNode evaluation = operator.evaluate("admin-evaluate");
      assertEquals(true, evaluation.get("connected").asBoolean());
      assertEquals("x1", evaluation.at("/attributes/model").asText());
      assertEquals(held.revision(), evaluation.get("revision").asLong());
      assertFlag(evaluation, "evaluate-static", "1", "low", "STATIC");
      assertFlag(evaluation, "evaluate-targeted", "true", "on", "TARGETING_MATCH");
      assertEquals("DISABLED", evaluation.at("/flags/evaluate-disabled/reason").asText());
      held.assertMatches(Operator.Evaluated.of(evaluation));
    }
    // "What if": a device not connected, with assumed attributes.
    JsonNode whatIf =
        operator.send(
            "query/evaluate",
            "{\"device\": \"admin-nobody\", \"attributes\": {\"model\": \"x1\"}}");
    assertEquals(false, whatIf.get("connected").asBoolean());
    assertFlag(whatIf, "evaluate-targeted", "true", "on", "TARGETING_MATCH");
    JsonNode plain = operator.evaluate("admin-nobody");
    assertFlag(plain, "evaluate-targeted", "false", "off", "DEFAULT");
  }

  private static void assertFlag(
      JsonNode evaluation, String key, String value, String variant, String reason) {
    JsonNode flag = evaluation.at("/flags/" + key);
    assertEquals(value, flag.get("value").toString(), evaluation::toString);
    assertEquals(variant, flag.get("variant").asText(), evaluation::toString);
    assertEquals(reason, flag.get("reason").asText(), evaluation::toString);
  }

  @Test
  void historyShowsWhoWhenAndWhatBeforeAndAfter() {
    Instant start = Instant.now();
    operator.apply(document(boolFlag("history-1", "off")));
    JsonNode changed = operator.apply(document(boolFlag("history-1", "on")));
    operator.delete("{\"flags\": [\"history-1\"]}");
    long revision = operator.revision();
    Instant end = Instant.now();

    JsonNode history = operator.history(3);
    assertEquals("ok", history.get("status").asText(), history::toString);
    JsonNode entries = history.get("entries");
    assertEquals(3, entries.size(), history::toString);
    // Newest first.
    assertEquals(revision, entries.get(0).get("revision").asLong());
    assertEquals("delete", entries.get(0).get("action").asText());
    JsonNode deleted = entries.get(0).at("/changes/0");
    assertEquals("history-1", deleted.get("key").asText(), history::toString);
    assertEquals("on", deleted.at("/before/defaultVariant").asText(), history::toString);
    assertTrue(deleted.get("after").isNull(), history::toString);

    JsonNode entry = entries.get(1);
    assertEquals(changed.get("revision").asLong(), entry.get("revision").asLong());
    assertEquals("apply", entry.get("action").asText());
    assertEquals("ops-admin", entry.get("clientId").asText());
    assertEquals(Operator.USERNAME, entry.get("username").asText());
    Instant time = Instant.parse(entry.get("time").asText());
    // The store's clock in milliseconds; the bounds are this test's own.
    assertFalse(time.isBefore(start.minusMillis(1)), time + " before " + start);
    assertFalse(time.isAfter(end.plusMillis(1)), time + " after " + end);
    JsonNode change = entry.at("/changes/0");
    assertEquals("history-1", change.get("key").asText(), entry::toString);
    assertEquals("off", change.at("/before/defaultVariant").asText(), entry::toString);
    assertEquals("on", change.at("/after/defaultVariant").asText(), entry::toString);
    assertTrue(entries.get(2).at("/changes/0/before").isNull(), "created: nothing before");
  }

  // --- bad requests ----------------------------------------------------------------------------

  /**
   * Every kind of bad request: its topic below {@code flags-admin/}, its payload, where the answer
   * must locate the problem and words its reason must contain.
   */
  Stream<Arguments> badRequests() {
    return Stream.of(
        bad(
            "malformed JSON",
            "flags/apply",
            "{\"flags\": {\n  \"x\": }",
            "line 2, column 8",
            "malformed JSON"),
        bad(
            "unknown operator",
            "flags/apply",
            document(
                """
                "bad-op": {"state": "ENABLED", "variants": {"on": true, "off": false},
                           "defaultVariant": "off",
                           "targeting": {"if": [{"wat": [1, 2]}, "on", "off"]}}\
                """),
            "flags.bad-op.targeting.if[0].wat",
            "unknown operator \"wat\""),
        bad(
            "default variant that does not exist",
            "flags/apply",
            document(
                """
                "bad-default": {"state": "ENABLED", "variants": {"on": true, "off": false},
                                "defaultVariant": "maybe"}\
                """),
            "flags.bad-default.defaultVariant",
            "variant \"maybe\" does not exist"),
        bad(
            "targeting variant that does not exist",
            "flags/apply",
            document(
                """
                "bad-target": {"state": "ENABLED", "variants": {"on": true, "off": false},
                               "defaultVariant": "off",
                               "targeting": {"if": [true, "ghost", "off"]}}\
                """),
            "flags.bad-target.targeting.if[1]",
            "variant \"ghost\" does not exist"),
        bad(
            "variants of mixed types",
            "flags/apply",
            document(
                """
                "bad-mixed": {"state": "ENABLED", "variants": {"on": true, "text": "yes"},
                              "defaultVariant": "on"}\
                """),
            "flags.bad-mixed.variants.text",
            "variants of mixed types"),
        bad(
            "bad fractional weights",
            "flags/apply",
            document(
                """
                "bad-weights": {"state": "ENABLED", "variants": {"on": true, "off": false},
                                "defaultVariant": "off",
                                "targeting": {"fractional": [["on", -50], ["off", 150]]}}\
                """),
            "flags.bad-weights.targeting.fractional[0][1]",
            "bad weight"),
        bad(
            "unknown $ref",
            "flags/apply",
            document(
                """
                "bad-ref": {"state": "ENABLED", "variants": {"on": true, "off": false},
                            "defaultVariant": "off",
                            "targeting": {"if": [{"$ref": "nobody"}, "on", "off"]}}\
                """),
            "flags.bad-ref.targeting.if[0].$ref",
            "unknown $ref \"nobody\""),
        bad(
            "cyclic $ref",
            "flags/apply",
            """
            {"flags": {"bad-cycle": {"state": "ENABLED", "variants": {"on": true, "off": false},
                                     "defaultVariant": "off",
                                     "targeting": {"if": [{"$ref": "ping"}, "on", "off"]}}},
             "$evaluators": {"ping": {"$ref": "pong"}, "pong": {"$ref": "ping"}}}\
            """,
            "$evaluators.ping.$ref",
            "cyclic $ref"),
        bad(
            "stale expectedRevision",
            "flags/apply",
            "{\"expectedRevision\": 0, " + document(boolFlag("bad-stale", "on")).substring(1),
            "expectedRevision",
            "not 0"),
        bad(
            "a request over the size limit",
            "flags/apply",
            document(boolFlag("bad-big", "on"))
                .replace(
                    "{\"flags\"",
                    "{\"metadata\": {\"pad\": \""
                        + "x".repeat(Scenarios.MAX_DOCUMENT_BYTES)
                        + "\"}, \"flags\""),
            "",
            "more than the limit of " + Scenarios.MAX_DOCUMENT_BYTES + " bytes"),
        bad(
            "unknown topic under the admin prefix",
            "flags/upsert",
            document(boolFlag("bad-topic", "on")),
            "topic",
            "unknown admin topic"),
        bad(
            "delete of a flag that does not exist",
            "flags/delete",
            "{\"flags\": [\"nobody\"]}",
            "flags[0]",
            "no flag \"nobody\" exists"),
        bad(
            "registry attribute reserved by flagd",
            "devices/attributes",
            "{\"devices\": {\"admin-bad\": {\"targetingKey\": \"other\"}}}",
            "devices.admin-bad.targetingKey",
            "reserved"));
  }

  private static Arguments bad(
      String kind, String action, String payload, String location, String reason) {
    return Arguments.of(kind, action, payload, location, reason);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void aBadRequestIsAnsweredWithItsReasonAndLocationAndChangesNothing(
      String kind, String action, String payload, String location, String reason) {
    operator.apply(document(boolFlag("bad-kept", "on")));
    JsonNode flagsBefore = operator.queryFlags();
    HeldFlags deviceBefore = Scenarios.newDevice(broker, "admin-bad-before");

    JsonNode answer = operator.send(action, payload);

    assertEquals("rejected", answer.get("status").asText(), answer::toString);
    JsonNode problems = answer.get("problems");
    assertTrue(problems.size() > 0, answer::toString);
    boolean found = false;
    for (JsonNode problem : problems) {
      assertFalse(problem.get("reason").asText().isBlank(), answer::toString);
      String at = problem.get("location").asText();
      found |= at.equals(location) && problem.get("reason").asText().contains(reason);
    }
    assertTrue(found, kind + ": no problem at " + location + " saying " + reason + ": " + answer);

    assertEquals(flagsBefore, operator.queryFlags(), "the flags and their revisions");
    HeldFlags deviceAfter = Scenarios.newDevice(broker, "admin-bad-after");
    assertEquals(deviceBefore.revision(), deviceAfter.revision());
    assertEquals(deviceBefore.values(), deviceAfter.values());
    assertEquals(deviceBefore.stateHashText(), deviceAfter.stateHashText());
  }

  /**
   * Only operators publish admin requests: an MQTT 5 client's PUBACK says "not authorized"; an MQTT
   * 3.1.1 client, which has no negative PUBACK, is disconnected. Neither changes anything.
   */
  @Test
  void aClientThatIsNotAnOperatorCannotPublishAdminRequests() {
    JsonNode before = operator.queryFlags();
    String request = document(boolFlag("intruder", "on"));
    try (Mqtt5Device device = Mqtt5Device.connect(broker, "admin-intruder-5")) {
      Mqtt5PubAckException refused =
          assertThrows(
              Mqtt5PubAckException.class, () -> device.publish("flags-admin/flags/apply", request));
      assertEquals(
          Mqtt5PubAckReasonCode.NOT_AUTHORIZED,
          refused.getMqttMessage().getReasonCode(),
          refused::toString);
      assertTrue(
          refused.getMqttMessage().getReasonString().orElseThrow().toString().contains("operators"),
          refused::toString);
    }
    try (Mqtt3Device device = Mqtt3Device.connect(broker, "admin-intruder-3")) {
      assertThrows(
          RuntimeException.class, () -> device.publish("flags-admin/flags/apply", request));
    }
    assertEquals(before, operator.queryFlags());
    assertFalse(Scenarios.newDevice(broker, "admin-intruded").flags().containsKey("intruder"));
  }

  /**
   * With one write a second allowed, a burst of writes meets the limit: the refused one says so
   * and is not applied. Its own broker, so that the limit does not reach the other scenarios.
   */
  @Test
  void writesBeyondTheRateLimitAreRejectedWithTheLimitAndNotApplied() {
    try (FleetFlagsBroker limited = start(Scenarios.setup(1));
        Operator ops = Operator.mqtt5(limited, "ops-limited")) {
      JsonNode refused = null;
      String refusedKey = null;
      // Each request waits for its answer; twenty of them spread over a second each would be needed
      // for none to be refused.
      for (int i = 0; i < 20 && refused == null; i++) {
        JsonNode answer = ops.apply(document(boolFlag("limited-" + i, "on")));
        if (answer.get("status").asText().equals("rejected")) {
          refused = answer;
          refusedKey = "limited-" + i;
        }
      }
      assertNotNull(refused, "twenty requests in a row, none refused at one per second");
      assertEquals("", refused.at("/problems/0/location").asText(), refused::toString);
      String reason = refused.at("/problems/0/reason").asText();
      assertTrue(reason.contains("too many admin writes from this operator"), reason);
      assertTrue(reason.contains("limits/admin-requests-per-second"), reason);
      assertFalse(Scenarios.newDevice(limited, "limited-device").flags().containsKey(refusedKey));
    }
  }

  private static List<String> list(Iterator<String> names) {
    List<String> list = new ArrayList<>();
    names.forEachRemaining(list::add);
    return list;
  }
}
