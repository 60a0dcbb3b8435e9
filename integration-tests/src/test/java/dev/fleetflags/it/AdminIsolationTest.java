package dev.fleetflags.it;

import static dev.fleetflags.it.Scenarios.document;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Operators apart from each other and from strangers (issue 13, items 4 and 10), on the embedded
 * broker with the packaged zip: an admin answer reaches only the connection that asked, never a
 * later one with the same client id (persistent sessions included, MQTT 3.1.1 and 5); one
 * operator's stream of queries does not use up another's writes; refusals and rejected requests,
 * of operators and of devices, are logged once per client per minute. Devices are let in ({@code allow}), so strangers connect without credentials.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminIsolationTest {

  /**
   * Operators of their own for each scenario (all with {@link Operator#PASSWORD}), so that no
   * scenario's requests count against another's limits.
   */
  private static final String[] OPERATORS = {
    Operator.USERNAME, "ops-writer", "ops-3", "ops-5", "ops-taken", "ops-busy", "ops-bad"
  };
  private static final int WRITES_PER_SECOND = 5;
  private static final int QUERIES_PER_SECOND = 5;

  /** After the admin thread has handled a request, how long its answer is given to arrive. */
  private static final Duration GRACE = Duration.ofSeconds(1);

  private EmbeddedBroker broker;
  private ExtensionMetrics metrics;

  @BeforeAll
  void startBroker() {
    broker =
        EmbeddedBroker.start(
            ExtensionSetup.asPackaged()
                .withConfig(
                    """
                    <fleetflags>
                        <device-authentication>allow</device-authentication>
                        <operators>%s</operators>
                        <limits>
                            <admin-requests-per-second>%d</admin-requests-per-second>
                            <admin-queries-per-second>%d</admin-queries-per-second>
                        </limits>
                    </fleetflags>
                    """
                        .formatted(operators(), WRITES_PER_SECOND, QUERIES_PER_SECOND)));
    metrics = new ExtensionMetrics(broker);
  }

  @AfterAll
  void stopBroker() {
    Scenarios.close(broker);
  }

  private static String operators() {
    StringBuilder xml = new StringBuilder();
    for (String username : OPERATORS) {
      xml.append("<operator><username>")
          .append(username)
          .append("</username><password-hash>")
          .append(Operator.PASSWORD_HASH)
          .append("</password-hash></operator>");
    }
    return xml.toString();
  }

  /**
   * The attack that was found: an MQTT 3.1.1 operator with {@code clean_session=false} asks for the
   * history and leaves at once; a client without credentials connects with its client id and a
   * persistent session, and subscribes to the answers topic itself. It gets nothing: the operator's
   * session ended with its connection (a reconnect finds no session), an answer ready after that is
   * dropped, and the subscription is refused to a non-operator anyway.
   */
  @Test
  void anMqtt311OperatorsAnswerDoesNotReachALaterClientWithItsId() {
    String id = "iso-ops-3";
    long handled = metrics.timerCount("fleetflags.admin.time");
    try (Mqtt3Device ops =
        Mqtt3Device.connect(broker, id, "ops-3", Operator.PASSWORD, false)) {
      assertFalse(ops.connAck().isSessionPresent());
      assertEquals(
          Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_1, ops.subscribe(Operator.responsesTopic(id)));
      for (int i = 0; i < 3; i++) {
        ops.publish("flags-admin/query/history", "{\"limit\": 1}");
      }
    }
    try (Mqtt3Device stranger = Mqtt3Device.connect(broker, id, null, null, false)) {
      assertFalse(stranger.connAck().isSessionPresent(), "the operator's session ended with it");
      // Refused: an answer topic is an operator's, even the client's own. Before, the subscription
      // was granted, and an answer that raced the operator's reported end reached the stranger.
      assertEquals(Mqtt3SubAckReturnCode.FAILURE, stranger.subscribe(Operator.responsesTopic(id)));
      metrics.awaitTimerCount("fleetflags.admin.time", handled + 3);
      assertNothingArrives(stranger);
    }
    // The operator itself, back with clean_session=false: its sessions are never kept.
    try (Mqtt3Device ops = Mqtt3Device.connect(broker, id, "ops-3", Operator.PASSWORD, false)) {
      assertFalse(ops.connAck().isSessionPresent());
    }
  }

  /** The same with MQTT 5: a session expiry of an hour asked for, and a response topic. */
  @Test
  void anMqtt5OperatorsAnswerDoesNotReachALaterClientWithItsId() {
    String id = "iso-ops-5";
    String responses = "it/answers/" + id;
    long handled = metrics.timerCount("fleetflags.admin.time");
    try (Mqtt5Device ops =
        Mqtt5Device.with(broker, id)
            .credentials("ops-5", Operator.PASSWORD)
            .persistentSession(3600)
            .connect()) {
      assertFalse(ops.subscribe(responses).isError());
      for (int i = 0; i < 3; i++) {
        ops.sendRequest("flags-admin/query/history", "{\"limit\": 1}", responses, "c-" + i);
      }
    }
    try (Mqtt5Device stranger = Mqtt5Device.with(broker, id).persistentSession(3600).connect()) {
      assertFalse(stranger.connAck().isSessionPresent(), "the operator's session ended with it");
      assertFalse(stranger.subscribe(responses).isError());
      metrics.awaitTimerCount("fleetflags.admin.time", handled + 3);
      assertNothingArrives(stranger);
    }
  }

  /**
   * A stranger takes a connected operator's client id over while its request waits behind another
   * operator's large write, and subscribes to the response topic: the answer, ready after the
   * takeover, is dropped rather than sent to it (or, had it been ready before, it went to the
   * operator).
   */
  @Test
  void aStrangerTakingAnOperatorsIdOverDoesNotGetItsAnswer() {
    String id = "iso-ops-taken";
    String responses = "it/answers/" + id;
    long dropped = metrics.counter("fleetflags.admin.answers-dropped");
    long handled = metrics.timerCount("fleetflags.admin.time");
    try (Mqtt5Device busy =
            Mqtt5Device.with(broker, "iso-ops-busy")
                .credentials("ops-busy", Operator.PASSWORD)
                .connect();
        Mqtt5Device ops =
            Mqtt5Device.with(broker, id).credentials("ops-taken", Operator.PASSWORD).connect()) {
      assertFalse(busy.subscribe("it/answers/iso-ops-busy").isError());
      assertFalse(ops.subscribe(responses).isError());
      busy.sendRequest("flags-admin/flags/apply", manyFlags(1000), "it/answers/iso-ops-busy", "w");
      ops.sendRequest("flags-admin/query/history", "{\"limit\": 1}", responses, "q");
      try (Mqtt5Device stranger = Mqtt5Device.connect(broker, id)) {
        assertFalse(stranger.subscribe(responses).isError());
        ops.awaitDisconnected();
        metrics.awaitTimerCount("fleetflags.admin.time", handled + 2);
        assertNothingArrives(stranger);
        boolean answeredBefore = ops.nextMessage(Duration.ZERO).isPresent();
        long droppedNow = metrics.counter("fleetflags.admin.answers-dropped") - dropped;
        assertEquals(answeredBefore ? 0 : 1, droppedNow, "answered the operator, or dropped");
        if (droppedNow == 1) {
          assertTrue(
              broker.log().contains("Answer to admin client '" + id + "' dropped"),
              broker.logTail());
        }
      }
    }
  }

  /**
   * Per-operator limits, queries apart from writes: operator A's stream of queries meets its query
   * limit (the refusal names it) and rejects none of operator B's writes, nor A's own next write.
   * The refusals are logged once for the minute.
   */
  @Test
  void oneOperatorsQueryFloodDoesNotRejectAnothersWrites() {
    try (Operator flooding = Operator.mqtt5(broker, "iso-flood");
        Mqtt5Device writerClient =
            Mqtt5Device.with(broker, "iso-writer")
                .credentials("ops-writer", Operator.PASSWORD)
                .connect()) {
      int refused = 0;
      String reason = null;
      for (int i = 0; i < 4 * QUERIES_PER_SECOND; i++) {
        JsonNode answer = flooding.send("query/flags", "{\"flags\": [\"iso-none\"]}");
        if (answer.path("status").asText().equals("rejected")) {
          refused++;
          reason = answer.at("/problems/0/reason").asText();
        }
      }
      assertTrue(refused > 0, "a stream of queries meets the query limit");
      assertTrue(reason.contains("too many admin queries from this operator"), reason);
      assertTrue(reason.contains("limits/admin-queries-per-second"), reason);

      for (int i = 0; i < WRITES_PER_SECOND; i++) {
        String answer =
            writerClient.request(
                "flags-admin/flags/apply",
                document(AdminScenarios.boolFlag("iso-write-" + i, "on")),
                "it/answers/iso-writer");
        Operator.accepted(Operator.parse(answer));
      }
      Operator.accepted(flooding.apply(document(AdminScenarios.boolFlag("iso-own", "on"))));
      assertEquals(
          1,
          count(broker.log(), "Admin queries of client 'iso-flood' refused"),
          broker::logTail);
    }
  }

  /** A non-operator's admin request is refused each time, and logged once for the minute. */
  @Test
  void refusedAdminAttemptsAreLoggedOncePerClientPerMinute() {
    for (int i = 0; i < 5; i++) {
      // The broker closes the connection after a refused publish: each attempt connects anew.
      try (Mqtt5Device intruder = Mqtt5Device.connect(broker, "iso-intruder")) {
        assertThrows(
            Mqtt5PubAckException.class,
            () -> intruder.publish("flags-admin/flags/apply", document()));
      }
    }
    assertEquals(
        1,
        count(broker.log(), "Refused: client 'iso-intruder', not an operator"),
        broker::logTail);
  }

  /**
   * An operator's client sending bad requests in a loop (malformed writes, unknown topics, queries
   * with wrong members, some over its rate): every one is rejected, and the log names the client,
   * its user, the topic and the problems once for the minute.
   */
  @Test
  void rejectedRequestsAreLoggedOncePerClientPerMinute() {
    try (Mqtt5Device bad =
        Mqtt5Device.with(broker, "iso-bad").credentials("ops-bad", Operator.PASSWORD).connect()) {
      for (int i = 0; i < 12; i++) {
        String topic =
            switch (i % 3) {
              case 0 -> "flags-admin/flags/apply";
              case 1 -> "flags-admin/query/nothing";
              default -> "flags-admin/query/evaluate";
            };
        String payload = i % 3 == 2 ? "{\"device\": 7}" : "{\"flags\": ";
        JsonNode answer = Operator.parse(bad.request(topic, payload, "it/answers/iso-bad"));
        assertEquals("rejected", answer.path("status").asText(), answer::toString);
      }
    }
    String log = broker.log();
    assertEquals(
        1,
        count(log, "Admin request of client 'iso-bad' (user 'ops-bad') to 'flags-admin/flags/apply' rejected: line 1, column"),
        broker::logTail);
    assertEquals(1, count(log, "Admin request of client 'iso-bad'"), broker::logTail);
    // and at most one line each for writes and for queries over the operator's rate
    assertTrue(count(log, "client 'iso-bad'") <= 3, broker::logTail);
  }

  /**
   * A device reaching for other devices' flags (a filter over them, a publish to another's topic)
   * is refused each time and logged once for the minute, with what it tried and why.
   */
  @Test
  void devicesReachingForOtherDevicesTopicsAreLoggedOncePerClientPerMinute() {
    try (Mqtt5Device snoop = Mqtt5Device.connect(broker, "iso-snoop")) {
      for (int i = 0; i < 5; i++) {
        assertFalse(snoop.subscribeGranted("flags/+"));
      }
    }
    for (int i = 0; i < 3; i++) {
      // The broker closes the connection after a refused publish: each attempt connects anew.
      try (Mqtt5Device forger = Mqtt5Device.connect(broker, "iso-forger")) {
        assertThrows(Mqtt5PubAckException.class, () -> forger.publish("flags/iso-victim", new byte[] {1}));
      }
    }
    String log = broker.log();
    assertEquals(
        1,
        count(log, "Refused: client 'iso-snoop' may not subscribe to 'flags/+': a device may subscribe only to its own"
            + " flag topic flags/iso-snoop"),
        broker::logTail);
    assertEquals(1, count(log, "Refused: client 'iso-snoop'"), broker::logTail);
    assertEquals(
        1,
        count(log, "Refused: client 'iso-forger' may not publish to 'flags/iso-victim': only FleetFlags publishes flags"),
        broker::logTail);
    assertEquals(1, count(log, "Refused: client 'iso-forger'"), broker::logTail);
  }

  private void assertNothingArrives(MqttDevice<?> stranger) {
    Optional<?> message = stranger.nextMessage(GRACE);
    assertTrue(message.isEmpty(), () -> "the stranger received " + message.get());
  }

  /** A flagd document of this many boolean flags: a write that keeps the admin thread busy. */
  private static String manyFlags(int count) {
    String[] flags = new String[count];
    for (int i = 0; i < count; i++) {
      flags[i] = AdminScenarios.boolFlag("iso-many-" + i, "on");
    }
    return document(flags);
  }

  private static long count(String text, String literal) {
    return Pattern.compile(Pattern.quote(literal)).matcher(text).results().count();
  }
}
