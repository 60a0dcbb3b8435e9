package dev.fleetflags.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.delivery.ConnectedFleet;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FlagChange;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.Change;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.HistoryEntry;
import dev.fleetflags.store.StoreSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** flags/revert rebuilt from the history, dry runs that write nothing, devicesAffected in the history. */
class RevertAndDryRunTest {

  private static final String V1 = """
      {"flags": {"a": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                       "targeting": {"$ref": "models"}},
                 "b": {"state": "ENABLED", "variants": {"x": "x"}, "defaultVariant": "x"}},
       "$evaluators": {"models": {"if": [{"==": [{"var": "model"}, "m1"]}, "on", "off"]}},
       "metadata": {"team": "one"}}""";

  @TempDir Path folder;
  private FlagStore store;
  private LiveFlags live;
  private FlagAdmin admin;
  private final List<FlagChange> dryRuns = new ArrayList<>();
  private final Actor ops = new Actor("ops-1", "alice");

  @BeforeEach
  void open() throws Exception {
    openWith(StoreSettings.DEFAULT);
  }

  private void openWith(StoreSettings settings) throws Exception {
    store = FlagStore.open(folder, settings);
    FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
    live = new LiveFlags(FlagAdmin.load(store, compiler));
    live.addListener(change -> CompletableFuture.completedFuture(7));
    DeviceContexts contexts = new DeviceContexts(store::deviceAttributes, Set.of("model"));
    ConnectedFleet fleet = new ConnectedFleet() {
      @Override
      public CompletableFuture<Affected> affectedBy(FlagChange change, int sample) {
        dryRuns.add(change);
        return CompletableFuture.completedFuture(new Affected(42, List.of("d1", "d2")));
      }

      @Override
      public CompletableFuture<DevicePage> devices(DeviceQuery query) {
        return CompletableFuture.completedFuture(new DevicePage(List.of(), 0, false));
      }
    };
    admin = new FlagAdmin(store, compiler, live, contexts, id -> null, FlagAdmin.PLAN_WAIT, fleet);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private AdminResponse send(AdminAction action, String json) {
    return admin.handle(new AdminRequest(action, json.getBytes(StandardCharsets.UTF_8), ops));
  }

  private AdminResponse accepted(AdminAction action, String json) {
    AdminResponse r = send(action, json);
    assertEquals("accepted", r.status(), r.toString());
    return r;
  }

  private FlagDocument document() {
    return live.current().flagSet().document();
  }

  @Test
  void revertRestoresFlagsEvaluatorsAndMetadataAsOneAuditedWrite() {
    accepted(AdminAction.REPLACE, V1);
    FlagDocument v1 = document();
    accepted(AdminAction.APPLY, """
        {"flags": {"a": {"state": "DISABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
                   "c": {"state": "ENABLED", "variants": {"n": 1}, "defaultVariant": "n"}},
         "$evaluators": {"models": {"if": [{"==": [{"var": "model"}, "m2"]}, "on", "off"]}, "extra": true},
         "metadata": {"team": "two", "more": 1}}""");
    accepted(AdminAction.DELETE, "{\"flags\": [\"b\"]}");
    accepted(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"d1\": {\"model\": \"m1\"}}}");

    AdminResponse r = accepted(AdminAction.REVERT, "{\"toRevision\": 1}");
    assertEquals(5L, r.body().get("revision"));
    assertEquals(List.of("a", "b"), r.body().get("changed"));
    assertEquals(List.of("c"), r.body().get("removed"));
    assertEquals(List.of("extra", "models"), r.body().get("evaluatorsChanged"));
    assertEquals(v1, document());
    assertEquals(Map.of("model", "m1"), store.deviceAttributes("d1"), "the registry is not reverted");
    HistoryEntry entry = store.history(1).get(0);
    assertEquals("revert", entry.action());
    assertEquals(ops, entry.actor());

    // Back to revision 2 from there: across the revert itself.
    accepted(AdminAction.REVERT, "{\"toRevision\": 2}");
    assertEquals(Set.of("a", "b", "c"), document().flags().keySet());
    assertEquals(Map.of("team", "two", "more", 1L), document().metadata());
    // And to nothing at all: before revision 1.
    accepted(AdminAction.REVERT, "{\"toRevision\": 0}");
    assertEquals(FlagDocument.EMPTY, document());
  }

  @Test
  void revertToTheCurrentRevisionChangesNothing() {
    accepted(AdminAction.REPLACE, V1);
    AdminResponse r = accepted(AdminAction.REVERT, "{\"toRevision\": 1}");
    assertEquals(1L, r.body().get("revision"));
    assertEquals(1, store.revision());
  }

  @Test
  void revertRejectsRevisionsItCannotRebuild() throws Exception {
    store.close();
    openWith(new StoreSettings(100, 2, Clock.systemUTC()));
    accepted(AdminAction.REPLACE, V1);
    accepted(AdminAction.APPLY, "{\"flags\": {\"b\": {\"state\": \"DISABLED\", \"variants\": {\"x\": \"x\"}, \"defaultVariant\": \"x\"}}}");
    accepted(AdminAction.APPLY, "{\"flags\": {\"b\": {\"state\": \"ENABLED\", \"variants\": {\"x\": \"y\"}, \"defaultVariant\": \"x\"}}}");
    long revision = store.revision();
    AdminResponse tooOld = send(AdminAction.REVERT, "{\"toRevision\": 1}");
    assertEquals("rejected", tooOld.status());
    assertTrue(tooOld.toString().contains("revision 1 is older than the history kept: its oldest entry is revision 2"), tooOld.toString());
    AdminResponse future = send(AdminAction.REVERT, "{\"toRevision\": 9}");
    assertTrue(future.toString().contains("after the current revision 3"), future.toString());
    assertEquals(revision, store.revision(), "nothing was written");
  }

  @Test
  void aRevisionNoWriteMadeIsNamedSo() {
    HistoryEntry five = new HistoryEntry(5, 0, "apply", new Actor("c", null), List.of(new Change(Change.FLAG, "a", null, Map.of())));
    HistoryEntry nine = new HistoryEntry(9, 0, "apply", new Actor("c", null), List.of());
    assertNull(PastFlags.unknown(5, 9, List.of(nine, five), 5));
    assertEquals("no write made revision 7: the next revision after it is 9 (with several brokers revisions are not consecutive;"
        + " query/history lists them)", PastFlags.unknown(7, 9, List.of(nine), 5));
  }

  @Test
  void dryRunsAnswerWhatTheWriteWouldWithoutWriting() {
    accepted(AdminAction.REPLACE, V1);
    long historyBefore = store.history(10).size();
    AdminResponse dry = accepted(AdminAction.APPLY,
        "{\"flags\": {\"b\": {\"state\": \"DISABLED\", \"variants\": {\"x\": \"x\"}, \"defaultVariant\": \"x\"}}, \"dryRun\": true}");
    assertEquals(1L, dry.body().get("revision"));
    assertEquals(List.of("b"), dry.body().get("changed"));
    assertEquals(42, dry.body().get("devicesAffected"));
    assertEquals(List.of("d1", "d2"), dry.body().get("sample"));
    assertEquals(true, dry.body().get("dryRun"));
    assertEquals(Set.of("b"), dryRuns.get(0).changedFlags());
    assertEquals(1, store.revision());
    assertEquals(historyBefore, store.history(10).size());

    AdminResponse delete = accepted(AdminAction.DELETE, "{\"flags\": [\"a\"], \"dryRun\": true}");
    assertEquals(List.of("a"), delete.body().get("removed"));
    AdminResponse revert = accepted(AdminAction.REVERT, "{\"toRevision\": 0, \"dryRun\": true}");
    assertEquals(List.of("a", "b"), revert.body().get("removed"));
    AdminResponse registry = accepted(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"d1\": {\"model\": \"m1\"}}, \"dryRun\": true}");
    assertEquals(List.of("d1"), registry.body().get("devices"));
    assertEquals(0, registry.body().get("devicesAffected"), "d1 is not connected");
    assertEquals(Map.of(), store.deviceAttributes("d1"));
    AdminResponse rejected = send(AdminAction.APPLY, "{\"flags\": {\"b\": {\"state\": \"ON\"}}, \"dryRun\": true}");
    assertEquals("rejected", rejected.status());
    assertEquals(1, store.revision());
    assertEquals(document(), live.current().flagSet().document());
  }

  @Test
  void theHistoryRecordsTheDevicesEachWriteAffected() {
    accepted(AdminAction.REPLACE, V1);
    AdminResponse history = send(AdminAction.QUERY_HISTORY, "{\"limit\": 1}");
    @SuppressWarnings("unchecked")
    Map<String, Object> entry = ((List<Map<String, Object>>) history.body().get("entries")).get(0);
    assertEquals(7L, entry.get("devicesAffected"), history.toString());
    assertEquals(7L, store.history(1).get(0).devicesAffected());
  }
}
