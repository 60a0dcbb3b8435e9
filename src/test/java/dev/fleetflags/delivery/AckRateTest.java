package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AckRateTest {

  private final AtomicLong millis = new AtomicLong(1_000_000);
  private final AckRate rate = new AckRate(millis::get);

  @Test
  void aBurstIsAdmittedThenTwoASecond() {
    DeviceRecord d = new DeviceRecord();
    for (int i = 0; i < AckRate.BURST; i++) {
      assertTrue(rate.admit(d), "ack " + i + " of the burst");
    }
    assertFalse(rate.admit(d), "beyond the burst");
    millis.addAndGet(499);
    assertFalse(rate.admit(d), "not yet a token back");
    millis.addAndGet(1);
    assertTrue(rate.admit(d), "one token every 500 ms");
    assertFalse(rate.admit(d));
    millis.addAndGet(1000);
    assertTrue(rate.admit(d));
    assertTrue(rate.admit(d));
    assertFalse(rate.admit(d), "two a second");
  }

  @Test
  void devicesHaveBucketsOfTheirOwn() {
    DeviceRecord flooding = new DeviceRecord();
    DeviceRecord quiet = new DeviceRecord();
    for (int i = 0; i < 100; i++) {
      rate.admit(flooding);
    }
    assertFalse(rate.admit(flooding));
    assertTrue(rate.admit(quiet), "another device is not held back");
  }

  @Test
  void aBucketFullAgainIsForgottenAndAdmitsTheSame() {
    DeviceRecord d = new DeviceRecord();
    DeviceRecord busy = new DeviceRecord();
    rate.admit(d);
    for (int i = 0; i < AckRate.BURST; i++) {
      rate.admit(busy);
    }
    assertEquals(2, rate.size());
    millis.addAndGet(500); // d is full again, busy has one token back
    rate.sweep();
    assertEquals(1, rate.size(), "only the device that is not full again keeps its bucket");
    millis.addAndGet(10_000);
    rate.sweep();
    assertEquals(0, rate.size(), "devices that do not ack cost nothing");
    for (int i = 0; i < AckRate.BURST; i++) {
      assertTrue(rate.admit(d), "a forgotten bucket is a full one");
    }
    assertFalse(rate.admit(d));
    rate.forget(d);
    assertTrue(rate.admit(d), "a connection's end forgets its bucket");
  }

  @Test
  void aClockThatGoesBackGivesNothing() {
    DeviceRecord d = new DeviceRecord();
    for (int i = 0; i < AckRate.BURST; i++) {
      rate.admit(d);
    }
    millis.addAndGet(-60_000);
    assertFalse(rate.admit(d));
    millis.addAndGet(60_500);
    assertTrue(rate.admit(d));
  }
}
