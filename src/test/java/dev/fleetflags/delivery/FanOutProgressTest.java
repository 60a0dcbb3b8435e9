package dev.fleetflags.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.fleetflags.protocol.ProgressEvent;
import java.util.ArrayList;
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

  /**
   * Operators' events: while a fan-out runs (planned, sent, remaining), one when it is complete,
   * named by the newest revision in it; a change that affects nobody is reported complete at once.
   */
  @Test
  void progressEventsFollowTheFanOutAndEndComplete() {
    List<ProgressEvent> events = new ArrayList<>();
    FanOutProgress reporting = new FanOutProgress(remaining::get, fanOuts, events::add);
    reporting.planning(6);
    reporting.planned(6, 0, 10);
    assertEquals(List.of(new ProgressEvent(6, 0, 0, 0, 0, true)), events);
    events.clear();

    reporting.planning(7);
    reporting.report(); // still planning: nothing to say yet
    assertEquals(List.of(), events);
    remaining.set(3);
    reporting.planned(7, 3, 10);
    reporting.sent();
    remaining.set(2);
    reporting.report();
    assertEquals(1, events.size());
    ProgressEvent running = events.get(0);
    assertEquals(List.of(7L, 3L, 1L, 2L, false), List.of(running.revision(), running.planned(), running.sent(), running.remaining(),
        running.complete()));
    reporting.planning(8);
    reporting.planned(8, 0, 10); // joins the running fan-out, which it now names
    reporting.sent();
    reporting.sent();
    remaining.set(0);
    reporting.report();
    ProgressEvent done = events.get(events.size() - 1);
    assertEquals(List.of(8L, 3L, 3L, 0L, true), List.of(done.revision(), done.planned(), done.sent(), done.remaining(), done.complete()));
    reporting.report();
    assertEquals(done, events.get(events.size() - 1), "nothing more once complete");
  }
}
