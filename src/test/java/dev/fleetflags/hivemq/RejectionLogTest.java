package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the log line of a rejected admin request says: its problems with their locations, the first
 * few of a long list and how many more (a document with thousands of problems is one short line),
 * or an error's reason.
 */
class RejectionLogTest {

  @Test
  void theProblemsWithTheirLocations() {
    AdminResponse rejected = AdminResponse.rejected(List.of(
        new Problem("flags.ota.defaultVariant", "no variant \"of\""), new Problem("", "the request is too large")));
    assertEquals("flags.ota.defaultVariant: no variant \"of\"; the request is too large", AdminEndpoint.why(rejected));
  }

  @Test
  void aLongListIsCutAfterTheFirstFew() {
    List<Problem> problems = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      problems.add(new Problem("flags.f" + i, "unknown member"));
    }
    assertEquals("flags.f0: unknown member; flags.f1: unknown member; flags.f2: unknown member; and 997 more problems",
        AdminEndpoint.why(AdminResponse.rejected(problems)));
  }

  @Test
  void anErrorsReason() {
    assertEquals("the admin queue is full; nothing was changed; retry shortly",
        AdminEndpoint.why(AdminResponse.error("the admin queue is full; nothing was changed; retry shortly")));
  }
}
