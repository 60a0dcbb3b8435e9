package dev.fleetflags.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.admin.AdminAction;
import dev.fleetflags.admin.AdminRequest;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.admin.FlagAdmin;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.delivery.TestClock;
import dev.fleetflags.eval.FlagSetCompiler;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scheduled changes on a real store and admin with a clock the test moves: made at their time and
 * not a moment before, audited when scheduled and when made, cancelled, refused at their time with
 * the reason recorded, made at start when their time passed while the broker was down, and
 * requests refused with where and why.
 */
class SchedulesTest {

  private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");
  private static final String TOGGLE = "{\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"%s\"}";

  @TempDir Path folder;
  private final TestClock clock = new TestClock(T0);
  private FlagStore store;
  private FlagAdmin admin;
  private Schedules schedules;
  private final Actor ops = new Actor("ops-1", "alice");

  @BeforeEach
  void open() throws Exception {
    store = FlagStore.open(folder, new StoreSettings(1_000, 1_000, clock));
    start();
    accepted(AdminAction.APPLY, "{\"flags\": {\"promo\": " + TOGGLE.formatted("off") + "}}");
  }

  /** The extension starting (again) on the store. */
  private void start() throws Exception {
    FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
    admin = new FlagAdmin(store, compiler, new LiveFlags(FlagAdmin.load(store, compiler)),
        new DeviceContexts(store::deviceAttributes, Set.of()), id -> null);
    schedules = new Schedules(admin, store, clock, Leadership.ALONE, RolloutMetrics.NONE, 3);
    admin.planRequests(new Plans(new Rollouts(admin, store, clock, wave -> WaveFigures.NONE, Leadership.ALONE,
        RolloutMetrics.NONE, "run"), schedules));
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

  private AdminResponse schedulePromoOn(Instant at) {
    return send(AdminAction.SCHEDULE, "{\"at\": \"" + at + "\", \"write\": \"flags/apply\", \"request\": {\"flags\": {\"promo\": "
        + TOGGLE.formatted("on") + "}}}");
  }

  private String promo() {
    return store.flags().document().flags().get("promo").defaultVariant();
  }

  private void check() {
    schedules.check(Runnable::run);
  }

  @Test
  void aScheduledChangeIsMadeAtItsTimeAndAuditedWhenScheduledAndWhenMade() {
    AdminResponse scheduled = schedulePromoOn(T0.plusSeconds(60));
    assertEquals("accepted", scheduled.status(), scheduled::toString);
    assertTrue(scheduled.toString().contains("\"change\":{\"id\":\"1\",\"at\":\"2025-06-01T12:01:00Z\",\"write\":\"flags/apply\""),
        scheduled::toString);
    HistoryEntry made = store.history(1).get(0);
    assertEquals("schedule", made.action());
    assertEquals(ops, made.actor());
    assertEquals(List.of(Change.PLAN), made.changes().stream().map(Change::kind).toList());
    assertEquals("off", promo());

    clock.advance(Duration.ofSeconds(59));
    check();
    assertEquals("off", promo(), "not a moment early");
    clock.advance(Duration.ofSeconds(1));
    check();
    assertEquals("on", promo());
    HistoryEntry applied = store.history(1).get(0);
    assertEquals("apply", applied.action());
    assertEquals(new Actor("schedule/1", "alice"), applied.actor());
    assertEquals(List.of(Change.FLAG, Change.PLAN), applied.changes().stream().map(Change::kind).toList());
    ScheduledChange change = schedules.all().get(0);
    assertEquals(ScheduledChange.Status.APPLIED, change.status());
    assertEquals(T0.plusSeconds(60), change.appliedAt());
    long revision = store.revision();
    clock.advance(Duration.ofHours(1));
    check();
    assertEquals(revision, store.revision(), "made once");
    AdminResponse query = send(AdminAction.QUERY_SCHEDULE, "{}");
    assertTrue(query.toString().contains("\"status\":\"applied\""), query::toString);
  }

  @Test
  void aCancelledChangeIsNotMade() {
    schedulePromoOn(T0.plusSeconds(10));
    AdminResponse cancelled = accepted(AdminAction.SCHEDULE_CANCEL, "{\"id\": \"1\"}");
    assertTrue(cancelled.toString().contains("\"status\":\"cancelled\""), cancelled::toString);
    assertEquals("schedule/cancel", store.history(1).get(0).action());
    clock.advance(Duration.ofSeconds(30));
    check();
    assertEquals("off", promo());
    AdminResponse again = send(AdminAction.SCHEDULE_CANCEL, "{\"id\": 1}");
    assertTrue(again.toString().contains("scheduled change 1 is cancelled already"), again::toString);
  }

  @Test
  void aChangeRefusedAtItsTimeIsRecordedAsFailedWithTheReason() {
    accepted(AdminAction.SCHEDULE, "{\"at\": \"" + T0.plusSeconds(5) + "\", \"write\": \"flags/delete\", \"request\":"
        + " {\"flags\": [\"promo\"]}}");
    accepted(AdminAction.DELETE, "{\"flags\": [\"promo\"]}");
    clock.advance(Duration.ofSeconds(5));
    check();
    ScheduledChange change = schedules.all().get(0);
    assertEquals(ScheduledChange.Status.FAILED, change.status());
    assertTrue(change.outcome().endsWith("the write was rejected: flags[0]: no flag \"promo\" exists"), change.outcome());
  }

  @Test
  void aChangeDueWhileTheBrokerWasDownIsMadeAtStartAndTheLogSaysSo() throws Exception {
    schedulePromoOn(T0.plusSeconds(30));
    clock.advance(Duration.ofHours(2)); // down meanwhile
    start();
    check();
    assertEquals("on", promo());
    String outcome = schedules.all().get(0).outcome();
    assertTrue(outcome.endsWith("7170 s late: its time passed while the broker was down, so it is made at start"), outcome);
  }

  @Test
  void badRequestsAreRefusedWithWhereAndWhy() {
    String[][] cases = {
        {"{\"at\": \"2025-06-01T11:00:00Z\", \"write\": \"flags/apply\", \"request\": {\"flags\": {}}}",
            "\"location\":\"at\",\"reason\":\"\\\"2025-06-01T11:00:00Z\\\" is not in the future"},
        {"{\"at\": \"tomorrow\", \"write\": \"flags/apply\", \"request\": {\"flags\": {}}}",
            "\"location\":\"at\",\"reason\":\"not a time in RFC 3339"},
        {"{\"at\": \"2025-06-01T13:00:00Z\", \"write\": \"query/flags\", \"request\": {}}",
            "\"location\":\"write\",\"reason\":\"\\\"query/flags\\\" is not a write that can be scheduled; give one of"
                + " devices/attributes, flags/apply, flags/delete, flags/replace\""},
        {"{\"at\": \"2025-06-01T13:00:00Z\", \"write\": \"flags/apply\", \"request\": {\"expectedRevision\": 3, \"flags\": {}}}",
            "\"location\":\"request.expectedRevision\""},
        {"{\"at\": \"2025-06-01T13:00:00Z\", \"write\": \"flags/delete\", \"request\": {\"dryRun\": true, \"flags\": [\"promo\"]}}",
            "\"location\":\"request.dryRun\""},
        {"{\"at\": \"2025-06-01T13:00:00+01:00\", \"write\": \"flags/apply\", \"request\": {\"flags\": {\"promo\":"
            + " {\"state\": \"ENABLED\", \"variants\": {\"on\": true}, \"defaultVariant\": \"nope\"}}}}",
            "\"location\":\"request.flags.promo.defaultVariant\""},
        {"{\"at\": \"2025-06-01T13:00:00Z\"}", "\"location\":\"request\",\"reason\":\"missing"},
    };
    for (String[] c : cases) {
      AdminResponse r = send(AdminAction.SCHEDULE, c[0]);
      assertEquals("rejected", r.status(), r::toString);
      assertTrue(r.toString().contains(c[1]), () -> c[1] + " not in " + r);
    }
    assertEquals(1L, store.revision(), "nothing was written");
    assertEquals("ok", send(AdminAction.QUERY_SCHEDULE, "{}").status());
    for (int i = 1; i <= 3; i++) {
      assertEquals("accepted", schedulePromoOn(T0.plusSeconds(i)).status());
    }
    AdminResponse fourth = schedulePromoOn(T0.plusSeconds(4));
    assertTrue(fourth.toString().contains("3 changes are scheduled already, the most there may be"), fourth::toString);
  }
}
