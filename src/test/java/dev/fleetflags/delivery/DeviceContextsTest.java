package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fleetflags.rules.Limits;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What a CONNECT's user properties may make of a device's attributes. */
class DeviceContextsTest {

  private final AtomicInteger ignored = new AtomicInteger();
  private long now = 0;
  private final DeliveryMetrics metrics = new DeliveryMetrics() {
    @Override
    public void attributeIgnored() {
      ignored.incrementAndGet();
    }
  };

  private DeviceContexts contexts(int maxLength, int maxCount) {
    return new DeviceContexts(id -> Map.of(), Set.of("model", "region", "firmware"),
        Limits.DEFAULT.withAttributes(maxLength, maxCount), metrics, () -> now);
  }

  private static List<Map.Entry<String, String>> properties(String... nameValue) {
    List<Map.Entry<String, String>> list = new java.util.ArrayList<>();
    for (int i = 0; i < nameValue.length; i += 2) {
      list.add(new SimpleImmutableEntry<>(nameValue[i], nameValue[i + 1]));
    }
    return list;
  }

  @Test
  void allowedPropertiesWithinTheCapsBecomeAttributes() {
    assertEquals(Map.of("model", "th-100", "region", "eu"),
        contexts(8, 4).allowed("d", properties("model", "th-100", "other", "x", "region", "eu", "model", "second")));
    assertEquals(0, ignored.get());
  }

  @Test
  void aValueOverTheLengthCapIsIgnoredAndCounted() {
    String big = "x".repeat(64 * 1024);
    Map<String, String> kept = contexts(256, 4).allowed("d",
        properties("model", big, "region", "eu", "firmware", big, "model", "th-100"));
    // the name's first value counts: a later one does not take its place
    assertEquals(Map.of("region", "eu"), kept);
    assertEquals(2, ignored.get());
  }

  @Test
  void propertiesBeyondTheCountCapAreIgnoredAndCounted() {
    assertEquals(Map.of("model", "a", "region", "b"),
        contexts(8, 2).allowed("d", properties("model", "a", "region", "b", "firmware", "c")));
    assertEquals(1, ignored.get());
  }

  @Test
  void everyIgnoredOneIsCountedWhileTheLogIsSpaced() {
    DeviceContexts contexts = contexts(4, 4);
    for (int i = 0; i < 100; i++) {
      now += TimeUnit.SECONDS.toNanos(1);
      contexts.allowed("d" + i, properties("model", "too long"));
    }
    assertEquals(100, ignored.get());
    // a line at 1 s, then one a minute: at 61 s
    assertEquals(2, contexts.warnings());
    contexts.allowed("d", properties("region", "too long"));
    assertEquals(3, contexts.warnings(), "each property name is logged on its own");
  }
}
