package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FanOutProgressTest {

  private final AtomicInteger remaining = new AtomicInteger();
  private final FanOutTest.FanOuts fanOuts = new FanOutTest.FanOuts();
  private final FanOutProgress progress = new FanOutProgress(remaining::get, fanOuts);

  /**
   * Workers start on the first devices while the planner is still planning the rest: what they
   * send counts, and the fan-out cannot end before its planning has.
   */
  @Test
  void updatesSentWhilePlanningCountAndThePlanningIsNotTheEnd() {
    progress.planning(2);
    remaining.set(1);
    progress.sent();
    remaining.set(0);
    progress.tick(false); // the queue drained, but more devices may still be planned
    assertEquals(List.of(), fanOuts.completed);
    remaining.set(1);
    progress.sent();
    remaining.set(0);
    progress.planned(2, 2, 10);
    assertEquals(List.of(2L), fanOuts.completed);
    assertFalse(progress.active());
  }

  @Test
  void aChangeThatAffectsNobodyIsNoFanOut() {
    progress.planning(3);
    progress.planned(3, 0, 10);
    progress.tick(false);
    assertFalse(progress.active());
    assertEquals(List.of(), fanOuts.completed);
  }

  @Test
  void changesOverlappingAFanOutJoinIt() {
    progress.planning(4);
    remaining.set(5);
    progress.planned(4, 5, 10);
    progress.sent();
    progress.planning(5);
    progress.planned(5, 0, 10);
    remaining.set(0);
    progress.sent();
    progress.tick(false);
    assertEquals(List.of(2L), fanOuts.completed);
  }
}
