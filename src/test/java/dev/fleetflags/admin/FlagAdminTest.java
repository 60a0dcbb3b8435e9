package dev.fleetflags.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FlagChange;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.StoreSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlagAdminTest {

  private static final String OTA = """
      {"flags": {"ota-v2": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
        "targeting": {"if": [{"in": [{"var": "model"}, ["th-100", "gw-20"]]}, "on", "off"]}}}}""";

  @TempDir Path folder;
  private FlagStore store;
  private LiveFlags live;
  private FlagAdmin admin;
  private final List<FlagChange> changes = new ArrayList<>();
  private final Actor ops = new Actor("ops-1", "alice");

  @BeforeEach
  void open() throws Exception {
    store = FlagStore.open(folder, StoreSettings.DEFAULT);
    FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
    live = new LiveFlags(FlagAdmin.load(store, compiler));
    live.addListener(change -> {
      changes.add(change);
      return java.util.concurrent.CompletableFuture.completedFuture(3);
    });
    DeviceContexts contexts = new DeviceContexts(store::deviceAttributes, Set.of("model"));
    admin = new FlagAdmin(store, compiler, live, contexts,
        id -> id.equals("online") ? contexts.connection(new ConnectionFacts("u1", Map.of("model", "gw-20"))) : null);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private AdminResponse send(AdminAction action, String json) {
    return admin.handle(new AdminRequest(action, json.getBytes(StandardCharsets.UTF_8), ops));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> problems(AdminResponse r) {
    return (List<Map<String, Object>>) r.body().get("problems");
  }

  @Test
  void applyIsDurableLiveAndAnswered() throws Exception {
    AdminResponse r = send(AdminAction.APPLY, OTA);
    assertEquals("accepted", r.status(), r.toString());
    assertEquals(1L, r.body().get("revision"));
    assertEquals(List.of("ota-v2"), r.body().get("changed"));
    assertEquals(3, r.body().get("devicesAffected"));
    assertEquals(1, live.current().revision());
    assertEquals(Set.of("ota-v2"), changes.get(0).changedFlags());

    store.close();
    store = FlagStore.open(folder, StoreSettings.DEFAULT);
    assertEquals(1, store.revision());
    assertTrue(store.flags().document().flags().containsKey("ota-v2"));
    assertEquals(1L, store.flags().flagRevisions().get("ota-v2"));
  }

  @Test
  void applyingTheSameDocumentAgainWritesNothing() {
    send(AdminAction.APPLY, OTA);
    AdminResponse again = send(AdminAction.APPLY, OTA);
    assertEquals("accepted", again.status());
    assertEquals(1L, again.body().get("revision"));
    assertEquals(List.of(), again.body().get("changed"));
    assertEquals(1, store.revision());
    assertEquals(1, changes.size());
  }

  @Test
  void invalidDocumentIsRejectedWithEveryProblemAndChangesNothing() {
    send(AdminAction.APPLY, OTA);
    AdminResponse r = send(AdminAction.APPLY, """
        {"flags": {
          "a": {"state": "ENABLED", "variants": {"on": true, "off": "no"}, "defaultVariant": "maybe"},
          "ota-v2": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                     "targeting": {"if": [{"in": [{"var": "model"}, {"wat": [1]}]}, "on", "blue"]}}}}""");
    assertEquals("rejected", r.status());
    List<String> where = problems(r).stream().map(p -> (String) p.get("location")).toList();
    assertTrue(where.contains("flags.a.variants.off"), where.toString());
    assertTrue(where.contains("flags.a.defaultVariant"), where.toString());
    assertTrue(where.contains("flags.ota-v2.targeting.if[0].in[1].wat"), where.toString());
    assertTrue(where.contains("flags.ota-v2.targeting.if[2]"), where.toString());
    assertEquals(1, store.revision(), "nothing was written");
    assertEquals(1, live.current().revision());
    assertEquals(1, store.history(10).size());
  }

  @Test
  void malformedJsonIsRejectedWithLineAndColumn() {
    AdminResponse r = send(AdminAction.APPLY, "{\"flags\": {\n  \"a\": }");
    assertEquals("rejected", r.status());
    assertTrue(((String) problems(r).get(0).get("location")).startsWith("line 2, column"), r.toString());
    assertEquals(0, store.revision());
  }

  @Test
  void replaceMakesTheDocumentTheWholeSet() {
    send(AdminAction.APPLY, OTA);
    AdminResponse r = send(AdminAction.REPLACE, """
        {"flags": {"eco": {"state": "ENABLED", "variants": {"a": "on"}, "defaultVariant": "a"}}}""");
    assertEquals("accepted", r.status(), r.toString());
    assertEquals(List.of("eco"), r.body().get("changed"));
    assertEquals(List.of("ota-v2"), r.body().get("removed"));
    assertEquals(Set.of("eco"), live.current().flagSet().document().flags().keySet());
  }

  @Test
  void deleteRemovesFlagsAndRefusesUnknownOnes() {
    send(AdminAction.APPLY, OTA);
    AdminResponse bad = send(AdminAction.DELETE, "{\"flags\": [\"ota-v2\", \"nope\"]}");
    assertEquals("rejected", bad.status());
    assertEquals("flags[1]", problems(bad).get(0).get("location"));
    assertEquals(1, store.revision());
    AdminResponse ok = send(AdminAction.DELETE, "{\"flags\": [\"ota-v2\"]}");
    assertEquals("accepted", ok.status());
    assertEquals(List.of("ota-v2"), ok.body().get("removed"));
    assertTrue(live.current().flagSet().document().flags().isEmpty());
  }

  @Test
  void anEvaluatorStillInUseCannotBeDeleted() {
    send(AdminAction.APPLY, """
        {"$evaluators": {"beta": {"==": [{"var": "ring"}, "beta"]}},
         "flags": {"f": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                         "targeting": {"if": [{"$ref": "beta"}, "on", "off"]}}}}""");
    AdminResponse r = send(AdminAction.DELETE, "{\"$evaluators\": [\"beta\"]}");
    assertEquals("rejected", r.status());
    assertTrue(((String) problems(r).get(0).get("reason")).contains("still read by flag f"), r.toString());
  }

  @Test
  void changingAnEvaluatorChangesTheFlagsThatReadIt() {
    send(AdminAction.APPLY, """
        {"$evaluators": {"beta": {"==": [{"var": "ring"}, "beta"]}},
         "flags": {"f": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                         "targeting": {"if": [{"$ref": "beta"}, "on", "off"]}},
                   "g": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x"}}}""");
    AdminResponse r = send(AdminAction.APPLY, "{\"flags\": {}, \"$evaluators\": {\"beta\": {\"==\": [{\"var\": \"ring\"}, \"canary\"]}}}");
    assertEquals("accepted", r.status(), r.toString());
    assertEquals(List.of("beta"), r.body().get("evaluatorsChanged"));
    assertEquals(Set.of("f"), changes.get(1).changedFlags());
  }

  @Test
  void staleExpectedRevisionIsRejected() {
    send(AdminAction.APPLY, OTA);
    AdminResponse r = send(AdminAction.APPLY, """
        {"expectedRevision": 0, "flags": {"x": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a"}}}""");
    assertEquals("rejected", r.status());
    assertEquals("expectedRevision", problems(r).get(0).get("location"));
    assertEquals(1L, r.body().get("revision"));
    AdminResponse ok = send(AdminAction.APPLY, """
        {"expectedRevision": 1, "flags": {"x": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a"}}}""");
    assertEquals("accepted", ok.status(), ok.toString());
  }

  @Test
  void deviceAttributesChangeWhatTheDeviceGets() {
    send(AdminAction.APPLY, OTA);
    assertEquals(false, flagOf(send(AdminAction.EVALUATE, "{\"device\": \"dev-9\"}"), "ota-v2").get("value"));
    AdminResponse r = send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev-9\": {\"model\": \"th-100\"}}}");
    assertEquals("accepted", r.status(), r.toString());
    assertEquals(List.of("dev-9"), r.body().get("devices"));
    assertEquals(Set.of("dev-9"), changes.get(1).changedDevices());
    Map<String, Object> ota = flagOf(send(AdminAction.EVALUATE, "{\"device\": \"dev-9\"}"), "ota-v2");
    assertEquals(true, ota.get("value"));
    assertEquals("on", ota.get("variant"));
    assertEquals("TARGETING_MATCH", ota.get("reason"));

    AdminResponse removed = send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev-9\": {\"model\": null}}}");
    assertEquals("accepted", removed.status());
    assertEquals(Map.of(), store.deviceAttributes("dev-9"));
  }

  @Test
  void badDeviceAttributesAreRejected() {
    AdminResponse r = send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev-1\": {\"targetingKey\": \"x\"}, \"\": {}}}");
    assertEquals("rejected", r.status());
    List<String> where = problems(r).stream().map(p -> (String) p.get("location")).toList();
    assertEquals(List.of("devices.dev-1.targetingKey", "devices."), where);
    assertEquals(0, store.revision());
  }

  @Test
  void evaluateUsesAConnectedDevicesConnectionFacts() {
    send(AdminAction.APPLY, OTA);
    AdminResponse r = send(AdminAction.EVALUATE, "{\"device\": \"online\"}");
    assertEquals(true, r.body().get("connected"));
    assertEquals(true, flagOf(r, "ota-v2").get("value"));
    AdminResponse whatIf = send(AdminAction.EVALUATE, "{\"device\": \"offline\", \"attributes\": {\"model\": \"gw-20\"}}");
    assertEquals(false, whatIf.body().get("connected"));
    assertEquals(true, flagOf(whatIf, "ota-v2").get("value"));
  }

  @Test
  void queriesShowDefinitionsAndHistory() {
    send(AdminAction.APPLY, OTA);
    send(AdminAction.DELETE, "{\"flags\": [\"ota-v2\"]}");
    send(AdminAction.APPLY, OTA);
    AdminResponse flags = send(AdminAction.QUERY_FLAGS, "{}");
    assertEquals(3L, flags.body().get("revision"));
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> f = (Map<String, Map<String, Object>>) flags.body().get("flags");
    assertEquals(3L, f.get("ota-v2").get("revision"));
    AdminResponse some = send(AdminAction.QUERY_FLAGS, "{\"flags\": [\"ota-v2\", \"gone\"]}");
    assertEquals(List.of("gone"), some.body().get("notFound"));

    AdminResponse history = send(AdminAction.QUERY_HISTORY, "{\"limit\": 2}");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> entries = (List<Map<String, Object>>) history.body().get("entries");
    assertEquals(2, entries.size());
    assertEquals(3L, entries.get(0).get("revision"));
    assertEquals("apply", entries.get(0).get("action"));
    assertEquals("ops-1", entries.get(0).get("clientId"));
    assertEquals("alice", entries.get(0).get("username"));
    @SuppressWarnings("unchecked")
    Map<String, Object> change = ((List<Map<String, Object>>) entries.get(1).get("changes")).get(0);
    assertEquals("delete", entries.get(1).get("action"));
    assertNull(change.get("after"));
    assertFalse(((Map<?, ?>) change.get("before")).isEmpty());
  }

  @Test
  void unknownMembersAndBadLimitsAreRejected() {
    assertEquals("flgs", problems(send(AdminAction.DELETE, "{\"flgs\": [\"x\"]}")).get(0).get("location"));
    assertEquals("limit", problems(send(AdminAction.QUERY_HISTORY, "{\"limit\": 0}")).get(0).get("location"));
    assertEquals("device", problems(send(AdminAction.EVALUATE, "{}")).get(0).get("location"));
    assertEquals("", problems(send(AdminAction.APPLY, "[1]")).get(0).get("location"));
    assertEquals("", problems(send(AdminAction.APPLY, "")).get(0).get("location"));
  }

  @Test
  void seedAppliesOnlyToAnEmptyStore() {
    AdminResponse seeded = admin.seedIfEmpty(OTA.getBytes(StandardCharsets.UTF_8));
    assertEquals("accepted", seeded.status());
    assertNull(admin.seedIfEmpty(OTA.getBytes(StandardCharsets.UTF_8)));
    assertEquals("fleetflags-seed", store.history(1).get(0).actor().clientId());
  }

  /** "location: reason" of each problem of a rejected answer. */
  private static List<String> rejected(AdminResponse r) {
    assertEquals("rejected", r.status(), r.toString());
    return problems(r).stream().map(p -> p.get("location") + ": " + p.get("reason")).toList();
  }

  @Test
  void requestsOfEveryKindRefuseTextThatIsNotUnicodeNumbersBeyondRangeAndControlCharactersInNames() {
    String control = " holds the control character U+0000 (character 4); names may not hold control characters (U+0000 to U+001F, U+007F)";
    String lone = "not valid Unicode: the member name holds a lone UTF-16 surrogate \\ud800 (character 4)";
    assertEquals(List.of("devices.dev\\u0000: device id" + control),
        rejected(send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev\\u0000\": {\"model\": \"x\"}}}")));
    assertEquals(List.of("devices.dev-1.mod\\u0000: attribute name" + control),
        rejected(send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev-1\": {\"mod\\u0000\": \"x\"}}}")));
    assertTrue(rejected(send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev\\ud800\": {}}}")).get(0)
        .startsWith("devices.dev\\ud800: " + lone), "device ids");
    assertTrue(rejected(send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev-1\": {\"fw\": 1e400}}}")).get(0)
        .startsWith("devices.dev-1.fw: number 1e400 is beyond the range"), "attribute values");
    assertEquals(List.of("device: device id" + control), rejected(send(AdminAction.EVALUATE, "{\"device\": \"dev\\u0000\"}")));
    assertTrue(rejected(send(AdminAction.EVALUATE, "{\"device\": \"dev\\udc00\"}")).get(0).startsWith("device: not valid Unicode"));
    assertEquals(List.of("attributes.mod\\u0000: attribute name" + control),
        rejected(send(AdminAction.EVALUATE, "{\"device\": \"d\", \"attributes\": {\"mod\\u0000\": \"x\"}}")));
    assertTrue(rejected(send(AdminAction.EVALUATE, "{\"device\": \"d\", \"attributes\": {\"fw\": 18446744073709551616}}")).get(0)
        .startsWith("attributes.fw: integer 18446744073709551616 does not fit in 64 bits"));
    assertTrue(rejected(send(AdminAction.DELETE, "{\"flags\": [\"ota\\ud800\"]}")).get(0).startsWith("flags[0]: not valid Unicode"));
    assertTrue(rejected(send(AdminAction.QUERY_FLAGS, "{\"flags\": [\"\\ud800\"]}")).get(0).startsWith("flags[0]: not valid Unicode"));
    assertTrue(rejected(send(AdminAction.APPLY, "{\"expectedRevision\": 9223372036854775808, \"flags\": {}}")).get(0)
        .startsWith("expectedRevision: integer 9223372036854775808 does not fit in 64 bits"));
    assertTrue(rejected(send(AdminAction.QUERY_HISTORY, "{\"limit\": 1e400}")).get(0).startsWith("limit: number 1e400"));
    AdminResponse overlong = admin.handle(new AdminRequest(AdminAction.APPLY,
        new byte[] {'{', '"', 'f', 'l', 'a', 'g', 's', '"', ':', ' ', '{', '"', 'o', (byte) 0xC0, (byte) 0x80, '"', ':', '{', '}', '}', '}'}, ops));
    assertEquals(List.of("line 1, column 14: not valid UTF-8: bytes C0 80 are an overlong encoding (a character written with more"
        + " bytes than UTF-8 allows; C0 80 is an overlong NUL)"), rejected(overlong));
    assertEquals(0, store.revision(), "nothing was written");
    assertEquals(List.of(), changes);
  }

  @Test
  void aUnicodeKeyKeepsItsBytesValueAndStateHashAcrossARestart() throws Exception {
    String key = "ota-\u00fc-\uD83D\uDE80";
    AdminResponse applied = send(AdminAction.APPLY, "{\"flags\": {\"" + key + "\": {\"state\": \"ENABLED\","
        + " \"variants\": {\"\u00e9t\u00e9\": \"\u65e5\u672c \\u0007 \\ud83d\\ude80\", \"big\": \"x\"}, \"defaultVariant\": \"\u00e9t\u00e9\"},"
        + " \"n\": {\"state\": \"ENABLED\", \"variants\": {\"max\": 9223372036854775807, \"min\": -9223372036854775808,"
        + " \"zero\": 0}, \"defaultVariant\": \"max\"}, \"d\": {\"state\": \"ENABLED\", \"variants\": {\"tiny\": 4.9e-324,"
        + " \"huge\": -1.7976931348623157e308}, \"defaultVariant\": \"tiny\"}}}");
    assertEquals("accepted", applied.status(), applied.toString());
    AdminResponse before = send(AdminAction.EVALUATE, "{\"device\": \"dev-1\"}");
    assertEquals("\u65e5\u672c \u0007 \uD83D\uDE80", flagOf(before, key).get("value"));
    assertEquals(Long.MAX_VALUE, flagOf(before, "n").get("value"));
    assertEquals(Double.MIN_VALUE, flagOf(before, "d").get("value"));
    AdminResponse definitions = send(AdminAction.QUERY_FLAGS, "{}");

    store.close();
    store = FlagStore.open(folder, StoreSettings.DEFAULT);
    FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
    live = new LiveFlags(FlagAdmin.load(store, compiler));
    DeviceContexts contexts = new DeviceContexts(store::deviceAttributes, Set.of());
    admin = new FlagAdmin(store, compiler, live, contexts, id -> null);

    AdminResponse after = send(AdminAction.EVALUATE, "{\"device\": \"dev-1\"}");
    assertEquals(before.body().get("stateHash"), after.body().get("stateHash"));
    assertEquals(before.body().get("flags"), after.body().get("flags"));
    assertTrue(((Map<?, ?>) after.body().get("flags")).containsKey(key));
    assertEquals(new String(definitions.toJson(), StandardCharsets.UTF_8),
        new String(send(AdminAction.QUERY_FLAGS, "{}").toJson(), StandardCharsets.UTF_8), "the same bytes");
  }

  @Test
  void aChangeTheStoreAppliesWithoutThisAdminIsServedAtOnceWithItsFlagsAndDevices() throws Exception {
    send(AdminAction.APPLY, OTA);
    send(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev-1\": {\"model\": \"th-100\"}}}");
    changes.clear();
    // As a write reported failed that the store found on disk when it settled it, or another
    // broker's change: the store applies it and tells its listeners, this admin among them.
    store.write(new dev.fleetflags.store.StoreWrite(null, "apply", ops,
        Map.of("landed", new dev.fleetflags.rules.FlagDocumentParser(Limits.DEFAULT).parse(
            "{\"flags\": {\"landed\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true}, \"defaultVariant\": \"on\"}}}"
                .getBytes(StandardCharsets.UTF_8)).document().flags().get("landed")),
        Map.of(), null, Map.of("dev-1", Map.of("model", "gw-20"))));
    assertEquals(3, live.current().revision());
    assertEquals(1, changes.size());
    assertEquals(Set.of("landed"), changes.get(0).changedFlags());
    assertEquals(Set.of("dev-1"), changes.get(0).changedDevices());

    AdminResponse next = send(AdminAction.APPLY, """
        {"flags": {"eco": {"state": "ENABLED", "variants": {"a": "on"}, "defaultVariant": "a"}}}""");

    assertEquals("accepted", next.status(), next.toString());
    assertEquals(4L, next.body().get("revision"));
    assertEquals(2, changes.size(), "the landed write, then this one");
    assertEquals(Set.of("eco"), changes.get(1).changedFlags());
    assertEquals(Set.of("eco", "landed", "ota-v2"), live.current().flagSet().document().flags().keySet());
    assertEquals(3L, live.current().flagRevisions().get("landed"));
    assertEquals(4L, live.current().flagRevisions().get("eco"));
  }

  @Test
  void aFailureOfTheExtensionIsAnsweredWithoutItsInsides() {
    admin = new FlagAdmin(store, new FlagSetCompiler(Limits.DEFAULT), live, new DeviceContexts(store::deviceAttributes, Set.of()),
        id -> {
          throw new IllegalStateException("internal detail of dev.fleetflags");
        });

    AdminResponse r = send(AdminAction.EVALUATE, "{\"device\": \"dev-1\"}");

    assertEquals("error", r.status());
    assertEquals(Map.of("reason", "the extension failed to handle the request (the broker log says why); nothing was changed"), r.body());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> flagOf(AdminResponse r, String key) {
    return ((Map<String, Map<String, Object>>) r.body().get("flags")).get(key);
  }
}
