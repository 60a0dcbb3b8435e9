package dev.fleetflags.it;

import static dev.fleetflags.it.Scenarios.document;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Bounded evaluation and bounded inputs on a real broker with the packaged zip (issue 13, items 1,
 * 2 and 7): flags whose evaluation would take a device's worker down are refused with the place
 * where they go over a limit while connected devices keep being served; attributes a device states
 * beyond the caps are not held; the registry refuses values over them; the whole flag set cannot
 * be grown past its limit by applies that are each within the request limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvaluationBoundsTest {

  /** Requests of up to 256 KB, a flag set of up to 600 KB: three 200 KB applies cross it. */
  private static final int SET_BYTES = 600_000;

  private static final ExtensionSetup SETUP = Scenarios.open(
      List.of("model", "region", "firmware"),
      """
      <limits>
          <max-document-bytes>262144</max-document-bytes>
          <max-flag-set-bytes>%d</max-flag-set-bytes>
      </limits>"""
          .formatted(SET_BYTES));

  private EmbeddedBroker broker;
  private ExtensionMetrics metrics;
  private Operator operator;

  @BeforeAll
  void startBroker() {
    broker = EmbeddedBroker.start(SETUP);
    metrics = new ExtensionMetrics(broker);
    operator = Operator.mqtt5(broker, "ops-bounds");
    Operator.accepted(operator.apply(document(flag("by-model",
        "{\"if\": [{\"==\": [{\"var\": \"model\"}, \"th-100\"]}, \"on\", \"off\"]}"))));
  }

  @AfterAll
  void stopBroker() {
    Scenarios.close(operator, broker);
  }

  private static String flag(String key, String targeting) {
    return """
        "%s": {"state": "ENABLED", "variants": {"on": "on", "off": "off"}, "defaultVariant": "off", "targeting": %s}"""
        .formatted(key, targeting);
  }

  private static String numbers(int n) {
    return IntStream.rangeClosed(1, n).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
  }

  private static List<String> problems(JsonNode answer) {
    assertEquals("rejected", answer.path("status").asText(), answer::toString);
    List<String> problems = new ArrayList<>();
    answer.get("problems").forEach(p -> problems.add(p.get("location").asText() + ": " + p.get("reason").asText()));
    return problems;
  }

  // ---- items 1 and 2: flags that cost too much ----------------------------------------------------

  @Test
  void flagsThatCostTooMuchAreRefusedWithTheirPlaceAndDevicesKeepBeingServed() {
    try (Mqtt5Device device = Mqtt5Device.with(broker, "bounds-device").userProperty("model", "th-100").connect()) {
      FlagUpdate snapshot = Scenarios.subscribe(device);
      HeldFlags held = new HeldFlags().apply(snapshot);
      assertEquals("on", held.values().get("by-model"));
      long revision = operator.revision();

      // The flag found in the wild: 389 bytes, a string doubled 40 times in a reduce.
      String doubling = "{\"flags\":{\"bomb\":{\"state\":\"ENABLED\",\"variants\":{\"on\":\"on\",\"off\":\"off\"},"
          + "\"defaultVariant\":\"off\",\"targeting\":{\"reduce\":[" + numbers(40) + ",{\"cat\":[{\"var\":\"accumulator\"},"
          + "{\"var\":\"accumulator\"}]},\"ab\"]}}}}";
      assertTrue(doubling.length() < 400, doubling);
      List<String> refused = problems(operator.apply(doubling));
      assertEquals(List.of("flags.bomb.targeting.reduce[1].cat: evaluating this may create 1,048,576 characters and"
          + " array elements for one device, more than the limit of 1000000 (limits/max-evaluation-size)"), refused);

      // Three maps nested over 200-element lists: 8 million evaluations of the innermost logic.
      String nested = document(flag("nested", "{\"if\": [{\"some\": [{\"map\": [" + numbers(200) + ", {\"map\": ["
          + numbers(200) + ", {\"map\": [" + numbers(200) + ", {\"cat\": [\"x\", {\"var\": \"\"}]}]}]}]},"
          + " {\"==\": [{\"var\": \"\"}, \"x\"]}]}, \"on\", \"off\"]}"));
      List<String> tooSlow = problems(operator.apply(nested));
      assertTrue(tooSlow.get(0).startsWith("flags.nested.targeting.if[0].some[0].map[1].map: evaluating this may take "),
          tooSlow::toString);
      assertTrue(tooSlow.get(0).endsWith(" steps for one device, more than the limit of 100000 (limits/max-evaluation-steps)"),
          tooSlow::toString);
      assertEquals(revision, operator.revision(), "nothing was written");

      // The device still gets what changes, and new devices their sets.
      Operator.accepted(operator.apply(document(flag("bounds-later",
          "{\"if\": [{\"==\": [{\"var\": \"model\"}, \"th-100\"]}, \"on\", \"off\"]}"))));
      FlagUpdate delta = device.awaitUpdate();
      assertFalse(delta.getSnapshot(), delta::toString);
      held.apply(delta);
      assertEquals("on", held.values().get("bounds-later"));
      assertEquals(held.stateHashText(), operator.evaluated("bounds-device").stateHash());
      assertEquals("off", Scenarios.newDevice(broker, "bounds-newcomer").values().get("bounds-later"));
    }
  }

  // ---- item 7: attributes a device states -------------------------------------------------------

  @Test
  void userPropertiesOverTheLengthCapAreNotAttributesAndAreCounted() {
    long before = metrics.counter("fleetflags.attributes.ignored");
    String big = "x".repeat(64 * 1024 - 1);
    try (Mqtt5Device device = Mqtt5Device.with(broker, "bounds-big-properties")
        .userProperty("model", big).userProperty("region", big).userProperty("firmware", big).connect()) {
      HeldFlags held = new HeldFlags().apply(Scenarios.subscribe(device));
      assertEquals("off", held.values().get("by-model"), "served, as a device without a model");
      assertEquals(before + 3, metrics.counter("fleetflags.attributes.ignored"));
      JsonNode evaluated = operator.evaluate("bounds-big-properties");
      assertEquals(0, evaluated.get("attributes").size(), evaluated::toString);
    }
    // A value within the cap is an attribute as before.
    try (Mqtt5Device device = Mqtt5Device.with(broker, "bounds-small-properties").userProperty("model", "th-100").connect()) {
      assertEquals("on", new HeldFlags().apply(Scenarios.subscribe(device)).values().get("by-model"));
    }
    assertEquals(before + 3, metrics.counter("fleetflags.attributes.ignored"));
    assertTrue(broker.log().contains("CONNECT user property 'model' of client 'bounds-big-properties' is 65535 characters,"
        + " more than limits/max-attribute-length (256): not made an attribute"), broker::logTail);
  }

  @Test
  void registryValuesOverTheCapsAreRefusedWithTheirPlace() {
    JsonNode answer = operator.attributes("{\"devices\": {\"bounds-registry\": {\"model\": \"" + "m".repeat(257)
        + "\", \"site\": {\"city\": \"Basel\"}}}}");
    assertEquals(List.of(
            "devices.bounds-registry.model: is 257 characters, more than the limit of 256 (limits/max-attribute-length)",
            "devices.bounds-registry.site: must be a string, a number, a boolean or an array of those, found an object"),
        problems(answer));
    Operator.accepted(operator.attributes("{\"devices\": {\"bounds-registry\": {\"model\": \"th-100\", \"groups\": [\"beta\", 3]}}}"));
    assertEquals("on", Scenarios.newDevice(broker, "bounds-registry").values().get("by-model"));
  }

  // ---- item 1: the whole set --------------------------------------------------------------------

  @Test
  void appliesThatWouldGrowTheSetPastItsLimitAreRefusedAtTheOneThatCrossesIt() {
    String value = "v".repeat(200_000);
    int accepted = 0;
    JsonNode answer = null;
    for (int i = 0; i < 5; i++) {
      answer = operator.apply(document("\"large-" + i + "\": {\"state\": \"ENABLED\", \"variants\": {\"v\": \"" + value
          + "\"}, \"defaultVariant\": \"v\"}"));
      if (!answer.path("status").asText().equals("accepted")) {
        break;
      }
      accepted++;
    }
    assertEquals(2, accepted, "two 200 KB flags fit 600 KB with the rest; a third does not");
    List<String> refused = problems(answer);
    assertEquals(1, refused.size(), refused::toString);
    assertTrue(refused.get(0).startsWith(": the flag set would be 6"), refused::toString);
    assertTrue(refused.get(0).contains("more than the limit of " + SET_BYTES + " bytes (limits/max-flag-set-bytes)"), refused::toString);
    // Devices are still served, and deleting makes room again.
    HeldFlags held = Scenarios.newDevice(broker, "bounds-large");
    assertEquals(200_000, ((String) held.values().get("large-0")).length());
    Operator.accepted(operator.delete("{\"flags\": [\"large-0\", \"large-1\"]}"));
    Operator.accepted(operator.apply(document("\"large-2\": {\"state\": \"ENABLED\", \"variants\": {\"v\": \"" + value
        + "\"}, \"defaultVariant\": \"v\"}")));
    Operator.accepted(operator.delete("{\"flags\": [\"large-2\"]}"));
  }
}
