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

  @SuppressWarnings("unchecked")
  private static Map<String, Object> flagOf(AdminResponse r, String key) {
    return ((Map<String, Map<String, Object>>) r.body().get("flags")).get(key);
  }
}
