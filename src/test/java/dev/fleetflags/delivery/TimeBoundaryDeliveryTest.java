package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.proto.v1.FlagUpdate;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A time boundary passing, on delivery with the test's devices and clock: exactly the connected
 * devices whose value the time changes get one delta (with the state hash of their set at the new
 * time), the others nothing, without a new revision; a device that returns presenting what it held
 * before the boundary gets a delta, not a snapshot; the timer is set for the next boundary of the
 * live flags and moves when they change.
 */
class TimeBoundaryDeliveryTest {

  private static final long B = 1_767_225_600; // 2026-01-01T00:00:00Z
  private static final String FLAGS = """
      {"flags": {
        "sale": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                 "targeting": {"if": [{"and": [{">=": [{"var": "$flagd.timestamp"}, %d]}, {"==": [{"var": "region"}, "eu"]}]}, "on", "off"]}},
        "static": {"state": "ENABLED", "variants": {"v": "v"}, "defaultVariant": "v"}
      }}""".formatted(B);

  private final TestClock clock = new TestClock(Instant.ofEpochSecond(B - 10));
  private final FanOutTest.Devices devices = new FanOutTest.Devices();
  private final Map<String, Map<String, Object>> registry = new ConcurrentHashMap<>();
  private final Map<String, DeviceRecord> connections = new ConcurrentHashMap<>();
  private FlagDelivery delivery;
  private TimeBoundaries boundaries;
  private FlagSet served;

  @AfterEach
  void close() {
    boundaries.close();
    delivery.close();
  }

  private LiveFlags start(String flags) throws Exception {
    FlagSet set = new FlagSetCompiler(Limits.DEFAULT).compile(flags.getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    served = set;
    LiveFlags live = new LiveFlags(new FlagSetRevision(7, set, Map.of()));
    delivery = new FlagDelivery(live, new DeviceContexts(id -> registry.getOrDefault(id, Map.of()), Set.of()),
        new FlagUpdates(false), devices, new FlagDelivery.Settings(1, 100, 0, 8, 1000, Duration.ofSeconds(60)), DeliveryMetrics.NONE);
    delivery.useClock(clock);
    live.addListener(delivery);
    boundaries = new TimeBoundaries(delivery, live, clock);
    live.addListener(boundaries);
    return live;
  }

  private void connect(String id, Integer presentedHash) {
    DeviceRecord connection = new DeviceRecord();
    connections.put(id, connection);
    delivery.connected(id, connection, ConnectionFacts.NONE, presentedHash);
    delivery.subscribed(id);
  }

  private int expectedHash(String id, long second) {
    Evaluation e = served.evaluate(new DeviceContext(id, registry.getOrDefault(id, Map.of())), second);
    return e.stateHash();
  }

  @Test
  void exactlyTheDevicesWhoseValueTheTimeChangesGetADelta() throws Exception {
    start(FLAGS);
    for (int i = 0; i < 60; i++) {
      registry.put("dev-" + i, Map.of("region", i % 3 == 0 ? "eu" : "us"));
      connect("dev-" + i, null);
    }
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    assertEquals(B, boundaries.nextBoundary());

    clock.advance(Duration.ofSeconds(9));
    boundaries.passed();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    for (int i = 0; i < 60; i++) {
      assertEquals(1, devices.messages("dev-" + i), "nothing before the boundary");
    }

    clock.advance(Duration.ofSeconds(1));
    boundaries.passed();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    for (int i = 0; i < 60; i++) {
      String id = "dev-" + i;
      boolean eu = i % 3 == 0;
      assertEquals(eu ? 2 : 1, devices.messages(id), id);
      List<FlagUpdate> got = devices.received.get(id);
      FlagUpdate last = got.get(got.size() - 1);
      if (eu) {
        assertFalse(last.getSnapshot(), "a delta");
        assertEquals(1, last.getFlagsCount());
        assertEquals("sale", last.getFlags(0).getKey());
        assertTrue(last.getFlags(0).getBool());
        assertEquals(7, last.getRevision(), "no new revision: the time changed, not the flags");
      }
      assertEquals(Boolean.valueOf(eu), devices.state(id).get("sale"));
      assertEquals(expectedHash(id, B), last.getStateHash());
    }
    assertEquals(B + 1, boundaries.nextBoundary(), "the next second of the same comparison (>= turns at B; > would at B + 1)");
  }

  @Test
  void aDeviceBackWithWhatItHeldBeforeTheBoundaryGetsADelta() throws Exception {
    start(FLAGS);
    registry.put("dev-eu", Map.of("region", "eu"));
    connect("dev-eu", null);
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    int before = devices.received.get("dev-eu").get(0).getStateHash();
    delivery.disconnected("dev-eu", connections.get("dev-eu"));
    clock.advance(Duration.ofSeconds(15));
    boundaries.passed();
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    connect("dev-eu", before);
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    FlagUpdate back = devices.received.get("dev-eu").get(1);
    assertFalse(back.getSnapshot(), "what it held is known: the set just before the boundary");
    assertEquals(1, back.getFlagsCount());
    assertEquals(expectedHash("dev-eu", B + 5), back.getStateHash());
  }

  @Test
  void aChangeOfTheFlagsSetsTheTimerForTheirNextBoundary() throws Exception {
    LiveFlags live = start(FLAGS);
    assertEquals(B, boundaries.nextBoundary());
    FlagSet later = new FlagSetCompiler(Limits.DEFAULT).compile(FLAGS.replace(Long.toString(B), Long.toString(B + 3600))
        .getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
    live.publish(new FlagChange(live.current(), new FlagSetRevision(8, later, Map.of()), Set.of("sale"), Set.of(), Set.of())).join();
    assertEquals(B + 3600, boundaries.nextBoundary());
  }
}
