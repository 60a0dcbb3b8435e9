package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AckLedgerTest {

  @Test
  void marksAreKeptByRecordAndZeroMarksAreNoEntry() {
    AckLedger ledger = new AckLedger();
    DeviceRecord first = DeviceIndexTest.record("dev-1");
    DeviceRecord takeover = DeviceIndexTest.record("dev-1");
    assertEquals(0, ledger.update(first, m -> m | 1));
    assertEquals(0, ledger.update(takeover, m -> m | 4));
    assertEquals(1, ledger.get(first), "two connections of a client id are two entries");
    assertEquals(4, ledger.get(takeover));
    assertEquals(2, ledger.size());
    assertEquals(1, ledger.update(first, m -> m & ~1));
    assertEquals(1, ledger.size(), "marks of 0 are no entry");
    assertEquals(4, ledger.remove(takeover));
    assertEquals(0, ledger.remove(takeover));
    assertEquals(0, ledger.size());
  }

  /**
   * Thousands of devices (some with client ids of equal hash codes: "Aa" and "BB"), their marks
   * set, changed, cleared by slot and removed at random, held to what a map holds.
   */
  @Test
  void agreesWithAMapThroughGrowthShrinkingAndClearing() {
    Random random = new Random(11);
    AckLedger ledger = new AckLedger();
    Map<DeviceRecord, Long> expected = new IdentityHashMap<>();
    List<DeviceRecord> records = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      records.add(DeviceIndexTest.record(i % 10 == 0 ? (i % 20 == 0 ? "Aa" : "BB") + "BB" + i / 20 : "dev-" + i));
    }
    for (int round = 0; round < 60_000; round++) {
      DeviceRecord d = records.get(random.nextInt(round < 30_000 ? records.size() : 500));
      int op = random.nextInt(10);
      if (op < 6) {
        long bit = 1L << random.nextInt(48);
        long before = expected.getOrDefault(d, 0L);
        assertEquals(before, ledger.update(d, m -> m ^ bit));
        if ((before ^ bit) == 0) {
          expected.remove(d);
        } else {
          expected.put(d, before ^ bit);
        }
      } else if (op < 9) {
        assertEquals((long) expected.getOrDefault(d, 0L), ledger.remove(d));
        expected.remove(d);
      } else if (round % 97 == 0) {
        long bits = 0x0001_0001_0001L << random.nextInt(16);
        ledger.clear(bits);
        expected.replaceAll((k, v) -> v & ~bits);
        expected.values().removeIf(v -> v == 0);
      }
      if (round % 5000 == 0 || round == 59_999) {
        assertEquals(expected.size(), ledger.size(), "round " + round);
        for (DeviceRecord r : records) {
          assertEquals((long) expected.getOrDefault(r, 0L), ledger.get(r), r.clientId);
        }
      }
    }
  }
}
