package dev.fleetflags.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DeliveryMetrics;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.delivery.FlagUpdates;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.eval.RunawayGuard;
import dev.fleetflags.rollout.FleetFigures;
import dev.fleetflags.rollout.Leadership;
import dev.fleetflags.rollout.Plans;
import dev.fleetflags.rollout.RolloutMetrics;
import dev.fleetflags.rollout.Rollouts;
import dev.fleetflags.rollout.Schedules;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.StoreSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided fuzzing of admin requests: every payload is sent as every {@link AdminAction} to
 * a real {@link FlagAdmin} (with rollouts and scheduled changes) over a real {@link FlagStore} in a temporary folder, holding
 * examples/flags.json and one registry record. Whatever the payload, the answer is accepted,
 * rejected or ok (the store is healthy, so an {@code error} means the extension failed on the
 * input), no exception escapes, the answer is JSON an operator can read, and:
 *
 * <ul>
 *   <li>a rejected request and a query change nothing: revision, flags, history, registry;
 *   <li>an accepted write is durable and live alike: the store holds the flags delivery serves, at
 *       the same revision, and they compile strictly.
 * </ul>
 *
 * After an accepted write the flags and registry are put back, so every action of every input
 * starts from the same state (only revision numbers move on). Saved inputs:
 * {@code FlagAdminFuzzTestInputs/everyActionAnswers/}.
 */
class FlagAdminFuzzTest {

  private static final Actor OPERATOR = new Actor("fuzz-ops", "fuzz");
  private static final String REGISTERED = "dev-registered";
  private static final Map<String, Object> REGISTRY = Map.of("model", "sensor-x", "firmware", "2.4.1");

  // One store for every input (opening one and seeding it costs synced writes): each input leaves
  // it as it found it.
  @TempDir static Path folder;
  private static FlagStore store;
  private static LiveFlags live;
  private static FlagAdmin admin;
  private static FlagDelivery delivery;

  @BeforeAll
  static void open() throws Exception {
    store = FlagStore.open(folder, StoreSettings.DEFAULT);
    FlagSetCompiler compiler = new FlagSetCompiler(RunawayGuard.LIMITS);
    live = new LiveFlags(FlagAdmin.load(store, compiler));
    live.addListener(change -> java.util.concurrent.CompletableFuture.completedFuture(1));
    DeviceContexts contexts = new DeviceContexts(store::deviceAttributes, Set.of("model", "region"));
    DeviceContext online = contexts.connection(new ConnectionFacts("u-online", Map.of("model", "gateway-g1", "region", "eu-test")));
    // Delivery without devices, for its compliance figures (query/compliance).
    delivery = new FlagDelivery(live, contexts, new FlagUpdates(false),
        (id, update) -> java.util.concurrent.CompletableFuture.completedFuture(true), FlagDelivery.Settings.DEFAULT,
        DeliveryMetrics.NONE);
    live.addListener(delivery);
    admin = new FlagAdmin(store, compiler, live, contexts, id -> id.equals("dev-online") ? online : null)
        .withCompliance(delivery.compliance());
    // Rollouts and scheduled changes as the extension runs them (nothing checks them here), the gates on delivery's figures.
    Clock clock = Clock.systemUTC();
    admin.planRequests(new Plans(new Rollouts(admin, store, clock, FleetFigures.of(delivery.compliance()), Leadership.ALONE,
        RolloutMetrics.NONE, "fuzz"), new Schedules(admin, store, clock, Leadership.ALONE, RolloutMetrics.NONE)));
    expect("accepted", send(AdminAction.REPLACE, Files.readAllBytes(Path.of("examples/flags.json"))));
    expect("accepted", send(AdminAction.DEVICE_ATTRIBUTES,
        Json.write(Map.of("devices", Map.of(REGISTERED, REGISTRY))).getBytes(StandardCharsets.UTF_8)));
  }

  @AfterAll
  static void close() {
    delivery.close();
    store.close();
  }

  @FuzzTest(maxDuration = "5m")
  void everyActionAnswers(byte[] payload) {
    Object json = parsed(payload);
    if (RunawayGuard.mayRunAway(json)) {
      return;
    }
    for (AdminAction action : AdminAction.values()) {
      State before = state(devices(json));
      AdminResponse answer = send(action, payload);
      String what = action + " answered " + answer;
      assertTrue(Set.of(action.isWrite() ? "accepted" : "ok", "rejected").contains(answer.status()), what);
      assertReadable(answer);
      State after = state(devices(json));
      if (answer.isAccepted()) {
        assertEquals(store.revision(), live.current().revision(), what);
        assertEquals(store.flags().document(), live.current().flagSet().document(), "durable is live: " + what);
        assertEquals(List.of(), new FlagSetCompiler(RunawayGuard.LIMITS).validate(store.flags().document()), what);
        restore(before);
      } else {
        assertEquals(before, after, "nothing changed: " + what);
      }
    }
  }

  /**
   * What a request may change: revisions, flags, the newest history entry and the registry records
   * it names.
   */
  private record State(long stored, long live, FlagDocument flags, long history,
      Map<String, Map<String, Object>> registry) {}

  private static State state(Set<String> devices) {
    Map<String, Map<String, Object>> registry = new LinkedHashMap<>();
    for (String id : devices) {
      registry.put(id, store.deviceAttributes(id));
    }
    return new State(store.revision(), live.current().revision(), live.current().flagSet().document(),
        store.history(1).get(0).revision(), registry);
  }

  /** Puts the flags and the registry records as they were before an accepted write. */
  private static void restore(State before) {
    if (!live.current().flagSet().document().equals(before.flags())) {
      expect("accepted", send(AdminAction.REPLACE, Json.write(before.flags().toJson()).getBytes(StandardCharsets.UTF_8)));
    }
    Map<String, Object> devices = new LinkedHashMap<>();
    before.registry().forEach((id, attributes) -> {
      if (!store.deviceAttributes(id).equals(attributes)) {
        Map<String, Object> reset = new LinkedHashMap<>();
        store.deviceAttributes(id).keySet().forEach(name -> reset.put(name, null));
        reset.putAll(attributes);
        devices.put(id, reset);
      }
    });
    if (!devices.isEmpty()) {
      expect("accepted", send(AdminAction.DEVICE_ATTRIBUTES,
          Json.write(Map.of("devices", devices)).getBytes(StandardCharsets.UTF_8)));
    }
    assertEquals(before.flags(), live.current().flagSet().document(), "restored");
  }

  /** The answer as the operator receives it reads as JSON, with the same status. */
  private static void assertReadable(AdminResponse answer) {
    try {
      Object read = Json.parse(answer.toJson(), Limits.DEFAULT);
      assertEquals(answer.status(), ((Map<?, ?>) read).get("status"));
    } catch (InvalidDocumentException e) {
      throw new AssertionError("the answer is not JSON: " + answer, e);
    }
  }

  private static AdminResponse send(AdminAction action, byte[] payload) {
    return admin.handle(new AdminRequest(action, payload, OPERATOR));
  }

  private static void expect(String status, AdminResponse answer) {
    assertEquals(status, answer.status(), answer.toString());
  }

  private static @Nullable Object parsed(byte[] payload) {
    try {
      return Json.parse(payload, Limits.DEFAULT);
    } catch (InvalidDocumentException e) {
      return null;
    }
  }

  /** The device ids a registry write may touch: those it names, and the one the store holds. */
  private static Set<String> devices(@Nullable Object json) {
    Set<String> ids = new TreeSet<>(Set.of(REGISTERED));
    if (json instanceof Map<?, ?> root && root.get("devices") instanceof Map<?, ?> devices) {
      devices.keySet().forEach(id -> ids.add((String) id));
    }
    return ids;
  }
}
