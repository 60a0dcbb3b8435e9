package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    assertEquals(1, index.displaced());

    assertEquals(DeviceIndex.Removal.DISPLACED, index.remove(first), "a replaced record is not removed in its successor's place");
    assertSame(takeover, index.get("dev-1"));
    assertEquals(0, index.displaced());
    assertEquals(DeviceIndex.Removal.LAST, index.remove(takeover));
    assertEquals(DeviceIndex.Removal.NOT_HELD, index.remove(takeover));
    assertNull(index.get("dev-1"));
    assertEquals(0, index.size());
  }

  /**
   * Three connections of one client id, A, B, C, whose starts are reported A, C, B and whose ends
   * B, then A: C, the live one, is indexed once B's end arrives, and stays so.
   */
  @Test
  void theLiveConnectionIsIndexedWhateverTheOrderOfStartsAndEnds() {
    DeviceIndex index = new DeviceIndex();
    DeviceRecord a = record("dev-1");
    DeviceRecord b = record("dev-1");
    DeviceRecord c = record("dev-1");
    index.put(a);
    assertSame(a, index.put(c));
    assertSame(c, index.put(b));
    assertEquals(2, index.displaced());

    assertEquals(DeviceIndex.Removal.REPLACED, index.remove(b));
    assertSame(c, index.get("dev-1"), "the newest record set aside takes the ended one's place");
    assertEquals(DeviceIndex.Removal.DISPLACED, index.remove(a));
    assertSame(c, index.get("dev-1"));
    assertEquals(1, index.size());
    assertEquals(0, index.displaced());
    assertEquals(DeviceIndex.Removal.LAST, index.remove(c));
    assertEquals(0, index.size());
  }

  /** Whatever the order of starts and ends, once every ended connection's end is in, the live one is indexed. */
  @Test
  void anyOrderOfLifecycleEventsLeavesTheLiveConnectionIndexed() {
    Random random = new Random(7);
    for (int round = 0; round < 2_000; round++) {
      DeviceIndex index = new DeviceIndex();
      int connections = 2 + random.nextInt(5);
      List<DeviceRecord> records = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        records.add(record("dev-x"));
      }
      DeviceRecord live = records.get(connections - 1);
      // Each connection's start comes before its end; the live one has no end. Otherwise any order.
      List<Runnable> events = new ArrayList<>();
      List<DeviceRecord> started = new ArrayList<>();
      List<DeviceRecord> pendingStarts = new ArrayList<>(records);
      while (!pendingStarts.isEmpty() || !started.isEmpty()) {
        boolean start = started.isEmpty() || (!pendingStarts.isEmpty() && random.nextBoolean());
        if (start) {
          DeviceRecord d = pendingStarts.remove(random.nextInt(pendingStarts.size()));
          events.add(() -> index.put(d));
          if (d != live) {
            started.add(d);
          }
        } else {
          DeviceRecord d = started.remove(random.nextInt(started.size()));
          events.add(() -> index.remove(d));
        }
      }
      events.forEach(Runnable::run);
      assertSame(live, index.get("dev-x"), "round " + round);
      assertEquals(1, index.size());
      assertEquals(0, index.displaced(), "round " + round);
    }
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
      assertEquals(DeviceIndex.Removal.LAST, index.remove(model.remove(ids.get(i))));
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
    Map<String, List<DeviceRecord>> displaced = new HashMap<>();
    for (int step = 0; step < 200_000; step++) {
      String id = "dev-" + random.nextInt(5_000);
      switch (random.nextInt(4)) {
        case 0, 1 -> {
          DeviceRecord d = record(id);
          DeviceRecord replaced = model.put(id, d);
          assertSame(replaced, index.put(d));
          if (replaced != null) {
            displaced.computeIfAbsent(id, x -> new ArrayList<>()).add(replaced);
          }
        }
        case 2 -> {
          DeviceRecord present = model.get(id);
          List<DeviceRecord> aside = displaced.getOrDefault(id, new ArrayList<>());
          DeviceRecord candidate = present != null && random.nextBoolean() ? present
              : !aside.isEmpty() && random.nextBoolean() ? aside.get(random.nextInt(aside.size())) : record(id);
          DeviceIndex.Removal expected;
          if (candidate == present) {
            if (aside.isEmpty()) {
              expected = DeviceIndex.Removal.LAST;
              model.remove(id);
            } else {
              expected = DeviceIndex.Removal.REPLACED;
              model.put(id, aside.remove(aside.size() - 1));
            }
          } else {
            expected = aside.remove(candidate) ? DeviceIndex.Removal.DISPLACED : DeviceIndex.Removal.NOT_HELD;
          }
          assertEquals(expected, index.remove(candidate));
        }
        default -> assertSame(model.get(id), index.get(id));
      }
    }
    assertEquals(model.size(), index.size());
    assertEquals(displaced.values().stream().mapToInt(List::size).sum(), index.displaced());
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
      assertEquals(DeviceIndex.Removal.LAST, index.remove(records.get(i)));
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
