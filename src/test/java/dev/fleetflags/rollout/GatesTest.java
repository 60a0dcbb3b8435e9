package dev.fleetflags.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** Each gate at, just below and just above its threshold, and where it has nothing to judge. */
class GatesTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Duration GRACE = Duration.ofSeconds(30);
  private static final Duration AFTER = TIMEOUT;
  private static final Duration BEFORE = TIMEOUT.minusMillis(1);

  private static Gates applied(double min) {
    return new Gates(min, TIMEOUT, null, null, GRACE);
  }

  private static Gates failed(double max) {
    return new Gates(null, TIMEOUT, max, null, GRACE);
  }

  private static Gates disconnected(double max) {
    return new Gates(null, TIMEOUT, null, max, GRACE);
  }

  /** targeted, applied, rejected, failed, silent; a fleet of 10,000 seen with none away. */
  private static WaveFigures figures(long targeted, long applied, long rejected, long failed, long silent) {
    return new WaveFigures(targeted, applied, rejected, failed, silent, 10_000, silent);
  }

  @Test
  void minimumAppliedIsCheckedOnceTheAckTimeoutHasPassed() {
    Gates gates = applied(95);
    assertNull(gates.check(figures(200, 190, 0, 0, 0), AFTER), "exactly 95% passes");
    Gates.Breach breach = Objects.requireNonNull(gates.check(figures(200, 189, 0, 0, 0), AFTER), "94.5% fails");
    assertEquals(Gates.APPLIED, breach.gate());
    assertEquals(94.5, breach.figures().get("percent"));
    assertEquals(95.0, breach.figures().get("threshold"));
    assertEquals(189L, breach.figures().get("applied"));
    assertEquals("94.50% of the 200 targeted devices applied the wave within 60 s (189 devices), less than 95%", breach.reason());
    assertNull(gates.check(figures(200, 0, 0, 0, 0), BEFORE), "not judged before the timeout");
    assertFalse(gates.settled(BEFORE));
    assertTrue(gates.settled(AFTER));
    assertNull(gates.check(figures(0, 0, 0, 0, 0), AFTER), "nothing targeted: nothing to judge");
    assertTrue(Gates.NONE.settled(Duration.ZERO), "without the gate nothing waits for acks");
  }

  @Test
  void maximumRejectedAndFailedCountsBothAndIsCheckedAllAlong() {
    Gates gates = failed(2);
    assertNull(gates.check(figures(500, 0, 4, 6, 0), Duration.ZERO), "exactly 2% passes");
    Gates.Breach breach = Objects.requireNonNull(gates.check(figures(500, 0, 5, 6, 0), Duration.ZERO), "2.2% fails at once");
    assertEquals(Gates.FAILED, breach.gate());
    assertEquals(2.2, breach.figures().get("percent"));
    assertEquals("2.20% of the 500 targeted devices rejected or failed the wave (5 rejected, 6 failed), more than 2%", breach.reason());
    assertNull(failed(0).check(figures(500, 500, 0, 0, 0), Duration.ZERO), "0% allowed, none failed");
    assertEquals(Gates.FAILED, Objects.requireNonNull(failed(0).check(figures(500, 499, 0, 1, 0), Duration.ZERO)).gate());
    assertNull(failed(0).check(figures(0, 0, 0, 0, 0), Duration.ZERO));
  }

  @Test
  void maximumDisconnectedIsCountedAgainstTheRestOfTheFleet() {
    Gates gates = disconnected(5);
    // 100 applied, 7 silent: 7%; the rest of the fleet: 10,000 - 100 seen, 207 - 7 = 200 away: ~2.02%.
    WaveFigures churn = new WaveFigures(100, 100, 0, 0, 7, 10_000, 207);
    assertNull(gates.check(churn, Duration.ZERO), "7% against ~2% is under 5 points more");
    WaveFigures worse = new WaveFigures(100, 100, 0, 0, 8, 10_000, 108);
    // 8% against 100 of 9,900 (1.01%): 6.99 points more.
    Gates.Breach breach = Objects.requireNonNull(gates.check(worse, Duration.ZERO));
    assertEquals(Gates.DISCONNECTED, breach.gate());
    assertEquals(8.0, breach.figures().get("wavePercent"));
    assertEquals(1.01, breach.figures().get("restPercent"));
    assertEquals(6.99, breach.figures().get("percent"));
    assertTrue(breach.reason().startsWith("8.00% of the 100 devices that applied the wave left and did not return within 30 s"
        + " (8 devices), against 1.01% of the rest of the fleet (100 of 9900)"), breach.reason());
    // Exactly 5 points more passes; a quiet fleet makes the wave's own share the figure.
    assertNull(gates.check(new WaveFigures(100, 100, 0, 0, 5, 100, 5), Duration.ZERO));
    assertEquals(Gates.DISCONNECTED, Objects.requireNonNull(gates.check(new WaveFigures(100, 100, 0, 0, 6, 100, 6), Duration.ZERO)).gate());
    assertNull(gates.check(new WaveFigures(100, 0, 0, 0, 0, 100, 50), Duration.ZERO), "none applied: nothing to judge");
  }

  @Test
  void theFailureGateIsReportedFirstAndGatesNotSetAreNotChecked() {
    Gates all = new Gates(99.0, TIMEOUT, 1.0, 1.0, GRACE);
    WaveFigures bad = new WaveFigures(100, 50, 10, 10, 40, 100, 40);
    assertEquals(Gates.FAILED, Objects.requireNonNull(all.check(bad, AFTER)).gate());
    assertNull(Gates.NONE.check(bad, AFTER));
  }
}
