package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.it.FanOutDevice.Protocol;
import dev.fleetflags.it.FanOutOperator.Evaluated;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 4's proofs on a real broker: 200 devices (150 MQTT 5 with attributes from CONNECT user
 * properties, 50 MQTT 3.1.1) connected to the embedded HiveMQ with the packaged zip, counted on the
 * client side. Who should receive what is asked of the extension ({@code query/evaluate} before and
 * after) and checked against the test's own bucketing and attributes; state hashes are computed by
 * the devices from the README.
 *
 * <p>One broker and fleet for the class; each test counts its own window (see {@link
 * FanOutFleet#barrier}) and touches its own flags, so the order of the tests does not matter.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FanOutFleetTest {

  private static final int MQTT5_DEVICES = 150;
  private static final int MQTT3_DEVICES = 50;
  private static final String[] REGIONS = {"eu", "us", "apac"};

  private static final String SEED =
      FanOutFleet.document(
          rolloutFlag(10),
          regionModeFlag("eu-v1"),
          """
          "model-level": {"state": "ENABLED", "variants": {"low": 1, "high": 5},
            "defaultVariant": "low",
            "targeting": {"if": [{"==": [{"var": "model"}, "th-200"]}, "high", null]}}""",
          """
          "secret-gate": {"state": "ENABLED", "variants": {"on": true, "off": false},
            "defaultVariant": "off",
            "targeting": {"if": [{"==": [{"var": "secret"}, "open"]}, "on", null]}}""",
          offlineFlag("a0"),
          """
          "offline-gone": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}""",
          FanOutFleet.BARRIER_SEED);

  /** The rollout step: 10% to 20%, and a new variant for devices in region eu only. */
  private static final String ROLLOUT_STEP =
      FanOutFleet.document(rolloutFlag(20), regionModeFlag("eu-v2"));

  private static String rolloutFlag(int percent) {
    return """
           "rollout": {"state": "ENABLED", "variants": {"on": true, "off": false},
             "defaultVariant": "off",
             "targeting": {"fractional": [["on", %d], ["off", %d]]}}"""
        .formatted(percent, 100 - percent);
  }

  private static String regionModeFlag(String euVariant) {
    return """
           "region-mode": {"state": "ENABLED",
             "variants": {"standard": "standard", "eu-v1": "eu-v1", "eu-v2": "eu-v2"},
             "defaultVariant": "standard",
             "targeting": {"if": [{"==": [{"var": "region"}, "eu"]}, "%s", null]}}"""
        .formatted(euVariant);
  }

  private static String offlineFlag(String variant) {
    return """
           "offline-a": {"state": "ENABLED", "variants": {"a0": "a0", "a1": "a1", "a2": "a2"},
             "defaultVariant": "%s"}"""
        .formatted(variant);
  }

  private EmbeddedBroker broker;
  private FanOutMetrics metrics;
  private FanOutOperator operator;
  private FanOutFleet fleet;

  /** The targeting attributes each fleet device has, as the test set them up. */
  private final Map<String, Map<String, String>> attributes = new HashMap<>();

  @BeforeAll
  void startFleet() {
    broker = EmbeddedBroker.start(FanOutFleet.setup(SEED, ""));
    metrics = new FanOutMetrics(broker);
    operator = FanOutOperator.connect(broker, "ops-fanout");

    List<FanOutDevice.Spec> specs = new ArrayList<>();
    Map<String, Map<String, String>> registry = new LinkedHashMap<>();
    for (int i = 0; i < MQTT5_DEVICES; i++) {
      String id = "m5-%03d".formatted(i);
      Map<String, String> properties = new LinkedHashMap<>();
      properties.put("model", i % 4 == 0 ? "th-200" : "th-100");
      properties.put("region", REGIONS[i % 3]);
      // Not on the allow-list: must not reach targeting (secret-gate stays off).
      properties.put("secret", "open");
      specs.add(new FanOutDevice.Spec(id, Protocol.MQTT5, properties));
      Map<String, String> effective = new HashMap<>(properties);
      effective.remove("secret");
      if (i % 10 == 0) {
        // Registry attributes win over what a device says of itself.
        registry.put(id, Map.of("region", "us"));
        effective.put("region", "us");
      }
      attributes.put(id, effective);
    }
    for (int i = 0; i < MQTT3_DEVICES; i++) {
      String id = "m3-%03d".formatted(i);
      specs.add(new FanOutDevice.Spec(id, Protocol.MQTT3, Map.of()));
      Map<String, String> effective = new HashMap<>();
      if (i % 2 == 0) {
        registry.put(id, Map.of("region", "eu", "model", "th-200"));
        effective.putAll(registry.get(id));
      }
      attributes.put(id, effective);
    }
    operator.attributes(registryRequest(registry));
    fleet = FanOutFleet.online(broker, specs);
    metrics.awaitIdle();
  }

  @AfterAll
  @SuppressWarnings("try") // closing is all: devices, then the operator, then the broker
  void stopFleet() {
    try (EmbeddedBroker b = broker;
        FanOutOperator o = operator;
        FanOutFleet f = fleet) {}
  }

  /**
   * Devices of other tests have gone (delivery knows the fleet and the operator only), and whatever
   * earlier tests sent the fleet has arrived: each test counts from a quiet start.
   */
  @BeforeEach
  void settle() {
    metrics.awaitIndexed(fleet.size() + 1L);
    fleet.barrier(fleet.mark(), operator, metrics);
  }

  @Test
  void aRolloutStepReachesExactlyTheDevicesWhoseValueChangedWithOneDeltaEach() {
    Map<String, Evaluated> before = fleet.evaluate(operator);
    for (FanOutDevice d : fleet.devices()) {
      d.assertHolds(before.get(d.clientId()));
      // The extension evaluates as the test predicts from flagd's rules and the attributes.
      Map<String, String> a = attributes.get(d.clientId());
      Map<String, JsonNode> values = before.get(d.clientId()).values();
      assertEquals(json(rollout(d, 10)), values.get("rollout"), d::clientId);
      assertEquals(json(eu(a) ? "eu-v1" : "standard"), values.get("region-mode"), d::clientId);
      assertEquals(json("th-200".equals(a.get("model")) ? 5L : 1L), values.get("model-level"));
      assertEquals(json(false), values.get("secret-gate"), d::clientId);
    }
    Map<FanOutDevice, Integer> mark = fleet.mark();
    long deltasBefore = metrics.counter("fleetflags.deltas.sent");
    long fanOutsBefore = metrics.timerCount("fleetflags.fanout.duration");
    long fanOutMessagesBefore = metrics.counter("fleetflags.fanout.messages");

    JsonNode answer = operator.apply(ROLLOUT_STEP);

    assertEquals(
        List.of("region-mode", "rollout"), strings(answer.get("changed")), answer::toString);
    Map<String, Evaluated> after = fleet.evaluate(operator);
    Map<String, Set<String>> changed = new LinkedHashMap<>();
    Set<String> predictedRollout = new TreeSet<>();
    Set<String> predictedRegion = new TreeSet<>();
    for (FanOutDevice d : fleet.devices()) {
      Set<String> keys = after.get(d.clientId()).changedSince(before.get(d.clientId()));
      if (!keys.isEmpty()) {
        changed.put(d.clientId(), keys);
      }
      if (rollout(d, 10) != rollout(d, 20)) {
        predictedRollout.add(d.clientId());
      }
      if (eu(attributes.get(d.clientId()))) {
        predictedRegion.add(d.clientId());
      }
    }
    // The evaluator's before/after agree with the independent prediction, flag by flag.
    assertEquals(predictedRollout, devicesChanging(changed, "rollout"));
    assertEquals(predictedRegion, devicesChanging(changed, "region-mode"));
    assertTrue(
        !predictedRollout.isEmpty() && !predictedRegion.isEmpty(),
        "the step should move some devices of each kind");
    assertEquals(changed.size(), answer.get("devicesAffected").asInt(), answer::toString);
    // The step's fan-out completes, having sent one update per affected device.
    metrics.awaitTimerCount("fleetflags.fanout.duration", fanOutsBefore + 1);
    long fanOutMessages = fanOutMessagesBefore + changed.size();
    metrics.awaitCounter("fleetflags.fanout.messages", fanOutMessages);
    assertEquals(fanOutMessages, metrics.counter("fleetflags.fanout.messages"));

    Map<FanOutDevice, List<FlagUpdate>> window = fleet.barrier(mark, operator, metrics);

    int deltas = 0;
    for (FanOutDevice d : fleet.devices()) {
      List<FlagUpdate> got = window.get(d);
      Set<String> keys = changed.get(d.clientId());
      if (keys == null) {
        assertEquals(List.of(), got, () -> d + " is not affected but received updates");
        continue;
      }
      assertEquals(1, got.size(), () -> d + " should receive one delta: " + got);
      FlagUpdate delta = got.get(0);
      assertFalse(delta.getSnapshot(), () -> d + ": " + delta);
      assertEquals(
          keys,
          FanOutHeldFlags.keys(delta),
          () -> d + " should receive only what changed: " + delta);
      assertEquals(0, delta.getRemovedCount(), () -> d + ": " + delta);
      assertEquals(after.get(d.clientId()).revision(), delta.getRevision(), () -> d + ": " + delta);
      if (keys.equals(Set.of("rollout"))) {
        // README: a one-flag boolean delta is 12 + len(key) + len(varint(revision)) bytes.
        assertEquals(
            12 + "rollout".length() + varintLength(delta.getRevision()),
            delta.getSerializedSize(),
            () -> d + ": " + delta);
      }
      deltas++;
    }
    assertEquals(changed.size(), deltas);
    Map<String, Evaluated> settled = fleet.evaluate(operator);
    for (FanOutDevice d : fleet.devices()) {
      assertEquals(
          Set.of(FanOutFleet.BARRIER_FLAG),
          settled.get(d.clientId()).changedSince(after.get(d.clientId())));
      d.assertHolds(settled.get(d.clientId()));
    }

    // The extension's own count: the step's deltas plus one barrier delta per device.
    long expectedDeltas = deltasBefore + deltas + fleet.size();
    metrics.awaitCounter("fleetflags.deltas.sent", expectedDeltas);
    assertEquals(expectedDeltas, metrics.counter("fleetflags.deltas.sent"));
  }

  @Test
  void aRegistryAttributeChangeReEvaluatesThatDeviceOnly() {
    FanOutDevice moved =
        fleet.devices().stream()
            .filter(d -> d.spec().protocol() == Protocol.MQTT5)
            .filter(d -> "us".equals(attributes.get(d.clientId()).get("region")))
            .filter(d -> d.spec().userProperties().get("region").equals("us"))
            .findFirst()
            .orElseThrow();
    FanOutDevice untouched = fleet.devices().get(fleet.size() - 1);
    Evaluated before = operator.evaluate(moved.clientId());
    Map<FanOutDevice, Integer> mark = fleet.mark();

    JsonNode answer =
        operator.attributes(registryRequest(Map.of(moved.clientId(), Map.of("region", "eu"))));
    attributes.get(moved.clientId()).put("region", "eu");
    assertEquals(1, answer.get("devicesAffected").asInt(), answer::toString);
    // An attribute no flag reads changes nobody's flags.
    JsonNode nothing =
        operator.attributes(registryRequest(Map.of(untouched.clientId(), Map.of("colour", "red"))));
    assertEquals(0, nothing.get("devicesAffected").asInt(), nothing::toString);

    Evaluated after = operator.evaluate(moved.clientId());
    assertEquals(Set.of("region-mode"), after.changedSince(before));
    Map<FanOutDevice, List<FlagUpdate>> window = fleet.barrier(mark, operator, metrics);
    for (FanOutDevice d : fleet.devices()) {
      if (d != moved) {
        assertEquals(List.of(), window.get(d), () -> d + " is not affected but received updates");
      }
    }
    List<FlagUpdate> got = window.get(moved);
    assertEquals(1, got.size(), got::toString);
    assertFalse(got.get(0).getSnapshot(), got::toString);
    assertEquals(Set.of("region-mode"), FanOutHeldFlags.keys(got.get(0)), got::toString);
    moved.assertHolds(operator.evaluate(moved.clientId()));
  }

  /**
   * Devices that were away while flags changed present what they hold (MQTT 5 in CONNECT, MQTT
   * 3.1.1 by a publish to their resync topic before subscribing) and get a delta from there; a hash
   * the extension does not know gets a snapshot, a resync asks for one.
   */
  @Test
  void devicesThatMissedChangesConvergeWhenTheyReturn() {
    var back5 = new FanOutDevice.Spec("back-5", Protocol.MQTT5, Map.of("region", "eu"));
    var back3 = new FanOutDevice.Spec("back-3", Protocol.MQTT3, Map.of());
    FanOutHeldFlags held5;
    FanOutHeldFlags held3;
    try (FanOutDevice d5 = FanOutDevice.online(broker, back5);
        FanOutDevice d3 = FanOutDevice.online(broker, back3)) {
      held5 = d5.held();
      held3 = d3.held();
      d5.assertHolds(operator.evaluate("back-5"));
    }
    metrics.awaitIndexed(fleet.size() + 1L);

    // Three revisions while they are away: a changed value, a new flag, a removed flag.
    operator.apply(
        FanOutFleet.document(
            offlineFlag("a1"),
            """
            "offline-new": {"state": "ENABLED", "variants": {"n": 7}, "defaultVariant": "n"}"""));
    operator.apply(FanOutFleet.document(offlineFlag("a2")));
    operator.delete("{\"flags\": [\"offline-gone\"]}");

    try (FanOutDevice d5 =
            FanOutDevice.join(
                FanOutDevice.connect(broker, back5, held5, FanOutHeldFlags.hex(held5.stateHash())),
                "back-5");
        FanOutDevice d3 =
            FanOutDevice.join(FanOutDevice.connect(broker, back3, held3, null), "back-3")) {
      FanOutDevice.join(
          d3.resync(FanOutHeldFlags.hex(held3.stateHash())), "back-3 presenting its hash");
      FanOutDevice.join(d5.subscribe(), "back-5 subscribing");
      FanOutDevice.join(d3.subscribe(), "back-3 subscribing");
      for (FanOutDevice d : List.of(d5, d3)) {
        d.awaitReceived(1);
        FlagUpdate delta = d.received().get(0);
        assertFalse(delta.getSnapshot(), () -> d + " should get a delta: " + delta);
        assertEquals(
            Set.of("offline-a", "offline-new"), FanOutHeldFlags.keys(delta), delta::toString);
        assertEquals(List.of("offline-gone"), delta.getRemovedList(), delta::toString);
        d.assertHolds(operator.evaluate(d.clientId()));
      }

      // A resync without a hash, or with one the extension does not know: a snapshot.
      for (String presented : new String[] {"", "deadbeef"}) {
        for (FanOutDevice d : List.of(d5, d3)) {
          int count = d.receivedCount();
          FanOutDevice.join(d.resync(presented), d + " asking for a resync");
          d.awaitReceived(count + 1);
          FlagUpdate snapshot = d.received().get(count);
          assertTrue(snapshot.getSnapshot(), () -> d + " should get a snapshot: " + snapshot);
          d.assertHolds(operator.evaluate(d.clientId()));
        }
      }
      // A resync with its current hash: an empty update confirming it.
      int count = d5.receivedCount();
      FanOutDevice.join(
          d5.resync(FanOutHeldFlags.hex(d5.held().stateHash())), "back-5 asking for a resync");
      d5.awaitReceived(count + 1);
      assertConfirms(d5, d5.received().get(count));
      held5 = d5.held();
    }
    metrics.awaitIndexed(fleet.size() + 1L);

    // Back with the current hash: a confirmation; with a hash never sent: a snapshot.
    try (FanOutDevice d5 =
        FanOutDevice.join(
            FanOutDevice.connect(broker, back5, held5, FanOutHeldFlags.hex(held5.stateHash())),
            "back-5")) {
      FanOutDevice.join(d5.subscribe(), "back-5 subscribing");
      d5.awaitReceived(1);
      assertConfirms(d5, d5.received().get(0));
    }
    metrics.awaitIndexed(fleet.size() + 1L);
    try (FanOutDevice d5 =
        FanOutDevice.join(
            FanOutDevice.connect(broker, back5, held5, "0badcafe"), "back-5 with a wrong hash")) {
      FanOutDevice.join(d5.subscribe(), "back-5 subscribing");
      d5.awaitReceived(1);
      assertTrue(d5.received().get(0).getSnapshot(), () -> d5.received().toString());
      d5.assertHolds(operator.evaluate("back-5"));
    }
  }

  /** FleetFlags' metrics are in the broker's MetricRegistry and agree with what clients saw. */
  @Test
  void metricsAreInTheBrokersRegistry() {
    for (String name :
        List.of(
            "fleetflags.snapshots.sent",
            "fleetflags.deltas.sent",
            "fleetflags.confirmations.sent",
            "fleetflags.bytes.sent",
            "fleetflags.update.bytes",
            "fleetflags.devices.indexed",
            "fleetflags.devices.attribute-values",
            "fleetflags.queue.depth",
            "fleetflags.publishes.in-flight",
            "fleetflags.fanout.duration",
            "fleetflags.fanout.messages",
            "fleetflags.publish.failed",
            "fleetflags.admin.accepted",
            "fleetflags.admin.rejected",
            "fleetflags.admin.errors",
            "fleetflags.admin.rate-limited",
            "fleetflags.admin.time")) {
      assertTrue(metrics.exists(name), name);
    }
    assertEquals(fleet.size() + 1L, metrics.gauge("fleetflags.devices.indexed"));
    assertTrue(metrics.counter("fleetflags.snapshots.sent") >= fleet.size());
    assertEquals(0, metrics.counter("fleetflags.publish.failed"));
    long values = metrics.gauge("fleetflags.devices.attribute-values");
    // Devices share the values they state alike (a few models and regions): far fewer than devices.
    assertTrue(values > 1 && values < fleet.size() / 4, "attribute values: " + values);
  }

  // --- what devices hold, and what changed ------------------------------------------------------

  private static void assertConfirms(FanOutDevice d, FlagUpdate update) {
    assertFalse(update.getSnapshot(), update::toString);
    assertEquals(0, update.getFlagsCount(), update::toString);
    assertEquals(0, update.getRemovedCount(), update::toString);
    assertEquals(
        FanOutHeldFlags.hex(d.held().stateHash()), FanOutHeldFlags.hex(update.getStateHash()));
  }

  private static Set<String> devicesChanging(Map<String, Set<String>> changed, String flag) {
    return changed.entrySet().stream()
        .filter(e -> e.getValue().contains(flag))
        .map(Map.Entry::getKey)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static boolean rollout(FanOutDevice d, int percent) {
    LinkedHashMap<String, Integer> weights = new LinkedHashMap<>();
    weights.put("on", percent);
    weights.put("off", 100 - percent);
    return FanOutBucketing.variant("rollout", d.clientId(), weights).equals("on");
  }

  private static boolean eu(Map<String, String> attributes) {
    return "eu".equals(attributes.get("region"));
  }

  private static JsonNode json(Object value) {
    return FanOutOperator.JSON.valueToTree(value);
  }

  private static List<String> strings(JsonNode array) {
    List<String> list = new ArrayList<>();
    array.forEach(n -> list.add(n.asText()));
    return list;
  }

  private static String registryRequest(Map<String, Map<String, String>> attributes) {
    return FanOutOperator.JSON
        .createObjectNode()
        .set("devices", FanOutOperator.JSON.valueToTree(attributes))
        .toString();
  }

  private static int varintLength(long value) {
    int length = 1;
    while ((value >>>= 7) != 0) {
      length++;
    }
    return length;
  }
}
