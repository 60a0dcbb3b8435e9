package dev.fleetflags.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.delivery.DeliveryMetrics;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.StoreSettings;
import dev.fleetflags.store.StoreWrite;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bounds admin writes keep: the whole flag set's size, and what a device's attributes may hold. */
class AdminBoundsTest {

  @TempDir Path folder;
  private FlagStore store;
  private LiveFlags live;
  private FlagAdmin admin;
  private final Actor ops = new Actor("ops-1", "alice");

  private void open(Limits limits) throws Exception {
    if (store == null) {
      store = FlagStore.open(folder, StoreSettings.DEFAULT);
    }
    FlagSetCompiler compiler = new FlagSetCompiler(limits);
    live = new LiveFlags(FlagAdmin.load(store, compiler));
    live.addListener(change -> java.util.concurrent.CompletableFuture.completedFuture(0));
    DeviceContexts contexts = new DeviceContexts(store::deviceAttributes, Set.of(), limits, DeliveryMetrics.NONE, System::nanoTime);
    admin = new FlagAdmin(store, compiler, live, contexts, id -> null);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private AdminResponse send(AdminAction action, String json) {
    return admin.handle(new AdminRequest(action, json.getBytes(StandardCharsets.UTF_8), ops));
  }

  @SuppressWarnings("unchecked")
  private static List<String> problems(AdminResponse r) {
    return ((List<Map<String, Object>>) r.body().get("problems")).stream()
        .map(p -> p.get("location") + ": " + p.get("reason")).toList();
  }

  /** A flag of about {@code bytes} bytes: a string variant that long. */
  private static String flag(String key, int bytes) {
    return "\"" + key + "\": {\"state\": \"ENABLED\", \"variants\": {\"v\": \"" + "x".repeat(bytes) + "\"}, \"defaultVariant\": \"v\"}";
  }

  // ---- the whole set ----------------------------------------------------------------------------

  @Test
  void appliesThatWouldGrowTheSetPastItsLimitAreRefusedAtTheOneThatCrossesIt() throws Exception {
    open(Limits.DEFAULT.withFlagSetBytes(2_000));
    for (int i = 0; i < 3; i++) {
      assertEquals("accepted", send(AdminAction.APPLY, "{\"flags\": {" + flag("f" + i, 500) + "}}").status());
    }
    AdminResponse fourth = send(AdminAction.APPLY, "{\"flags\": {" + flag("f3", 500) + "}}");
    assertEquals("rejected", fourth.status(), fourth.toString());
    List<String> found = problems(fourth);
    assertEquals(1, found.size(), found::toString);
    assertTrue(found.get(0).matches(": the flag set would be 2\\d\\d\\d bytes as canonical JSON, more than the limit of 2000 bytes"
        + " \\(limits/max-flag-set-bytes\\); it is 1\\d\\d\\d bytes now"), found::toString);
    assertEquals(3, store.revision(), "nothing was written");
    assertEquals(3, live.current().flagSet().size());
    // replacing one flag by a smaller one is fine
    assertEquals("accepted", send(AdminAction.APPLY, "{\"flags\": {" + flag("f0", 10) + "}}").status());
  }

  @Test
  void aReplaceOverTheLimitIsRefused() throws Exception {
    open(Limits.DEFAULT.withFlagSetBytes(2_000));
    String big = IntStream.range(0, 5).mapToObj(i -> flag("r" + i, 500)).collect(Collectors.joining(", ", "{\"flags\": {", "}}"));
    AdminResponse r = send(AdminAction.REPLACE, big);
    assertEquals("rejected", r.status());
    assertTrue(problems(r).get(0).startsWith(": the flag set would be "), r::toString);
    assertEquals(0, store.revision());
  }

  @Test
  void aSetAlreadyOverTheLimitLoadsAndMayShrink() throws Exception {
    open(Limits.DEFAULT);
    send(AdminAction.APPLY, "{\"flags\": {" + flag("a", 1500) + ", " + flag("b", 1500) + "}}");
    // the limit is lowered below what the store holds: it still loads and serves
    open(Limits.DEFAULT.withFlagSetBytes(2_000));
    assertEquals(2, live.current().flagSet().size());
    assertEquals("rejected", send(AdminAction.APPLY, "{\"flags\": {" + flag("c", 10) + "}}").status());
    assertEquals("accepted", send(AdminAction.APPLY, "{\"flags\": {" + flag("a", 10) + "}}").status());
    assertEquals("accepted", send(AdminAction.DELETE, "{\"flags\": [\"b\"]}").status());
    assertEquals("accepted", send(AdminAction.APPLY, "{\"flags\": {" + flag("c", 10) + "}}").status());
  }

  // ---- a store from before the evaluation limits ---------------------------------------------------

  @Test
  void aStoredFlagOverTheEvaluationLimitsLoadsAndFailsAloneWhereItRunsOut() throws Exception {
    // Written as an older version would have written it, without today's bounds.
    String document = """
        {"flags": {
          "bomb": {"state": "ENABLED", "variants": {"on": "on", "off": "off"}, "defaultVariant": "off",
                   "targeting": {"reduce": [[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30],
                                            {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "ab"]}},
          "plain": {"state": "ENABLED", "variants": {"on": "on", "off": "off"}, "defaultVariant": "off",
                    "targeting": {"if": [{"==": [{"var": "model"}, "x"]}, "on", "off"]}}}}""";
    store = FlagStore.open(folder, StoreSettings.DEFAULT);
    var parsed = new FlagDocumentParser(Limits.DEFAULT).parse(document.getBytes(StandardCharsets.UTF_8));
    store.write(new StoreWrite(null, "apply", ops, Map.copyOf(parsed.document().flags()), Map.of(), null, Map.of()));

    open(Limits.DEFAULT);
    assertEquals(2, live.current().flagSet().size());
    AdminResponse r = send(AdminAction.EVALUATE, "{\"device\": \"d\", \"attributes\": {\"model\": \"x\"}}");
    assertEquals("ok", r.status(), r.toString());
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> flags = (Map<String, Map<String, Object>>) r.body().get("flags");
    assertEquals(Map.of("value", "on", "variant", "on", "reason", "TARGETING_MATCH"), withoutNulls(flags.get("plain")));
    assertEquals(Map.of("reason", "ERROR", "errorCode", "GENERAL"), withoutNulls(flags.get("bomb")));
    // and it cannot be written again as it is
    assertEquals("rejected", send(AdminAction.APPLY, document).status());
  }

  private static Map<String, Object> withoutNulls(Map<String, Object> m) {
    Map<String, Object> copy = new java.util.LinkedHashMap<>(m);
    copy.values().removeIf(java.util.Objects::isNull);
    return copy;
  }

  // ---- device attributes ------------------------------------------------------------------------

  @Test
  void registryAttributesOverTheCapsAreRefusedWithTheirLocation() throws Exception {
    open(Limits.DEFAULT.withAttributes(8, 3));
    AdminResponse r = send(AdminAction.DEVICE_ATTRIBUTES, """
        {"devices": {
          "dev-1": {"model": "123456789", "groups": ["a", "b", "c", "d", "e", "f", "g", "h", "i"]},
          "dev-2": {"groups": ["abcd", {"x": 1}], "site": {"city": "Basel"}, "list": [["a"]]},
          "dev-3": {"groups": ["abcde", "fghi"]},
          "dev-4": {"a": 1, "b": true, "c": "x", "d": 2.5}}}""");
    assertEquals("rejected", r.status());
    assertEquals(List.of(
        "devices.dev-1.model: is 9 characters, more than the limit of 8 (limits/max-attribute-length)",
        "devices.dev-1.groups: has 9 elements, more than the limit of 8 (limits/max-attribute-length)",
        "devices.dev-2.groups[1]: an array attribute holds strings, numbers and booleans, found an object",
        "devices.dev-2.site: must be a string, a number, a boolean or an array of those, found an object",
        "devices.dev-2.list[0]: an array attribute holds strings, numbers and booleans, found an array",
        "devices.dev-3.groups: has strings of 9 characters in all, more than the limit of 8 (limits/max-attribute-length)",
        "devices.dev-4: would have 4 attributes, more than the limit of 3 per device (limits/max-attributes)"),
        problems(r));
    assertEquals(0, store.revision());

    AdminResponse atTheCaps = send(AdminAction.DEVICE_ATTRIBUTES, """
        {"devices": {"dev-1": {"model": "12345678", "groups": ["abcd", "efgh", 1, 2, true, false, 3.5, -1], "n": 7}}}""");
    assertEquals("accepted", atTheCaps.status(), atTheCaps.toString());
  }

  @Test
  void whatIfAttributesAreBoundedAsRegistryOnesAre() throws Exception {
    open(Limits.DEFAULT.withAttributes(8, 3));
    AdminResponse r = send(AdminAction.EVALUATE, "{\"device\": \"d\", \"attributes\": {\"model\": \"123456789\"}}");
    assertEquals("rejected", r.status());
    assertEquals(List.of("attributes.model: is 9 characters, more than the limit of 8 (limits/max-attribute-length)"), problems(r));
  }
}
