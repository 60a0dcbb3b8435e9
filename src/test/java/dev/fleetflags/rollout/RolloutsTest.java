package dev.fleetflags.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.admin.AdminAction;
import dev.fleetflags.admin.AdminRequest;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.admin.FlagAdmin;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.delivery.TestClock;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.Change;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.HistoryEntry;
import dev.fleetflags.store.StoreSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollout engine on a real store and admin, with figures the test feeds it and a clock it
 * moves: waves written as their bakes end, gates halting and reverting, pause, resume, advance and
 * abort, a restart resuming with the bake time left, a flag written outside the rollout, and
 * requests refused with their reasons.
 */
class RolloutsTest {

  private static final String OFF = "{\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"off\"}";
  private static final String ON = OFF.replace("\"defaultVariant\": \"off\"", "\"defaultVariant\": \"on\"");
  private static final String WAVES = "[{\"percent\": 1, \"bakeSeconds\": 60}, {\"percent\": 10, \"bakeSeconds\": 120},"
      + " {\"percent\": 100, \"bakeSeconds\": 30}]";

  @TempDir Path folder;
  private final TestClock clock = new TestClock(Instant.parse("2025-06-01T12:00:00Z"));
  private final Map<Long, WaveFigures> fed = new ConcurrentHashMap<>();
  private final List<String> halted = new ArrayList<>();
  private boolean drives = true;
  private FlagStore store;
  private FlagAdmin admin;
  private Rollouts rollouts;
  private final Actor ops = new Actor("ops-1", "alice");

  @BeforeEach
  void open() throws Exception {
    store = FlagStore.open(folder, new StoreSettings(1_000, 1_000, clock));
    rollouts = engine("run-1");
    send(AdminAction.APPLY, "{\"flags\": {\"ota\": " + OFF + "}}");
  }

  private Rollouts engine(String driver) throws Exception {
    FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
    LiveFlags live = new LiveFlags(FlagAdmin.load(store, compiler));
    admin = new FlagAdmin(store, compiler, live, new DeviceContexts(store::deviceAttributes, Set.of()), id -> null);
    Rollouts engine = new Rollouts(admin, store, clock, wave -> fed.getOrDefault(wave.revision(), WaveFigures.NONE),
        () -> drives, new RolloutMetrics() {
          @Override
          public void halted(String gate) {
            halted.add(gate);
          }
        }, driver);
    admin.planRequests(engine::handle);
    return engine;
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
    assertEquals("accepted", r.status(), r::toString);
    return r;
  }

  private AdminResponse start(String gates, String onFailure) {
    return accepted(AdminAction.ROLLOUT_START, "{\"flag\": \"ota\", \"definition\": " + ON + ", \"waves\": " + WAVES
        + (gates == null ? "" : ", \"gates\": " + gates) + (onFailure == null ? "" : ", \"onFailure\": \"" + onFailure + "\"") + "}");
  }

  /** One check, carried out here as on the admin thread. */
  private void check() {
    rollouts.check(Runnable::run);
  }

  private Rollout rollout() {
    return rollouts.all().get(rollouts.all().size() - 1);
  }

  private FlagDefinition ota() {
    return store.flags().document().flags().get("ota");
  }

  private long otaRevision() {
    return store.flags().flagRevisions().get("ota");
  }

  private static FlagDefinition definition(String json) {
    try {
      return Rollout.definition("ota", Json.parse(json, Limits.DEFAULT));
    } catch (InvalidDocumentException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void wavesAreWrittenAsTheirBakesEndUntilTheNewDefinitionServesEveryDevice() {
    AdminResponse started = start(null, null);
    assertEquals(2L, started.body().get("revision"));
    @SuppressWarnings("unchecked")
    Map<String, Object> view = (Map<String, Object>) started.body().get("rollout");
    assertEquals("ota@1", view.get("id"));
    assertEquals("baking", view.get("status"));
    assertEquals(1L, view.get("wave"));
    assertEquals("1", view.get("percent"));
    Rollout r = rollout();
    assertEquals(r.definition(0), ota(), "wave 1 is the 1% split");
    HistoryEntry first = store.history(1).get(0);
    assertEquals(ops, first.actor(), "the start is the operator's write");
    assertEquals("rollouts/start", first.action());
    assertEquals(List.of(Change.FLAG, Change.PLAN), first.changes().stream().map(Change::kind).toList());

    clock.advance(Duration.ofSeconds(59));
    check();
    assertEquals(2L, otaRevision(), "59 of 60 s baked: still wave 1");
    clock.advance(Duration.ofSeconds(1));
    check();
    assertEquals(3L, otaRevision());
    assertEquals(rollout().definition(1), ota(), "wave 2, 10%");
    HistoryEntry second = store.history(1).get(0);
    assertEquals(new Actor("rollout/ota@1", "alice"), second.actor(), "the rollout's own write names it");
    assertEquals("apply", second.action());
    assertEquals("wave 2 of 3 (10%) written", rollout().last());

    clock.advance(Duration.ofSeconds(120));
    check();
    assertEquals(definition(ON), ota(), "the last wave writes the new definition itself");
    assertEquals(Rollout.Status.BAKING, rollout().status());
    clock.advance(Duration.ofSeconds(30));
    check();
    assertEquals(Rollout.Status.COMPLETED, rollout().status());
    assertEquals(definition(ON), ota());
    long revision = store.revision();
    clock.advance(Duration.ofHours(1));
    check();
    assertEquals(revision, store.revision(), "a completed rollout writes nothing more");
  }

  @Test
  void aFailedGateHaltsAndRevertsWithAnAuditEntryAndAMetricNamingItsFigures() {
    start("{\"maxFailedPercent\": 2}", "revert");
    clock.advance(Duration.ofSeconds(60));
    check();
    long wave2 = otaRevision();
    fed.put(wave2, new WaveFigures(100, 90, 1, 2, 0, 1000, 0));
    clock.advance(Duration.ofSeconds(5));
    check();
    Rollout r = rollout();
    assertEquals(Rollout.Status.REVERTED, r.status());
    assertEquals(definition(OFF), ota(), "the definition before the rollout is back");
    assertEquals(List.of(Gates.FAILED), halted);
    assertEquals(Gates.FAILED, r.halt().get("gate"));
    assertEquals(2L, r.halt().get("wave"));
    assertEquals(3.0, ((Map<?, ?>) r.halt().get("figures")).get("percent"));
    HistoryEntry entry = store.history(1).get(0);
    assertEquals("rollout/ota@1", entry.actor().clientId());
    Change plan = entry.changes().stream().filter(c -> c.kind().equals(Change.PLAN)).findFirst().orElseThrow();
    assertTrue(String.valueOf(((Map<?, ?>) plan.after()).get("last")).startsWith("halted in wave 2 of 3 (10%): gate"
        + " maxFailedPercent failed: 3.00% of the 100 targeted devices rejected or failed the wave (1 rejected, 2 failed), more"
        + " than 2%; reverted"), plan.after().toString());
    long after = store.revision();
    clock.advance(Duration.ofMinutes(10));
    check();
    assertEquals(after, store.revision(), "an ended rollout is left alone");
  }

  @Test
  void haltedWithoutRevertTheFlagStaysAtItsWaveUntilAborted() {
    start("{\"maxDisconnectedPercent\": 5, \"disconnectGraceSeconds\": 10}", null);
    FlagDefinition wave1 = ota();
    fed.put(otaRevision(), new WaveFigures(10, 10, 0, 0, 1, 1000, 1));
    check();
    assertEquals(Rollout.Status.HALTED, rollout().status(), "10% of the wave gone against none of the rest");
    assertEquals(List.of(Gates.DISCONNECTED), halted);
    assertEquals(wave1, ota());
    AdminResponse aborted = accepted(AdminAction.ROLLOUT_ABORT, "{\"flag\": \"ota\"}");
    assertEquals(definition(OFF), ota());
    assertEquals(Rollout.Status.ABORTED, rollout().status());
    assertTrue(aborted.toString().contains("\"status\":\"aborted\""), aborted::toString);
  }

  @Test
  void theAppliedGateWaitsForTheAckTimeoutAndHoldsTheWaveUntilThen() {
    start("{\"minAppliedPercent\": 90, \"ackTimeoutSeconds\": 90}", "revert");
    fed.put(otaRevision(), new WaveFigures(10, 9, 0, 0, 0, 1000, 0));
    clock.advance(Duration.ofSeconds(60));
    check();
    assertEquals(2L, otaRevision(), "baked, but acks have until 90 s");
    clock.advance(Duration.ofSeconds(30));
    check();
    assertEquals(3L, otaRevision(), "90% applied: wave 2");
    fed.put(otaRevision(), new WaveFigures(100, 89, 0, 0, 0, 1000, 0));
    clock.advance(Duration.ofSeconds(90));
    check();
    assertEquals(Rollout.Status.REVERTED, rollout().status());
    assertEquals(List.of(Gates.APPLIED), halted);
  }

  @Test
  void pauseStopsTheBakeResumeContinuesItAndAdvanceSkipsIt() {
    start(null, null);
    clock.advance(Duration.ofSeconds(40));
    accepted(AdminAction.ROLLOUT_PAUSE, "{\"flag\": \"ota\"}");
    assertEquals(Rollout.Status.PAUSED, rollout().status());
    clock.advance(Duration.ofHours(2));
    check();
    assertEquals(2L, otaRevision(), "paused: no wave");
    assertEquals("rejected", send(AdminAction.ROLLOUT_PAUSE, "{\"flag\": \"ota\"}").status());
    assertEquals("rejected", send(AdminAction.ROLLOUT_ADVANCE, "{\"flag\": \"ota\"}").status());
    accepted(AdminAction.ROLLOUT_RESUME, "{\"flag\": \"ota\"}");
    clock.advance(Duration.ofSeconds(19));
    check();
    assertEquals(Rollout.Status.BAKING, rollout().status());
    assertEquals(Duration.ofSeconds(59), rollout().baked(clock.instant()), "40 s before the pause, 19 after");
    clock.advance(Duration.ofSeconds(1));
    check();
    assertEquals(rollout().definition(1), ota());
    AdminResponse advanced = accepted(AdminAction.ROLLOUT_ADVANCE, "{\"flag\": \"ota\"}");
    assertEquals(definition(ON), ota(), "advanced to the last wave at once");
    assertTrue(advanced.toString().contains("\"wave\":3"), advanced::toString);
    accepted(AdminAction.ROLLOUT_ADVANCE, "{\"flag\": \"ota\"}");
    assertEquals(Rollout.Status.COMPLETED, rollout().status());
  }

  @Test
  void anOrderlyStopResumesWithTheBakeTimeLeftAndACrashBakesAgainFromTheLastWrite() throws Exception {
    start(null, null);
    clock.advance(Duration.ofSeconds(45));
    rollouts.suspend();
    assertEquals(Duration.ofSeconds(45), rollout().baked(clock.instant()));
    clock.advance(Duration.ofHours(1)); // the broker is down
    rollouts = engine("run-2");
    check();
    assertEquals("resumed by this broker with the bake time it had left", rollout().last());
    assertEquals("run-2", rollout().driver());
    clock.advance(Duration.ofSeconds(14));
    check();
    assertEquals(2L, otaRevision(), "45 + 14 s baked");
    clock.advance(Duration.ofSeconds(1));
    check();
    assertEquals(rollout().definition(1), ota(), "60 s baked: wave 2");

    long wave2 = otaRevision();
    clock.advance(Duration.ofSeconds(100)); // then a crash: no suspension written
    rollouts = engine("run-3");
    check();
    assertTrue(rollout().last().startsWith("taken over by this broker"), rollout().last());
    clock.advance(Duration.ofSeconds(119));
    check();
    assertEquals(wave2, otaRevision(), "the 100 s nobody vouched for are baked again");
    clock.advance(Duration.ofSeconds(1));
    check();
    assertEquals(definition(ON), ota());
  }

  @Test
  void aFlagWrittenOutsideTheRolloutEndsIt() {
    start(null, null);
    accepted(AdminAction.APPLY, "{\"flags\": {\"ota\": " + ON + "}}");
    check();
    assertEquals(Rollout.Status.SUPERSEDED, rollout().status());
    assertTrue(rollout().last().contains("written outside the rollout (at revision 3)"), rollout().last());
    assertEquals(definition(ON), ota(), "the operator's write stands");
  }

  @Test
  void onlyTheDrivingBrokerMovesRolloutsOn() {
    start(null, null);
    drives = false;
    clock.advance(Duration.ofHours(1));
    check();
    assertEquals(2L, otaRevision());
    drives = true;
    check();
    assertEquals(3L, otaRevision());
  }

  @Test
  void badRequestsAreRefusedWithWhereAndWhy() {
    AdminResponse r = send(AdminAction.ROLLOUT_START, "{\"flag\": \"ota\", \"definition\": {\"state\": \"ENABLED\", \"variants\":"
        + " {\"on\": true}, \"defaultVariant\": \"nope\"}, \"waves\": [{\"percent\": 10, \"bakeSeconds\": -1},"
        + " {\"percent\": 5.555, \"bakeSeconds\": 1}, {\"percent\": 50}], \"gates\": {\"maxFailedPercent\": 200, \"x\": 1},"
        + " \"onFailure\": \"explode\"}");
    assertEquals("rejected", r.status());
    String text = r.toString();
    for (String expected : new String[] {
        "\"location\":\"definition.defaultVariant\"",
        "\"location\":\"waves[0].bakeSeconds\",\"reason\":\"must be a number from 0 to 2678400, found -1\"",
        "\"location\":\"waves[1].percent\",\"reason\":\"has more than two decimals (5.555); waves go in steps of 0.01%\"",
        "\"location\":\"waves[2].percent\",\"reason\":\"the last wave must be 100",
        "\"location\":\"waves[2].bakeSeconds\",\"reason\":\"missing",
        "\"location\":\"gates.maxFailedPercent\",\"reason\":\"must be a number from 0 to 100, found 200\"",
        "\"location\":\"gates.x\",\"reason\":\"unknown member",
        "\"location\":\"onFailure\""}) {
      assertTrue(text.contains(expected), () -> expected + " not in " + text);
    }
    assertEquals(1L, store.revision(), "nothing was written");
    AdminResponse typeChange = send(AdminAction.ROLLOUT_START, "{\"flag\": \"ota\", \"definition\": {\"state\": \"ENABLED\","
        + " \"variants\": {\"a\": \"x\"}, \"defaultVariant\": \"a\"}, \"waves\": [{\"percent\": 100, \"bakeSeconds\": 1}]}");
    assertTrue(typeChange.toString().contains("a rollout changes values, not a flag's type"), typeChange::toString);
    start(null, null);
    AdminResponse twice = send(AdminAction.ROLLOUT_START, "{\"flag\": \"ota\", \"definition\": " + OFF + ", \"waves\": " + WAVES + "}");
    assertTrue(twice.toString().contains("already has an active rollout (ota@1, baking)"), twice::toString);
    AdminResponse none = send(AdminAction.ROLLOUT_PAUSE, "{\"flag\": \"other\"}");
    assertTrue(none.toString().contains("flag \\\"other\\\" has no active rollout"), none::toString);
  }

  @Test
  void theExampleRolloutStartsOnTheExampleFlags() throws Exception {
    accepted(AdminAction.REPLACE, java.nio.file.Files.readString(Path.of("examples/flags.json")));
    AdminResponse started = accepted(AdminAction.ROLLOUT_START, java.nio.file.Files.readString(Path.of("examples/rollout.json")));
    assertTrue(started.toString().contains("\"percent\":\"1\""), started::toString);
  }

  @Test
  void theQueryListsRolloutsWithTheirLatestFigures() {
    start("{\"maxFailedPercent\": 50}", null);
    fed.put(otaRevision(), new WaveFigures(10, 5, 0, 1, 0, 100, 0));
    clock.advance(Duration.ofSeconds(10));
    check();
    AdminResponse q = send(AdminAction.QUERY_ROLLOUTS, "{\"flag\": \"ota\"}");
    assertEquals("ok", q.status());
    String text = q.toString();
    assertTrue(text.contains("\"figures\":{\"targeted\":10,\"applied\":5,\"rejected\":0,\"failed\":1"), text);
    assertTrue(text.contains("\"bakedSeconds\":10.0,\"bakeSeconds\":60.0"), text);
    assertNull(q.body().get("problems"));
    assertEquals("rejected", send(AdminAction.QUERY_ROLLOUTS, "{\"id\": 1}").status());
  }
}
