package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static dev.fleetflags.it.Scenarios.document;
import static dev.fleetflags.it.Scenarios.keys;
import static dev.fleetflags.it.Scenarios.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.it.Device.Protocol;
import dev.fleetflags.it.Operator.Evaluated;
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
 * Fleet#barrier}) and touches its own flags, so the order of the tests does not matter.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FanOutFleetTest {

  private static final int MQTT5_DEVICES = 150;
  private static final int MQTT3_DEVICES = 50;
  private static final String[] REGIONS = {"eu", "us", "apac"};

  private static final String SEED =
      document(
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
          Fleet.BARRIER_SEED);

  /** The rollout step: 10% to 20%, and a new variant for devices in region eu only. */
  private static final String ROLLOUT_STEP =
      document(rolloutFlag(20), regionModeFlag("eu-v2"));

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

  private Fleet fleet;
  private EmbeddedBroker broker;
  private Operator operator;
  private ExtensionMetrics metrics;

  /** The targeting attributes each fleet device has, as the test set them up. */
  private final Map<String, Map<String, String>> attributes = new HashMap<>();

  @BeforeAll
  void startFleet() {
    List<Device.Spec> specs = new ArrayList<>();
    Map<String, Map<String, String>> registry = new LinkedHashMap<>();
    for (int i = 0; i < MQTT5_DEVICES; i++) {
      String id = "m5-%03d".formatted(i);
      Map<String, String> properties = new LinkedHashMap<>();
      properties.put("model", i % 4 == 0 ? "th-200" : "th-100");
      properties.put("region", REGIONS[i % 3]);
      // Not on the allow-list: must not reach targeting (secret-gate stays off).
      properties.put("secret", "open");
      specs.add(new Device.Spec(id, Protocol.MQTT5, properties));
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
      specs.add(new Device.Spec(id, Protocol.MQTT3, Map.of()));
      Map<String, String> effective = new HashMap<>();
      if (i % 2 == 0) {
        registry.put(id, Map.of("region", "eu", "model", "th-200"));
        effective.putAll(registry.get(id));
      }
      attributes.put(id, effective);
    }
    fleet = Fleet.start(Fleet.setup(SEED, ""), "ops-fanout", registry, specs);
    broker = fleet.broker();
    operator = fleet.operator();
    metrics = fleet.metrics();
  }

  @AfterAll
  void stopFleet() {
    Scenarios.close(fleet);
  }

  /**
   * Devices of other tests have gone (delivery knows the fleet only: the operator is not a device), and whatever
   * earlier tests sent the fleet has arrived: each test counts from a quiet start.
   */
  @BeforeEach
  void settle() {
    metrics.awaitIndexed(fleet.size());
    fleet.barrier(fleet.mark());
  }

  @Test
  void aRolloutStepReachesExactlyTheDevicesWhoseValueChangedWithOneDeltaEach() {
    Map<String, Evaluated> before = fleet.evaluate();
    for (Device d : fleet.devices()) {
      d.assertHolds(before.get(d.clientId()));
      // The extension evaluates as the test predicts from flagd's rules and the attributes.
      Map<String, String> a = attributes.get(d.clientId());
      Map<String, JsonNode> values = before.get(d.clientId()).values();
      assertEquals(json(rollout(d, 10)), values.get("rollout"), d::clientId);
      assertEquals(json(eu(a) ? "eu-v1" : "standard"), values.get("region-mode"), d::clientId);
      assertEquals(json("th-200".equals(a.get("model")) ? 5L : 1L), values.get("model-level"));
      assertEquals(json(false), values.get("secret-gate"), d::clientId);
    }
    Map<Device, Integer> mark = fleet.mark();
    long deltasBefore = metrics.counter("fleetflags.deltas.sent");
    long fanOutsBefore = metrics.timerCount("fleetflags.fanout.duration");
    long fanOutMessagesBefore = metrics.counter("fleetflags.fanout.messages");

    JsonNode answer = accepted(operator.apply(ROLLOUT_STEP));

    assertEquals(
        List.of("region-mode", "rollout"), texts(answer.get("changed")), answer::toString);
    Map<String, Evaluated> after = fleet.evaluate();
    Map<String, Set<String>> changed = new LinkedHashMap<>();
    Set<String> predictedRollout = new TreeSet<>();
    Set<String> predictedRegion = new TreeSet<>();
    for (Device d : fleet.devices()) {
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

    Map<Device, List<FlagUpdate>> window = fleet.barrier(mark);

    int deltas = 0;
    for (Device d : fleet.devices()) {
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
          keys(delta),
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
    Map<String, Evaluated> settled = fleet.evaluate();
    for (Device d : fleet.devices()) {
      assertEquals(
          Set.of(Fleet.BARRIER_FLAG),
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
    Device moved =
        fleet.devices().stream()
            .filter(d -> d.spec().protocol() == Protocol.MQTT5)
            .filter(d -> "us".equals(attributes.get(d.clientId()).get("region")))
            .filter(d -> d.spec().userProperties().get("region").equals("us"))
            .findFirst()
            .orElseThrow();
    Device untouched = fleet.devices().get(fleet.size() - 1);
    Evaluated before = operator.evaluated(moved.clientId());
    Map<Device, Integer> mark = fleet.mark();

    JsonNode answer =
        accepted(operator.attributes(Map.of(moved.clientId(), Map.of("region", "eu"))));
    attributes.get(moved.clientId()).put("region", "eu");
    assertEquals(1, answer.get("devicesAffected").asInt(), answer::toString);
    // An attribute no flag reads changes nobody's flags.
    JsonNode nothing =
        accepted(operator.attributes(Map.of(untouched.clientId(), Map.of("colour", "red"))));
    assertEquals(0, nothing.get("devicesAffected").asInt(), nothing::toString);

    Evaluated after = operator.evaluated(moved.clientId());
    assertEquals(Set.of("region-mode"), after.changedSince(before));
    Map<Device, List<FlagUpdate>> window = fleet.barrier(mark);
    for (Device d : fleet.devices()) {
      if (d != moved) {
        assertEquals(List.of(), window.get(d), () -> d + " is not affected but received updates");
      }
    }
    List<FlagUpdate> got = window.get(moved);
    assertEquals(1, got.size(), got::toString);
    assertFalse(got.get(0).getSnapshot(), got::toString);
    assertEquals(Set.of("region-mode"), keys(got.get(0)), got::toString);
    moved.assertHolds(operator.evaluated(moved.clientId()));
  }

  /**
   * Devices that were away while flags changed present what they hold (MQTT 5 in CONNECT, MQTT
   * 3.1.1 by a publish to their resync topic before subscribing) and get a delta from there; a hash
   * the extension does not know gets a snapshot, a resync asks for one.
   */
  @Test
  void devicesThatMissedChangesConvergeWhenTheyReturn() {
    var back5 = new Device.Spec("back-5", Protocol.MQTT5, Map.of("region", "eu"));
    var back3 = new Device.Spec("back-3", Protocol.MQTT3, Map.of());
    HeldFlags held5;
    HeldFlags held3;
    try (Device d5 = Device.online(broker, back5);
        Device d3 = Device.online(broker, back3)) {
      held5 = d5.held();
      held3 = d3.held();
      d5.assertHolds(operator.evaluated("back-5"));
    }
    metrics.awaitIndexed(fleet.size());

    // Three revisions while they are away: a changed value, a new flag, a removed flag.
    accepted(
        operator.apply(
            document(
                offlineFlag("a1"),
                """
                "offline-new": {"state": "ENABLED", "variants": {"n": 7}, "defaultVariant": "n"}""")));
    accepted(operator.apply(document(offlineFlag("a2"))));
    accepted(operator.delete("{\"flags\": [\"offline-gone\"]}"));

    try (Device d5 = Device.connect(broker, back5, held5, held5.stateHashText());
        Device d3 = Device.connect(broker, back3, held3, null)) {
      d3.resync(held3.stateHashText());
      d5.subscribe();
      d3.subscribe();
      for (Device d : List.of(d5, d3)) {
        d.awaitReceived(1);
        FlagUpdate delta = d.received().get(0);
        assertFalse(delta.getSnapshot(), () -> d + " should get a delta: " + delta);
        assertEquals(Set.of("offline-a", "offline-new"), keys(delta), delta::toString);
        assertEquals(List.of("offline-gone"), delta.getRemovedList(), delta::toString);
        d.assertHolds(operator.evaluated(d.clientId()));
      }

      // A resync without a hash, or with one the extension does not know: a snapshot.
      for (String presented : new String[] {"", "deadbeef"}) {
        for (Device d : List.of(d5, d3)) {
          int count = d.receivedCount();
          d.resync(presented);
          d.awaitReceived(count + 1);
          FlagUpdate snapshot = d.received().get(count);
          assertTrue(snapshot.getSnapshot(), () -> d + " should get a snapshot: " + snapshot);
          d.assertHolds(operator.evaluated(d.clientId()));
        }
      }
      // A resync with its current hash: an empty update confirming it.
      int count = d5.receivedCount();
      d5.resync(d5.held().stateHashText());
      d5.awaitReceived(count + 1);
      assertConfirms(d5, d5.received().get(count));
      held5 = d5.held();
    }
    metrics.awaitIndexed(fleet.size());

    // Back with the current hash: a confirmation; with a hash never sent: a snapshot.
    try (Device d5 = Device.connect(broker, back5, held5, held5.stateHashText())) {
      d5.subscribe();
      d5.awaitReceived(1);
      assertConfirms(d5, d5.received().get(0));
    }
    metrics.awaitIndexed(fleet.size());
    try (Device d5 = Device.connect(broker, back5, held5, "0badcafe")) {
      d5.subscribe();
      d5.awaitReceived(1);
      assertTrue(d5.received().get(0).getSnapshot(), () -> d5.received().toString());
      d5.assertHolds(operator.evaluated("back-5"));
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
    assertEquals(fleet.size(), metrics.gauge("fleetflags.devices.indexed"), "the fleet's devices; the operator is not one");
    assertTrue(metrics.counter("fleetflags.snapshots.sent") >= fleet.size());
    assertEquals(0, metrics.counter("fleetflags.publish.failed"));
    long values = metrics.gauge("fleetflags.devices.attribute-values");
    // Devices share the values they state alike (a few models and regions): far fewer than devices.
    assertTrue(values > 1 && values < fleet.size() / 4, "attribute values: " + values);
  }

  // --- what devices hold, and what changed ------------------------------------------------------

  private static void assertConfirms(Device d, FlagUpdate update) {
    assertFalse(update.getSnapshot(), update::toString);
    assertEquals(0, update.getFlagsCount(), update::toString);
    assertEquals(0, update.getRemovedCount(), update::toString);
    assertEquals(d.held().stateHashText(), HeldFlags.hex(update.getStateHash()));
  }

  private static Set<String> devicesChanging(Map<String, Set<String>> changed, String flag) {
    return changed.entrySet().stream()
        .filter(e -> e.getValue().contains(flag))
        .map(Map.Entry::getKey)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static boolean rollout(Device d, int percent) {
    LinkedHashMap<String, Integer> weights = new LinkedHashMap<>();
    weights.put("on", percent);
    weights.put("off", 100 - percent);
    return Fractional.variant("rollout", d.clientId(), weights).equals("on");
  }

  private static boolean eu(Map<String, String> attributes) {
    return "eu".equals(attributes.get("region"));
  }

  private static JsonNode json(Object value) {
    return Operator.JSON.valueToTree(value);
  }

  private static int varintLength(long value) {
    int length = 1;
    while ((value >>>= 7) != 0) {
      length++;
    }
    return length;
  }
}
