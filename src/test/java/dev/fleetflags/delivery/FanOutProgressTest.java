package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A fan-out is complete when its last update is published: the load harness found the completion
 * line and {@code fleetflags.fanout.messages} coming as soon as the queue drained, with the
 * publishes still in flight uncounted (3,998 of 5,000 updates "sent").
 */
class FanOutProgressTest {

  private static final String FLAG = """
      {"flags": {"ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "%s"}}}""";

  /** Publishes that stay in flight until released. */
  private final List<CompletableFuture<Boolean>> held = new CopyOnWriteArrayList<>();
  private volatile boolean hold;
  private final List<Long> completedFanOuts = new CopyOnWriteArrayList<>();
  private FlagDelivery delivery;

  @AfterEach
  void close() {
    delivery.close();
  }

  @Test
  void aFanOutCompletesWithItsLastPublishNotWhenItsQueueDrains() throws Exception {
    LiveFlags live = new LiveFlags(new FlagSetRevision(1, compile("off"), Map.of()));
    DevicePublisher publisher = (clientId, payload) -> {
      if (!hold) {
        return CompletableFuture.completedFuture(true);
      }
      CompletableFuture<Boolean> f = new CompletableFuture<>();
      held.add(f);
      return f;
    };
    delivery = new FlagDelivery(live, new DeviceContexts(id -> Map.of(), Set.of()), new FlagUpdates(false),
        publisher, new FlagDelivery.Settings(1, 100, 0, 8, 1000, Duration.ofSeconds(60)), metrics());
    live.addListener(delivery);
    for (int i = 0; i < 5; i++) {
      delivery.connected("dev-" + i, i, ConnectionFacts.NONE, null);
      delivery.subscribed("dev-" + i);
    }
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));

    hold = true;
    FlagSetRevision before = live.current();
    assertEquals(5, live.publish(new FlagChange(before, new FlagSetRevision(2, compile("on"), Map.of()),
        Set.of("ota"), Set.of(), Set.of())));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while ((held.size() < 5 || delivery.pending() > 0) && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    assertEquals(5, held.size(), "every delta handed to the broker");
    assertEquals(0, delivery.pending(), "the queue has drained");
    assertEquals(List.of(), completedFanOuts, "not complete while its publishes are in flight");

    held.forEach(f -> f.complete(true));
    assertTrue(delivery.awaitIdle(Duration.ofSeconds(10)));
    assertEquals(List.of(5L), completedFanOuts, "complete once, counting every update");
  }

  private static FlagSet compile(String defaultVariant) throws Exception {
    return new FlagSetCompiler(Limits.DEFAULT)
        .compile(FLAG.formatted(defaultVariant).getBytes(StandardCharsets.UTF_8), FlagSetCompiler.Mode.STRICT);
  }

  private DeliveryMetrics metrics() {
    return new DeliveryMetrics() {
      @Override
      public void snapshot(int bytes) {}

      @Override
      public void delta(int bytes) {}

      @Override
      public void confirmed(int bytes) {}

      @Override
      public void failed() {}

      @Override
      public void fanOutCompleted(long nanos, long messages) {
        completedFanOuts.add(messages);
      }
    };
  }
}
