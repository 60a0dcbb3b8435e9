package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DeviceIndexTest {

  static DeviceRecord record(String clientId) {
    DeviceRecord d = new DeviceRecord();
    d.clientId = clientId;
    return d;
  }

  @Test
  void putGetReplaceAndRemove() {
    DeviceIndex index = new DeviceIndex();
    DeviceRecord first = record("dev-1");
    assertNull(index.put(first));
    assertSame(first, index.get("dev-1"));
    assertNull(index.get("dev-2"));

    DeviceRecord takeover = record("dev-1");
    assertSame(first, index.put(takeover));
    assertSame(takeover, index.get("dev-1"));
    assertEquals(1, index.size());

    assertFalse(index.remove(first), "a replaced record is not removed in its successor's place");
    assertSame(takeover, index.get("dev-1"));
    assertTrue(index.remove(takeover));
    assertFalse(index.remove(takeover));
    assertNull(index.get("dev-1"));
    assertEquals(0, index.size());
  }

  /** "Aa" and "BB" have the same hash code, so all these ids share a home slot and probe. */
  @Test
  void clientIdsWithEqualHashCodesAreToldApart() {
    List<String> ids = new ArrayList<>();
    for (String a : List.of("Aa", "BB")) {
      for (String b : List.of("Aa", "BB")) {
        for (String c : List.of("Aa", "BB")) {
          ids.add(a + b + c);
        }
      }
    }
    DeviceIndex index = new DeviceIndex();
    Map<String, DeviceRecord> model = new HashMap<>();
    for (String id : ids) {
      DeviceRecord d = record(id);
      index.put(d);
      model.put(id, d);
    }
    // remove from the middle of the probe sequence; the others stay reachable
    for (int i = 0; i < ids.size(); i += 3) {
      assertTrue(index.remove(model.remove(ids.get(i))));
    }
    for (String id : ids) {
      assertSame(model.get(id), index.get(id), id);
    }
    assertEquals(model.size(), index.size());
  }

  @Test
  void randomOperationsAgreeWithAMap() {
    Random random = new Random(42);
    DeviceIndex index = new DeviceIndex();
    Map<String, DeviceRecord> model = new HashMap<>();
    for (int step = 0; step < 200_000; step++) {
      String id = "dev-" + random.nextInt(5_000);
      switch (random.nextInt(4)) {
        case 0, 1 -> {
          DeviceRecord d = record(id);
          assertSame(model.put(id, d), index.put(d));
        }
        case 2 -> {
          DeviceRecord present = model.get(id);
          DeviceRecord candidate = present != null && random.nextBoolean() ? present : record(id);
          boolean removed = index.remove(candidate);
          assertEquals(candidate == present, removed);
          if (removed) {
            model.remove(id);
          }
        }
        default -> assertSame(model.get(id), index.get(id));
      }
    }
    assertEquals(model.size(), index.size());
    Set<DeviceRecord> walked = new HashSet<>();
    for (DeviceRecord d : index.values()) {
      assertTrue(walked.add(d), "each record once");
    }
    assertEquals(new HashSet<>(model.values()), walked);
  }

  @Test
  void growsAndShrinks() {
    DeviceIndex index = new DeviceIndex();
    List<DeviceRecord> records = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      DeviceRecord d = record("device-" + i);
      records.add(d);
      index.put(d);
    }
    assertEquals(100_000, index.size());
    for (int i = 0; i < 99_990; i++) {
      assertTrue(index.remove(records.get(i)));
    }
    assertEquals(10, index.size());
    for (int i = 99_990; i < 100_000; i++) {
      assertSame(records.get(i), index.get("device-" + i));
    }
    int walked = 0;
    for (DeviceRecord ignored : index.values()) {
      walked++;
    }
    assertEquals(10, walked);
  }

  @Test
  void aWalkGivesEveryRecordPresentThroughoutWhileOthersComeAndGo() throws Exception {
    DeviceIndex index = new DeviceIndex();
    Set<DeviceRecord> stable = new HashSet<>();
    for (int i = 0; i < 20_000; i++) {
      DeviceRecord d = record("stable-" + i);
      stable.add(d);
      index.put(d);
    }
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> churners = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int thread = t;
      Thread churn = new Thread(() -> {
        try {
          go.await();
          for (int i = 0; i < 50_000; i++) {
            DeviceRecord d = record("churn-" + thread + "-" + (i % 1_000));
            index.put(d);
            if (index.get(d.clientId) != d) {
              throw new AssertionError("a record just put is not found: " + d.clientId);
            }
            index.remove(d);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      churn.start();
      churners.add(churn);
    }
    go.countDown();
    for (int round = 0; round < 20; round++) {
      Set<DeviceRecord> walked = new HashSet<>();
      for (DeviceRecord d : index.values()) {
        walked.add(d);
      }
      assertTrue(walked.containsAll(stable), "round " + round);
    }
    for (Thread churn : churners) {
      churn.join();
    }
    assertNull(failure.get());
    assertEquals(stable.size(), index.size());
  }
}
