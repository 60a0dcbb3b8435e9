package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.proto.v1.FlagUpdate;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FlagDeliveryTest {

  private static final String FLAGS = """
      {"flags": {
        "beta": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                 "targeting": {"if": [{"==": [{"var": "model"}, "th-100"]}, "on", "off"]}},
        "mode": {"state": "ENABLED", "variants": {"a": "eco", "b": "boost"}, "defaultVariant": "a"},
        "off-flag": {"state": "DISABLED", "variants": {"x": 1}, "defaultVariant": "x"}
      }}""";

  /** Stands in for the broker's PublishService: records what each device would receive. */
  static final class RecordingPublisher implements DevicePublisher {
    final List<String> devices = new CopyOnWriteArrayList<>();
    final List<FlagUpdate> updates = new CopyOnWriteArrayList<>();
    final List<String> reconnected = new CopyOnWriteArrayList<>();
    final List<String> restored = new CopyOnWriteArrayList<>();
    volatile boolean subscribed = true;
    /** Whether adding a device's subscription again makes the broker take its updates. */
    volatile boolean restoring;
    /** The client ids delivery asked whether the broker holds their subscription. */
    final List<String> askedForSubscription = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<Boolean> holdsSubscription(String clientId) {
      askedForSubscription.add(clientId);
      return CompletableFuture.completedFuture(subscribed);
    }

    @Override
    public CompletableFuture<Boolean> restoreSubscription(String clientId) {
      restored.add(clientId);
      if (restoring) {
        subscribed = true;
      }
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public void reconnect(String clientId, String reason) {
      reconnected.add(clientId);
    }

    @Override
    public CompletableFuture<Boolean> publish(String clientId, byte[] payload) {
      if (!subscribed) {
        return CompletableFuture.completedFuture(false);
      }
      try {
        devices.add(clientId);
        updates.add(FlagUpdate.parseFrom(payload));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return CompletableFuture.completedFuture(true);
    }
  }

  @AfterEach
  void stop() {
    opened.forEach(FlagDelivery::close);
  }

  private FlagDelivery delivery(RecordingPublisher publisher, Map<String, Map<String, Object>> registry) throws Exception {
    FlagSet set = new FlagSetCompiler(Limits.DEFAULT).compile(FLAGS.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    LiveFlags live = new LiveFlags(new FlagSetRevision(7, set, Map.of()));
    DeviceContexts contexts = new DeviceContexts(id -> registry.getOrDefault(id, Map.of()), java.util.Set.of("model"));
    FlagDelivery d = new FlagDelivery(live, contexts, new FlagUpdates(false), publisher,
        new FlagDelivery.Settings(1, 100, 0, 8, 1000, java.time.Duration.ofSeconds(60)), DeliveryMetrics.NONE);
    opened.add(d);
    return d;
  }

  private final List<FlagDelivery> opened = new java.util.ArrayList<>();

  private void drain() throws Exception {
    for (FlagDelivery d : opened) {
      assertTrue(d.awaitIdle(java.time.Duration.ofSeconds(5)));
    }
  }

  @Test
  void subscribedDeviceGetsSnapshotOfItsSet() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of());
    delivery.connected("dev-1", new DeviceRecord(), new ConnectionFacts(null, Map.of("model", "th-100")), null);
    delivery.subscribed("dev-1");
    drain();
    assertEquals(List.of("dev-1"), publisher.devices);
    FlagUpdate update = publisher.updates.get(0);
    assertTrue(update.getSnapshot());
    assertEquals(7, update.getRevision());
    assertEquals(2, update.getFlagsCount(), "the disabled flag is not in the set");
    assertEquals("beta", update.getFlags(0).getKey());
    assertTrue(update.getFlags(0).getBool());
    assertEquals("eco", update.getFlags(1).getString());
    assertEquals("", update.getFlags(0).getVariant(), "variants are not sent unless configured");
  }

  @Test
  void aDeviceWhoseAcknowledgedSubscriptionTheBrokerLostHasItAddedAgainAndGetsItsSet() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    publisher.subscribed = false; // the broker holds no subscription for it, whatever its SUBACK said
    publisher.restoring = true;
    FlagDelivery delivery = delivery(publisher, Map.of());
    delivery.connected("dev-1", new DeviceRecord(), ConnectionFacts.NONE, null);
    delivery.subscribed("dev-1");
    drain();
    assertEquals(List.of("dev-1"), publisher.restored, "after its retries");
    assertEquals(List.of("dev-1"), publisher.devices, "its set, once the subscription is back");
    assertTrue(publisher.updates.get(0).getSnapshot());
    assertEquals(List.of(), publisher.reconnected, "the device notices nothing");
  }

  @Test
  void aDeviceWhoseSubscriptionCannotBeAddedAgainIsAskedToConnectAgainOnce() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    publisher.subscribed = false; // and adding it again does not help
    FlagDelivery delivery = delivery(publisher, Map.of());
    delivery.connected("dev-1", new DeviceRecord(), ConnectionFacts.NONE, null);
    delivery.subscribed("dev-1");
    drain();
    assertEquals(List.of("dev-1"), publisher.restored, "added again first");
    assertEquals(List.of("dev-1"), publisher.reconnected, "then asked to connect again");
    delivery.resync("dev-1", null);
    drain();
    assertEquals(List.of("dev-1"), publisher.restored, "once per acknowledged subscription");
    assertEquals(List.of("dev-1"), publisher.reconnected, "once per acknowledged subscription");

    // One that unsubscribed meanwhile is left alone.
    delivery.connected("dev-2", new DeviceRecord(), ConnectionFacts.NONE, null);
    delivery.subscribed("dev-2");
    delivery.unsubscribed("dev-2");
    drain();
    assertEquals(List.of("dev-1"), publisher.reconnected);

    // A device the broker takes updates for again gets its set when it subscribes again.
    publisher.subscribed = true;
    delivery.subscribed("dev-1");
    drain();
    assertEquals(List.of("dev-1"), publisher.devices);
  }

  @Test
  void registryAttributesWinOverUserProperties() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of("dev-2", Map.of("model", "gw-10")));
    delivery.connected("dev-2", new DeviceRecord(), new ConnectionFacts(null, Map.of("model", "th-100")), null);
    delivery.subscribed("dev-2");
    drain();
    assertFalse(publisher.updates.get(0).getFlags(0).getBool());
  }

  @Test
  void aConnectionsRecordServesOneConnection() throws Exception {
    FlagDelivery delivery = delivery(new RecordingPublisher(), Map.of());
    DeviceRecord never = new DeviceRecord();
    assertFalse(delivery.disconnected("dev-9", never), "a connection that never started");
    DeviceRecord once = new DeviceRecord();
    delivery.connected("dev-9", once, ConnectionFacts.NONE, null);
    assertThrows(IllegalArgumentException.class, () -> delivery.connected("dev-10", once, ConnectionFacts.NONE, null));
    assertFalse(delivery.disconnected("dev-10", once), "its end is for the client id it connected with");
    assertEquals(1, delivery.deviceCount());
    assertTrue(delivery.disconnected("dev-9", once));
    assertEquals(0, delivery.deviceCount());
  }

  /**
   * Connections A, B, C of one client id in quick succession, whose starts the broker reports A, C,
   * B, and B's end before A's: C, the live one, is served, and counted once (the C library's end to
   * end test found C unserved: B replaced it, and B's end removed it).
   */
  @Test
  void theLiveConnectionIsServedWhenTheStartsOfItsPredecessorsAreReportedAfterIt() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of());
    DeviceRecord a = new DeviceRecord();
    DeviceRecord b = new DeviceRecord();
    DeviceRecord c = new DeviceRecord();
    delivery.connected("dev-7", a, ConnectionFacts.NONE, null);
    delivery.subscribed("dev-7");
    drain();
    delivery.connected("dev-7", c, new ConnectionFacts(null, Map.of("model", "th-100")), null);
    delivery.connected("dev-7", b, ConnectionFacts.NONE, null);
    delivery.subscribed("dev-7"); // C's SUBACK, reported while B is the indexed record
    drain();
    assertFalse(delivery.disconnected("dev-7", b), "C is live");
    assertFalse(delivery.disconnected("dev-7", a), "C is live");
    drain();
    assertEquals(1, delivery.deviceCount());
    FlagUpdate last = publisher.updates.get(publisher.updates.size() - 1);
    assertTrue(last.getSnapshot(), "C gets its whole set: " + last);
    assertTrue(last.getFlagsList().stream().anyMatch(f -> f.getKey().equals("beta") && f.getBool()),
        "of C's own attributes: " + last);
    assertEquals(Map.of("model", "th-100"), delivery.connectionAttributes("dev-7").attributes());

    // and it follows changes as any device does
    int before = publisher.updates.size();
    delivery.resync("dev-7", null);
    drain();
    assertEquals(before + 1, publisher.updates.size());
    assertTrue(delivery.disconnected("dev-7", c));
    assertEquals(0, delivery.deviceCount());
  }

  /** A connection set aside before its own SUBACK is served once it takes over and subscribes. */
  @Test
  void aConnectionSetAsideIsServedWhenItSubscribesAfterTakingOver() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of());
    DeviceRecord b = new DeviceRecord();
    DeviceRecord c = new DeviceRecord();
    delivery.connected("dev-8", c, ConnectionFacts.NONE, null);
    delivery.connected("dev-8", b, ConnectionFacts.NONE, null);
    assertFalse(delivery.disconnected("dev-8", b));
    drain();
    assertEquals(List.of(), publisher.updates, "nothing before it subscribes");
    delivery.subscribed("dev-8");
    drain();
    assertEquals(1, publisher.updates.size());
    assertTrue(publisher.updates.get(0).getSnapshot());
    assertTrue(delivery.disconnected("dev-8", c));
  }

  @Test
  void deviceThatPresentsItsCurrentHashGetsAnEmptyUpdate() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of());
    DeviceRecord first = new DeviceRecord();
    delivery.connected("dev-3", first, ConnectionFacts.NONE, null);
    delivery.subscribed("dev-3");
    drain();
    int hash = publisher.updates.get(0).getStateHash();

    delivery.connected("dev-3", new DeviceRecord(), ConnectionFacts.NONE, hash);
    assertFalse(delivery.disconnected("dev-3", first), "the old connection's end arrives after the takeover");
    delivery.subscribed("dev-3");
    drain();
    FlagUpdate confirm = publisher.updates.get(1);
    assertFalse(confirm.getSnapshot());
    assertEquals(0, confirm.getFlagsCount());
    assertEquals(hash, confirm.getStateHash());

    delivery.resync("dev-3", hash + 1);
    drain();
    assertTrue(publisher.updates.get(2).getSnapshot(), "a wrong hash gets the whole set");
  }

  @Test
  void devicesShareAttributeValuesUntilTheyAreGone() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of("dev-b", Map.of("model", "gw-10", "site", "north")));
    DeviceRecord a = new DeviceRecord();
    DeviceRecord b = new DeviceRecord();
    DeviceRecord c = new DeviceRecord();
    delivery.connected("dev-a", a, new ConnectionFacts("user-a", Map.of("model", new String("th-100"))), null);
    delivery.connected("dev-b", b, new ConnectionFacts(null, Map.of("model", new String("th-100"))), null);
    delivery.connected("dev-c", c, new ConnectionFacts(null, Map.of("model", new String("th-100"))), null);
    for (String id : List.of("dev-a", "dev-b", "dev-c")) {
      delivery.subscribed(id);
    }
    drain();
    assertEquals(3, delivery.attributeValues(), "th-100 once, and dev-b's registry values gw-10 and north");
    assertEquals(List.of(true, false, true),
        publisher.devices.stream().sorted().map(id -> publisher.updates.get(publisher.devices.indexOf(id)).getFlags(0).getBool()).toList(),
        "dev-b's registry model wins");
    assertTrue(delivery.disconnected("dev-b", b));
    assertEquals(1, delivery.attributeValues());
    assertTrue(delivery.disconnected("dev-a", a));
    assertTrue(delivery.disconnected("dev-c", c));
    assertEquals(0, delivery.attributeValues());
  }

  @Test
  void stateHashMatchesTheEvaluator() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of());
    delivery.connected("dev-4", new DeviceRecord(), ConnectionFacts.NONE, null);
    delivery.subscribed("dev-4");
    drain();
    FlagSet set = new FlagSetCompiler(Limits.DEFAULT).compile(FLAGS.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    assertEquals(set.evaluate(DeviceContext.of("dev-4")).stateHash(), publisher.updates.get(0).getStateHash());
  }

  @Test
  void aConnectionWhoseSubackCameBeforeItsStartIsServedIfTheBrokerHoldsItsSubscription() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of());
    delivery.subscribed("dev-early"); // its start is reported after it
    delivery.connected("dev-early", new DeviceRecord(), ConnectionFacts.NONE, null);
    drain();
    assertEquals(List.of("dev-early"), publisher.askedForSubscription);
    assertEquals(List.of("dev-early"), publisher.devices);
    assertTrue(publisher.updates.get(0).getSnapshot());

    // Once: the next connection of the client id is served when it subscribes, as any.
    DeviceRecord next = new DeviceRecord();
    delivery.connected("dev-early", next, ConnectionFacts.NONE, null);
    drain();
    assertEquals(List.of("dev-early"), publisher.askedForSubscription);
  }

  @Test
  void aConnectionAfterAnUnclaimedSubackIsNotServedIfTheBrokerHoldsNoSubscription() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of());
    delivery.subscribed("dev-late");
    publisher.subscribed = false; // the SUBACK was an ended connection's; this one has not subscribed
    delivery.connected("dev-late", new DeviceRecord(), ConnectionFacts.NONE, null);
    drain();
    assertEquals(List.of("dev-late"), publisher.askedForSubscription);
    assertEquals(List.of(), publisher.devices);
    publisher.subscribed = true;
    delivery.subscribed("dev-late");
    drain();
    assertEquals(List.of("dev-late"), publisher.devices, "served when it subscribes");
  }

  @Test
  void anOrdinaryReconnectDoesNotAskTheBroker() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of());
    DeviceRecord first = new DeviceRecord();
    delivery.connected("dev-o", first, ConnectionFacts.NONE, null);
    delivery.subscribed("dev-o");
    drain();
    assertTrue(delivery.disconnected("dev-o", first));
    // At once, to another topic first: the broker may still hold the old connection's subscription,
    // and the device must not be sent its flags through it.
    delivery.connected("dev-o", new DeviceRecord(), ConnectionFacts.NONE, null);
    drain();
    assertEquals(List.of("dev-o"), publisher.devices, "only the first connection's snapshot");
    delivery.connected("dev-o", new DeviceRecord(), ConnectionFacts.NONE, null);
    delivery.subscribed("dev-o");
    drain();
    assertEquals(List.of(), publisher.askedForSubscription);
    assertEquals(List.of("dev-o", "dev-o"), publisher.devices, "and the second's when it subscribes");
  }

  @Test
  void unknownOrUnsubscribedDevicesGetNothing() throws Exception {
    RecordingPublisher publisher = new RecordingPublisher();
    FlagDelivery delivery = delivery(publisher, Map.of());
    delivery.subscribed("never-connected");
    delivery.connected("dev-5", new DeviceRecord(), ConnectionFacts.NONE, null);
    delivery.resync("dev-5", null);
    drain();
    assertTrue(publisher.devices.isEmpty());
  }
}
