package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FlagUpdates;
import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.proto.v1.FlagUpdate;
import dev.fleetflags.rules.Limits;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Coverage-guided fuzzing of what devices send: resync payloads and the state hash as text
 * ({@link StateHashText}), CONNECT user properties and usernames ({@link DeviceContexts}) up to
 * the flags a device is sent, and the topics and subscription filters FleetFlags authorizes
 * ({@link TopicAuthorizer}). Saved inputs: {@code DeviceInputFuzzTestInputs/<method>/}.
 */
class DeviceInputFuzzTest {

  private static final Pattern EIGHT_HEX = Pattern.compile("[0-9a-fA-F]{8}");
  private static final Set<String> ALLOWED = Set.of("model", "region", "firmware");
  private static final String[] PROPERTY_NAMES = {"model", "region", "firmware", "fleetflags-state", "username",
      "targetingKey", "$flagd", ""};
  private static final String[] LEVELS = {"flags", "fleet", "+", "#", "$share", "g", "dev-1", "dev-2", "resync",
      "ack", "", "flags-admin", "responses"};
  private static final String[] CLIENT_IDS = {"dev-1", "dev-2", "+", "#", "", "flags", "resync"};
  private static final long NOW = 1_750_000_000L;
  private static final FlagSet FLAGS = exampleFlags();

  @FuzzTest(maxDuration = "5m")
  void resyncPayload(byte[] payload) {
    ByteBuffer buffer = ByteBuffer.wrap(payload);
    Integer hash = StateHashText.parse(buffer);
    assertEquals(payload.length, buffer.remaining(), "the payload is read, not consumed");
    if (payload.length == 4) {
      assertEquals(ByteBuffer.wrap(payload).getInt(), hash, "four bytes are the hash, big-endian");
    } else {
      assertHashText(new String(payload, StandardCharsets.US_ASCII), hash);
    }
  }

  /**
   * A CONNECT's user properties and username become the device's attributes: only allowed names,
   * the first value of each, the username as {@code username}; evaluating the example flags for
   * the device is deterministic and its snapshot carries the state hash of what it holds.
   */
  @FuzzTest(maxDuration = "5m")
  void connectProperties(FuzzedDataProvider data) throws Exception {
    String clientId = data.consumeBoolean() ? data.pickValue(CLIENT_IDS) : data.consumeString(24);
    String username = data.consumeBoolean() ? data.consumeString(24) : null;
    List<Map.Entry<String, String>> properties = new ArrayList<>();
    int count = data.consumeInt(0, 12);
    for (int i = 0; i < count; i++) {
      String name = data.consumeBoolean() ? data.pickValue(PROPERTY_NAMES) : data.consumeString(12);
      properties.add(new AbstractMap.SimpleImmutableEntry<>(name, data.consumeString(40)));
    }
    DeviceContexts contexts = new DeviceContexts(id -> Map.of(), ALLOWED);
    Map<String, String> allowed = contexts.allowed(clientId, properties);
    Map<String, String> expected = new HashMap<>();
    for (Map.Entry<String, String> p : properties) {
      if (ALLOWED.contains(p.getKey())) {
        expected.putIfAbsent(p.getKey(), p.getValue());
      }
      if (p.getKey().equals("fleetflags-state")) {
        assertHashText(p.getValue(), StateHashText.parse(p.getValue()));
      }
    }
    assertEquals(expected, allowed);

    Map<String, Object> attributes = new HashMap<>(expected);
    if (username != null) {
      attributes.put(DeviceContexts.USERNAME, username);
    }
    DeviceContext device = contexts.attributes(clientId, contexts.connection(new ConnectionFacts(username, allowed)))
        .withTargetingKey(clientId);
    assertEquals(attributes, device.attributes());
    Evaluation evaluation = FLAGS.evaluate(device, NOW);
    assertEquals(evaluation, FLAGS.evaluate(device, NOW), "the same flags on every evaluation");
    FlagUpdate snapshot = FlagUpdate.parseFrom(new FlagUpdates(data.consumeBoolean()).snapshot(7, evaluation));
    assertTrue(snapshot.getSnapshot());
    assertEquals(evaluation.stateHash(), snapshot.getStateHash());
  }

  /**
   * A device may subscribe to its own flag topic and to nothing that reaches another device's, and
   * may publish only to its own resync and ack topics; checked against MQTT's own matching of the
   * filter with other devices' topics, for two topic templates.
   */
  @FuzzTest(maxDuration = "5m")
  void topicsAndFilters(FuzzedDataProvider data) {
    String template = data.consumeBoolean() ? "flags/{clientId}" : "fleet/{clientId}/flags";
    DeviceTopics topics = new DeviceTopics(template);
    TopicAuthorizer authorizer = new TopicAuthorizer(topics, "flags-admin");
    String clientId = data.consumeBoolean() ? data.pickValue(CLIENT_IDS) : data.consumeString(12);
    if (clientId.contains("/")) {
      // Its flag topic would lie below another device's: it has none, so nothing is ever published
      // below another device's topic for it, and its own subscription is refused.
      assertNotEquals(TopicAuthorizer.Subscribe.GRANTED, authorizer.subscribe(topics.flagTopic(clientId), clientId, false));
      return;
    }
    List<String> levels = new ArrayList<>();
    int count = data.consumeInt(1, 6);
    for (int i = 0; i < count; i++) {
      levels.add(data.consumeBoolean() ? data.pickValue(LEVELS) : data.consumeBoolean() ? clientId : data.consumeString(8));
    }
    String filter = String.join("/", levels);
    boolean operator = data.consumeBoolean();

    List<String> others = new ArrayList<>(List.of("dev-other", clientId + "0", "0" + clientId));
    levels.stream().filter(l -> !l.equals(clientId) && !l.contains("/") && !l.contains("+") && !l.contains("#"))
        .forEach(others::add);
    if (validFilter(filter)) {
      TopicAuthorizer.Subscribe decision = authorizer.subscribe(filter, clientId, operator);
      if (!operator && (decision == TopicAuthorizer.Subscribe.GRANTED || decision == TopicAuthorizer.Subscribe.NOT_OURS)) {
        for (String other : others) {
          for (String topic : space(topics, other)) {
            assertFalse(matches(filter, topic), () -> "client '" + clientId + "' may subscribe to '" + filter
                + "' (" + decision + "), which matches device '" + other + "''s topic " + topic);
          }
        }
      }
      if (decision == TopicAuthorizer.Subscribe.GRANTED) {
        assertTrue(matches(filter, topics.flagTopic(clientId)), filter);
      }
    }
    if (validTopic(filter) && authorizer.guards(filter) && authorizer.mayPublish(filter, clientId, false)) {
      assertTrue(filter.equals(topics.resyncTopic(clientId)) || filter.equals(topics.ackTopic(clientId)),
          () -> "client '" + clientId + "' may publish to " + filter);
    }
    String resync = topics.resyncDevice(topics.resyncTopic(clientId));
    if (!clientId.isEmpty()) {
      assertEquals(clientId, resync, "a device's resync topic names it");
    }
  }

  /** The text is a state hash exactly when it is eight hex digits, after 0x and surrounding spaces. */
  private static void assertHashText(String text, @Nullable Integer hash) {
    String t = text.strip();
    if (t.startsWith("0x") || t.startsWith("0X")) {
      t = t.substring(2);
    }
    assertEquals(EIGHT_HEX.matcher(t).matches(), hash != null, () -> "'" + text + "' read as " + hash);
    if (hash != null) {
      assertEquals(hash, StateHashText.parse(StateHashText.format(hash)));
      assertEquals(Integer.toUnsignedLong(hash), Long.parseLong(t, 16));
    }
  }

  /** A device's flag topic and topics below it. */
  private static List<String> space(DeviceTopics topics, String device) {
    String flag = topics.flagTopic(device);
    return List.of(flag, flag + "/resync", flag + "/ack", flag + "/x/y");
  }

  /** MQTT 5 section 4.7: whether a topic filter matches a topic name (shared subscriptions unwrapped). */
  static boolean matches(String filter, String topic) {
    if (filter.startsWith("$share/")) {
      String[] parts = filter.split("/", 3);
      filter = parts.length == 3 ? parts[2] : "";
    }
    if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) {
      return false;
    }
    String[] f = filter.split("/", -1);
    String[] t = topic.split("/", -1);
    for (int i = 0; i < f.length; i++) {
      if (f[i].equals("#")) {
        return true;
      }
      if (i >= t.length || !(f[i].equals("+") || f[i].equals(t[i]))) {
        return false;
      }
    }
    return f.length == t.length;
  }

  /** A filter the broker would accept: wildcards only as whole levels, {@code #} last. */
  private static boolean validFilter(String filter) {
    String unshared = filter;
    if (filter.startsWith("$share/")) {
      String[] parts = filter.split("/", 3);
      if (parts.length < 3 || parts[1].isEmpty() || parts[1].contains("+") || parts[1].contains("#")) {
        return false;
      }
      unshared = parts[2];
    }
    if (unshared.isEmpty() || unshared.indexOf('\u0000') >= 0) {
      return false;
    }
    String[] levels = unshared.split("/", -1);
    for (int i = 0; i < levels.length; i++) {
      String l = levels[i];
      if ((l.contains("+") && !l.equals("+")) || (l.contains("#") && !(l.equals("#") && i == levels.length - 1))) {
        return false;
      }
    }
    return true;
  }

  private static boolean validTopic(String topic) {
    return !topic.isEmpty() && topic.indexOf('+') < 0 && topic.indexOf('#') < 0 && topic.indexOf('\u0000') < 0;
  }

  private static FlagSet exampleFlags() {
    try {
      return new FlagSetCompiler(Limits.DEFAULT).compile(Files.readAllBytes(Path.of("examples/flags.json")),
          FlagSetCompiler.Mode.STRICT);
    } catch (Exception e) {
      throw new IllegalStateException("examples/flags.json does not compile", e);
    }
  }
}
