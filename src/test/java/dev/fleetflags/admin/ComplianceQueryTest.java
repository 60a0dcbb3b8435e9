package dev.fleetflags.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DeliveryMetrics;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.DeviceRecord;
import dev.fleetflags.delivery.FlagDelivery;
import dev.fleetflags.delivery.FlagUpdates;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.proto.v1.FlagAck;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.StoreSettings;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code query/compliance} on a real store, admin and delivery, with devices that ack in-process. */
class ComplianceQueryTest {

  private static final String OTA_OFF = """
      {"flags": {"ota-v2": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}}}""";

  private static final String OTA = """
      {"flags": {"ota-v2": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
        "targeting": {"if": [{"in": [{"var": "model"}, ["th-100"]]}, "on", "off"]}}}}""";

  @TempDir Path folder;
  private FlagStore store;
  private FlagDelivery delivery;
  private FlagAdmin admin;

  @BeforeEach
  void open() throws Exception {
    store = FlagStore.open(folder, StoreSettings.DEFAULT);
    FlagSetCompiler compiler = new FlagSetCompiler(Limits.DEFAULT);
    LiveFlags live = new LiveFlags(FlagAdmin.load(store, compiler));
    DeviceContexts contexts = new DeviceContexts(store::deviceAttributes, Set.of("model"));
    delivery = new FlagDelivery(live, contexts, new FlagUpdates(false), (id, payload) -> CompletableFuture.completedFuture(true),
        FlagDelivery.Settings.DEFAULT, DeliveryMetrics.NONE);
    live.addListener(delivery);
    admin = new FlagAdmin(store, compiler, live, contexts, delivery::connectionAttributes).withCompliance(delivery.compliance());
    for (String model : List.of("th-100", "gw-20")) {
      delivery.connected("dev-" + model, new DeviceRecord(), new ConnectionFacts(null, Map.of("model", model)), null);
      delivery.subscribed("dev-" + model);
    }
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    assertEquals(2, send(AdminAction.APPLY, OTA_OFF).body().get("devicesAffected"), "revision 1: every device");
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
  }

  @AfterEach
  void close() {
    delivery.close();
    store.close();
  }

  private AdminResponse send(AdminAction action, String json) {
    return admin.handle(new AdminRequest(action, json.getBytes(StandardCharsets.UTF_8), new Actor("ops-1", "alice")));
  }

  private AdminResponse query(String json) {
    return send(AdminAction.QUERY_COMPLIANCE, json);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Object json) {
    return (List<Map<String, Object>>) json;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object json) {
    return (Map<String, Object>) json;
  }

  /** The figures of the only revision in the answer, once it says {@code applied}. */
  private Map<String, Object> awaitApplied(long applied) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      Map<String, Object> figures = list(query("{\"revision\": 2}").body().get("revisions")).get(0);
      if (figures.get("applied").equals(applied) || System.nanoTime() > deadline) {
        return figures;
      }
      Thread.sleep(5);
    }
  }

  @Test
  void aRevisionsFiguresFollowItsDevices() throws Exception {
    AdminResponse written = send(AdminAction.APPLY, OTA);
    assertEquals(1, written.body().get("devicesAffected"), written.toString());
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));

    byte[] ack = FlagAck.newBuilder().setRevision(2).setStateHash(0).setStatus(FlagAck.Status.APPLIED).build().toByteArray();
    delivery.compliance().offer("dev-th-100", ByteBuffer.wrap(ack));
    Map<String, Object> figures = awaitApplied(1);
    assertEquals(2L, figures.get("revision"));
    assertTrue(figures.get("planned") instanceof String);
    assertEquals(List.of("ota-v2"), figures.get("changed"));
    assertEquals(List.of(), figures.get("removed"));
    assertEquals(List.of(1L, 0L, 0L, 1L, 0L, 0L, 0L, 0L), List.of(figures.get("targeted"), figures.get("pending"),
        figures.get("delivered"), figures.get("applied"), figures.get("rejected"), figures.get("failed"),
        figures.get("superseded"), figures.get("departedAfterApplying")), figures.toString());
    assertEquals(Map.of(), figures.get("rejectedByFlag"));

    AdminResponse all = query("{}");
    assertEquals("ok", all.status());
    assertEquals(2L, all.body().get("revision"));
    assertEquals(2, list(all.body().get("revisions")).size());
    assertEquals(figures, list(all.body().get("revisions")).get(0), "newest first");
    assertEquals(2L, list(all.body().get("revisions")).get(1).get("targeted"));

    AdminResponse flag = query("{\"flag\": \"ota-v2\"}");
    assertEquals("ok", flag.status(), flag.toString());
    assertEquals("ota-v2", flag.body().get("flag"));
    assertEquals(2, list(flag.body().get("revisions")).size());
    assertEquals(figures, list(flag.body().get("revisions")).get(0));
    Map<String, Object> held = map(flag.body().get("held"));
    assertEquals(2L, held.get("devices"));
    assertEquals(List.of(Map.of("value", true, "devices", 1L), Map.of("value", false, "devices", 1L)),
        held.get("values"));
    assertEquals(2L, held.get("current"));
    assertEquals(true, held.get("complete"));
    assertEquals("{\"status\":\"ok\",\"revision\":2,\"flag\":\"nope\",\"held\":{\"devices\":2,\"values\":[],"
        + "\"noValue\":2,\"notSent\":0,\"unknown\":0,\"current\":2,\"complete\":true},\"revisions\":[]}",
        query("{\"flag\": \"nope\"}").toString());
  }

  @Test
  void badQueriesAreRejectedWithWhereAndWhy() {
    assertEquals(
        "{\"status\":\"rejected\",\"revision\":1,\"problems\":[{\"location\":\"revision\",\"reason\":\"revision 7 is not"
            + " tracked on this broker; it tracks revisions [1] (the newest delivery/compliance-revisions changes)\"}]}",
        query("{\"revision\": 7}").toString());
    assertEquals("{\"status\":\"rejected\",\"problems\":[{\"location\":\"revison\",\"reason\":\"unknown member; this"
        + " request takes flag, revision\"}]}", query("{\"revison\": 1}").toString());
    assertEquals("{\"status\":\"rejected\",\"problems\":[{\"location\":\"revision\",\"reason\":\"must be a revision"
        + " number (a whole number, 1 or more), found 0\"}]}", query("{\"revision\": 0}").toString());
    assertEquals("revision", problem(query("{\"revision\": \"1\"}")));
    assertEquals("revision", problem(query("{\"revision\": 1.5}")));
    assertEquals("flag", problem(query("{\"flag\": \"\"}")));
    assertEquals("flag", problem(query("{\"flag\": [\"ota-v2\"]}")));
    assertEquals("{\"status\":\"rejected\",\"problems\":[{\"location\":\"\",\"reason\":\"give either \\\"revision\\\""
        + " or \\\"flag\\\", not both\"}]}", query("{\"revision\": 1, \"flag\": \"ota-v2\"}").toString());
  }

  @SuppressWarnings("unchecked")
  private static String problem(AdminResponse r) {
    assertEquals("rejected", r.status(), r.toString());
    return (String) ((List<Map<String, Object>>) r.body().get("problems")).get(0).get("location");
  }
}
