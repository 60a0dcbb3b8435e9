package dev.fleetflags.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Operator sign-in under attack (issue 13, item 3), on the embedded broker with the packaged zip:
 * strangers send waves of 200 concurrent CONNECTs with the operator's username and wrong passwords
 * from 127.0.0.2 (Linux routes all of 127.0.0.0/8 to loopback; the broker listens on 127.0.0.1),
 * while the real operator signs in from 127.0.0.1, where it signed in before the attack, and for
 * the first time from 127.0.0.3. The password hash has the default 600,000 iterations, so that
 * each check costs what it costs in production.
 */
class OperatorSignInTest {

  /** What a real operator's sign-in may take while strangers try its name. */
  static final Duration BOUND = Duration.ofSeconds(3);

  private static final String OPERATOR_ADDRESS = "127.0.0.1";
  private static final String STRANGERS_ADDRESS = "127.0.0.2";
  private static final String NEW_OPERATOR_ADDRESS = "127.0.0.3";
  private static final int CONCURRENT = 200;

  /** PBKDF2-SHA256 of {@link Operator#PASSWORD} at the default 600,000 iterations, as the README has it. */
  private static final String HASH_600K = pbkdf2(Operator.PASSWORD, 600_000);

  private static ExtensionSetup setup(String deviceAuthentication) {
    return ExtensionSetup.asPackaged()
        .withConfig(
            """
            <fleetflags>
                <device-authentication>%s</device-authentication>
                <operators>
                    <operator><username>%s</username><password-hash>%s</password-hash></operator>
                </operators>
            </fleetflags>
            """
                .formatted(deviceAuthentication, Operator.USERNAME, HASH_600K));
  }

  @Test
  void realOperatorsAreAdmittedWithinTheBoundWhileStrangersTryTheirNameFromElsewhere() {
    try (EmbeddedBroker broker = EmbeddedBroker.start(setup("delegate"))) {
      Duration before = signIn(broker, "ops-before", OPERATOR_ADDRESS);
      Duration remembered;
      Duration firstTime;
      Attack attack = new Attack(broker, STRANGERS_ADDRESS);
      try {
        attack.awaitWaves(2);
        remembered = signIn(broker, "ops-during", OPERATOR_ADDRESS);
        firstTime = signIn(broker, "ops-first", NEW_OPERATOR_ADDRESS);
        attack.awaitWaves(attack.waves() + 1);
      } finally {
        attack.stop();
      }
      System.out.printf(
          "Operator sign-in: %d ms before the attack; during %d waves of %d strangers: %d ms"
              + " (signed in before from there), %d ms (first time from there); strangers'"
              + " answers %s%n",
          before.toMillis(),
          attack.waves(),
          CONCURRENT,
          remembered.toMillis(),
          firstTime.toMillis(),
          attack.answers());
      assertTrue(remembered.compareTo(BOUND) < 0, "signed in before: " + remembered);
      assertTrue(firstTime.compareTo(BOUND) < 0, "first time: " + firstTime);

      // Every stranger was refused: "bad user name or password" after a check, "server busy"
      // when refused without one.
      Map<String, Integer> answers = attack.answers();
      assertEquals(
          Set.of("BAD_USER_NAME_OR_PASSWORD", "SERVER_BUSY"), answers.keySet(), answers::toString);
      assertEquals(
          attack.waves() * CONCURRENT,
          answers.values().stream().mapToInt(Integer::intValue).sum(),
          answers::toString);

      ExtensionMetrics metrics = new ExtensionMetrics(broker);
      long checked = metrics.counter("fleetflags.operators.sign-ins.refused.wrong-password");
      assertEquals(answers.get("BAD_USER_NAME_OR_PASSWORD").longValue(), checked);
      // One address paused 1, 2, 4, ... s after each failure: a handful of hashes, not thousands.
      assertTrue(checked <= 8, checked + " wrong passwords checked");
      assertEquals(
          answers.get("SERVER_BUSY").longValue(),
          metrics.counter("fleetflags.operators.sign-ins.throttled.address")
              + metrics.counter("fleetflags.operators.sign-ins.throttled.username")
              + metrics.counter("fleetflags.operators.sign-ins.refused.busy"));
      assertEquals(3, metrics.counter("fleetflags.operators.sign-ins.accepted"));
      assertEquals(1, metrics.counter("fleetflags.operators.sign-ins.accepted.remembered"));

      String log = broker.log();
      assertNoStackTrace(log);
      // The strangers' refusals: one line for their address in this minute.
      assertEquals(
          1,
          count(log, "Operator sign-in refused: client '[^']*' from " + STRANGERS_ADDRESS + " "),
          broker.logTail());
    }
  }

  /**
   * With {@code allow}, a wrong operator password gets the very answer an unknown name gets (as
   * does one refused without a check): admitted as a plain client, which may not use the admin
   * topics. MQTT 5 and 3.1.1.
   */
  @Test
  void inAllowModeAWrongOperatorPasswordIsAnsweredAsAnUnknownName() {
    try (EmbeddedBroker broker = EmbeddedBroker.start(setup("allow"))) {
      List<Mqtt5ConnAck> answers = new ArrayList<>();
      String[][] attempts = {
        {"nobody", "127.0.0.4"}, // a name that is no operator's
        {Operator.USERNAME, "127.0.0.5"}, // checked: wrong password
        {Operator.USERNAME, "127.0.0.5"}, // refused without a check: the address is paused
      };
      for (int i = 0; i < attempts.length; i++) {
        try (Mqtt5Device client =
            Mqtt5Device.with(broker, "allow-" + i)
                .credentials(attempts[i][0], "guess-" + i)
                .from(attempts[i][1])
                .connect()) {
          answers.add(client.connAck());
          Mqtt5PubAckException refused =
              assertThrows(
                  Mqtt5PubAckException.class,
                  () -> client.publish("flags-admin/query/flags", "{}"),
                  "a plain client");
          assertEquals("NOT_AUTHORIZED", refused.getMqttMessage().getReasonCode().name());
        }
      }
      assertEquals(Mqtt5ConnAckReasonCode.SUCCESS, answers.get(0).getReasonCode());
      assertEquals(answers.get(0), answers.get(1), "wrong password: the same CONNACK");
      assertEquals(answers.get(0), answers.get(2), "throttled: the same CONNACK");

      try (Mqtt3Device unknown = Mqtt3Device.connect(broker, "allow-3a", "nobody", "guess");
          Mqtt3Device wrong = Mqtt3Device.connect(broker, "allow-3b", Operator.USERNAME, "guess")) {
        assertEquals(Mqtt3ConnAckReturnCode.SUCCESS, unknown.connAck().getReturnCode());
        assertEquals(unknown.connAck(), wrong.connAck());
      }
      ExtensionMetrics metrics = new ExtensionMetrics(broker);
      assertEquals(2, metrics.counter("fleetflags.operators.sign-ins.refused.wrong-password"));
      assertEquals(1, metrics.counter("fleetflags.operators.sign-ins.throttled.address"));
      assertNoStackTrace(broker.log());
    }
  }

  /** Signs the operator in from this address, checks it is one with a query, and says how long. */
  private static Duration signIn(FleetFlagsBroker broker, String clientId, String from) {
    long start = System.nanoTime();
    try (Mqtt5Device client =
        Mqtt5Device.with(broker, clientId)
            .credentials(Operator.USERNAME, Operator.PASSWORD)
            .from(from)
            .connect()) {
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      String answer =
          client.request("flags-admin/query/flags", "{}", "it/answers/" + clientId);
      assertEquals("ok", Operator.parse(answer).path("status").asText(), answer);
      return took;
    }
  }

  static void assertNoStackTrace(String log) {
    assertFalse(
        Pattern.compile("^\\s+at \\S+\\(", Pattern.MULTILINE).matcher(log).find(),
        "a stack trace in the broker log");
    assertFalse(log.contains("Exception"), "an exception in the broker log");
  }

  private static long count(String text, String regex) {
    return Pattern.compile(regex).matcher(text).results().count();
  }

  private static String pbkdf2(String password, int iterations) {
    byte[] salt = "fleetflags-it-6h".getBytes(UTF_8);
    try {
      byte[] hash =
          SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
              .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256))
              .getEncoded();
      Base64.Encoder base64 = Base64.getEncoder();
      return "pbkdf2-sha256:%d:%s:%s"
          .formatted(iterations, base64.encodeToString(salt), base64.encodeToString(hash));
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Strangers with the operator's username and wrong passwords, all from one address: waves of
   * {@value #CONCURRENT} concurrent CONNECTs, each wave sent once the last one was answered, until
   * stopped (at most 100 waves). What each CONNECT was answered is counted by reason code.
   */
  private static final class Attack {

    private final FleetFlagsBroker broker;
    private final String from;
    private final ConcurrentMap<String, AtomicInteger> answers = new ConcurrentHashMap<>();
    private final AtomicInteger waves = new AtomicInteger();
    private final Thread thread;
    private volatile boolean stopped;
    private volatile Throwable failure;

    Attack(FleetFlagsBroker broker, String from) {
      this.broker = broker;
      this.from = from;
      this.thread = new Thread(this::run, "it-attack");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      try {
        while (!stopped && waves.get() < 100) {
          wave(waves.get());
          waves.incrementAndGet();
        }
      } catch (Throwable t) {
        failure = t;
      }
    }

    private void wave(int wave) throws Exception {
      List<CompletableFuture<?>> connects = new ArrayList<>();
      for (int i = 0; i < CONCURRENT; i++) {
        Mqtt5AsyncClient client =
            MqttClient.builder()
                .useMqttVersion5()
                .identifier("stranger-" + wave + "-" + i)
                .serverHost(broker.host())
                .serverPort(broker.mqttPort())
                .transportConfig()
                .localAddress(from)
                .applyTransportConfig()
                .buildAsync();
        connects.add(
            client
                .connectWith()
                .simpleAuth()
                .username(Operator.USERNAME)
                .password(("guess-" + wave + "-" + i).getBytes(UTF_8))
                .applySimpleAuth()
                .send()
                .handle(
                    (ack, refused) -> {
                      String answer;
                      if (refused instanceof Mqtt5ConnAckException e) {
                        answer = e.getMqttMessage().getReasonCode().name();
                      } else if (refused != null) {
                        answer = refused.getClass().getSimpleName();
                      } else {
                        answer = "ADMITTED";
                        client.disconnect();
                      }
                      answers.computeIfAbsent(answer, a -> new AtomicInteger()).incrementAndGet();
                      return null;
                    }));
      }
      CompletableFuture.allOf(connects.toArray(CompletableFuture[]::new))
          .get(MqttDevice.WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    int waves() {
      return waves.get();
    }

    /** Waits until this many waves were answered in full. */
    void awaitWaves(int count) {
      long deadline = System.nanoTime() + MqttDevice.WAIT.toNanos();
      while (waves.get() < count) {
        assertNull(failure, () -> "the attack failed: " + failure);
        assertTrue(thread.isAlive(), "the attack ended before " + count + " waves");
        assertTrue(System.nanoTime() < deadline, "waited " + MqttDevice.WAIT + " for wave " + count);
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }

    void stop() {
      stopped = true;
      try {
        thread.join(MqttDevice.WAIT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      assertFalse(thread.isAlive(), "the attack did not stop");
      assertNull(failure, () -> "the attack failed: " + failure);
    }

    Map<String, Integer> answers() {
      Map<String, Integer> counts = new TreeMap<>();
      answers.forEach((answer, n) -> counts.put(answer, n.get()));
      return counts;
    }
  }
}
