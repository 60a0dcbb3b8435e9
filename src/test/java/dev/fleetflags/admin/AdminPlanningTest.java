package dev.fleetflags.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DeliveryMetrics;
import dev.fleetflags.delivery.DevicePublisher;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.DeviceRecord;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.delivery.FlagUpdates;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.proto.v1.FlagUpdate;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.StoreSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Planning a change runs on delivery's planner, not on the admin thread: while a plan is held up
 * (here deterministically, by a registry read that waits on a gate) other operators' requests are
 * answered, and a write is answered when its plan is done, or after the plan wait without the
 * count. Plans run in revision order. Whatever is thrown, every request gets an answer.
 */
class AdminPlanningTest {

  private static final String MODE = """
      {"flags": {"mode": {"state": "ENABLED", "variants": {"a": "eco", "b": "boost"}, "defaultVariant": "%s",
        "targeting": {"if": [{"==": [{"var": "plan"}, "gold"]}, "b", null]}}}}""";
  private static final Actor OPS = new Actor("ops-1", "alice");
  private static final Actor OTHER = new Actor("ops-2", "bob");

  @TempDir Path folder;
  private FlagStore store;
  private LiveFlags live;
  private FlagDelivery delivery;
  private final List<AutoCloseable> opened = new ArrayList<>();
  private final Map<String, List<FlagUpdate>> received = new ConcurrentHashMap<>();

  /** Holds registry reads of one device while closed; tells when one is held. */
  private final class Gate {
    volatile boolean closed;
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch open = new CountDownLatch(1);

    void pass(String id) {
      if (closed && id.equals("dev-slow")) {
        held.countDown();
        try {
          assertTrue(open.await(30, TimeUnit.SECONDS), "the gate opens");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    void awaitHeld() throws InterruptedException {
      assertTrue(held.await(30, TimeUnit.SECONDS), "the planner reached the gate");
    }

    void openUp() {
      closed = false;
      open.countDown();
    }
  }

  private final Gate gate = new Gate();

  @AfterEach
  void close() throws Exception {
    gate.openUp();
    for (AutoCloseable c : opened) {
      c.close();
    }
  }

  private FlagAdmin start(Duration planWait, DeliveryMetrics metrics) throws Exception {
    store = FlagStore.open(folder, StoreSettings.DEFAULT);
    opened.add(0, store::close);
    FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
    live = new LiveFlags(FlagAdmin.load(store, compiler));
    DeviceContexts contexts = new DeviceContexts(id -> {
      gate.pass(id);
      return store.deviceAttributes(id);
    }, Set.of());
    DevicePublisher publisher = (clientId, payload) -> {
      try {
        received.computeIfAbsent(clientId, k -> new CopyOnWriteArrayList<>()).add(FlagUpdate.parseFrom(payload));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return CompletableFuture.completedFuture(true);
    };
    delivery = new FlagDelivery(live, contexts, new FlagUpdates(false), publisher,
        new FlagDelivery.Settings(1, 100, 0, 8, 100, Duration.ofSeconds(60)), metrics);
    opened.add(0, delivery);
    live.addListener(delivery);
    FlagAdmin admin = new FlagAdmin(store, compiler, live, contexts, delivery::connectionAttributes, planWait);
    assertEquals("accepted", admin.handle(request(AdminAction.APPLY, MODE.formatted("a"), OPS)).status());
    for (String id : List.of("dev-1", "dev-2", "dev-slow")) {
      delivery.connected(id, new DeviceRecord(), ConnectionFacts.NONE, null);
      delivery.subscribed(id);
    }
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    return admin;
  }

  private static AdminRequest request(AdminAction action, String json, Actor actor) {
    return new AdminRequest(action, json.getBytes(StandardCharsets.UTF_8), actor);
  }

  /** A registry write for dev-slow: its plan reads the registry for it, and waits at the gate. */
  private CompletableFuture<AdminResponse> slowWrite(FlagAdmin admin) throws InterruptedException {
    gate.closed = true;
    CompletableFuture<AdminResponse> write = admin.handleAsync(
        request(AdminAction.DEVICE_ATTRIBUTES, "{\"devices\": {\"dev-slow\": {\"plan\": \"gold\"}}}", OPS));
    gate.awaitHeld();
    return write;
  }

  @Test
  void otherOperatorsAreAnsweredWhileAChangeIsPlannedAndPlansRunInRevisionOrder() throws Exception {
    FlagAdmin admin = start(Duration.ofHours(1), DeliveryMetrics.NONE);
    List<Long> answered = new CopyOnWriteArrayList<>();
    CompletableFuture<AdminResponse> slow = slowWrite(admin);
    slow.thenAccept(r -> answered.add((Long) r.body().get("revision")));

    // The admin thread (here: the test's) is free: another operator's query and write are carried out.
    AdminResponse query = admin.handle(request(AdminAction.QUERY_FLAGS, "{}", OTHER));
    assertEquals("ok", query.status());
    assertEquals(2L, query.body().get("revision"), "the slow write is live already");
    CompletableFuture<AdminResponse> next = admin.handleAsync(request(AdminAction.APPLY, MODE.formatted("b"), OTHER));
    next.thenAccept(r -> answered.add((Long) r.body().get("revision")));
    assertEquals(3, live.current().revision(), "durable and live at once; its plan waits behind the slow one");
    assertFalse(slow.isDone(), "answered when its plan is done");
    assertFalse(next.isDone(), "plans run in revision order");

    gate.openUp();
    AdminResponse slowAnswer = slow.get(30, TimeUnit.SECONDS);
    AdminResponse nextAnswer = next.get(30, TimeUnit.SECONDS);
    assertEquals(1, slowAnswer.body().get("devicesAffected"), slowAnswer.toString());
    assertEquals(2, nextAnswer.body().get("devicesAffected"), "dev-slow is on plan gold: boost either way; " + nextAnswer);
    assertEquals(List.of(2L, 3L), answered);
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    for (String id : List.of("dev-1", "dev-2", "dev-slow")) {
      List<FlagUpdate> got = received.get(id);
      assertEquals("boost", got.get(got.size() - 1).getFlags(0).getString(), id + ": " + got);
    }
  }

  @Test
  void aWriteWhosePlanTakesLongerThanThePlanWaitIsAnsweredWithoutTheCount() throws Exception {
    FlagAdmin admin = start(Duration.ZERO, DeliveryMetrics.NONE);
    AdminResponse answer = slowWrite(admin).get(30, TimeUnit.SECONDS);
    assertEquals("accepted", answer.status(), answer.toString());
    assertEquals(2L, answer.body().get("revision"));
    assertEquals(List.of("dev-slow"), answer.body().get("devices"));
    assertFalse(answer.body().containsKey("devicesAffected"), answer.toString());
    assertTrue(((String) answer.body().get("note")).contains("still planning"), answer.toString());

    gate.openUp();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    List<FlagUpdate> got = received.get("dev-slow");
    assertEquals("boost", got.get(got.size() - 1).getFlags(0).getString(), "its plan went on: " + got);
  }

  @Test
  void anErrorWhileHandlingARequestIsAnsweredAndTheAdminGoesOn() throws Exception {
    store = FlagStore.open(folder, StoreSettings.DEFAULT);
    opened.add(store::close);
    FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
    live = new LiveFlags(FlagAdmin.load(store, compiler));
    live.addListener(change -> {
      throw new OutOfMemoryError("planning revision " + change.after().revision());
    });
    DeviceContexts contexts = new DeviceContexts(store::deviceAttributes, Set.of());
    FlagAdmin admin = new FlagAdmin(store, compiler, live, contexts, id -> {
      throw new StackOverflowError("looking up " + id);
    }, Duration.ofHours(1));

    AdminResponse failed = admin.handle(request(AdminAction.EVALUATE, "{\"device\": \"dev-1\"}", OPS));
    assertEquals("error", failed.status(), failed.toString());
    assertTrue(((String) failed.body().get("reason")).contains("nothing was changed"), failed.toString());

    // After the durable write, what fails does not unmake it: accepted, with the revision and why.
    AdminResponse written = admin.handle(request(AdminAction.APPLY, MODE.formatted("a"), OPS));
    assertEquals("accepted", written.status(), written.toString());
    assertEquals(1L, written.body().get("revision"));
    assertFalse(written.body().containsKey("devicesAffected"));
    assertTrue(((String) written.body().get("note")).contains("planning its delivery failed"), written.toString());
    assertEquals(1, store.revision());
    assertEquals(1, live.current().revision(), "live");

    assertEquals("ok", admin.handle(request(AdminAction.QUERY_HISTORY, "{}", OPS)).status(), "the next request is served");
  }
}
