package dev.fleetflags.rollout;

import dev.fleetflags.admin.AdminAction;
import dev.fleetflags.admin.AdminRequest;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.admin.PlanRequests;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rollouts and scheduled changes together, as the extension runs them: their admin requests (set
 * into {@code FlagAdmin}), and their checks (a timer calls {@link #check} every interval).
 */
public final class Plans implements PlanRequests {

  private static final Logger log = LoggerFactory.getLogger(Plans.class);

  private final Rollouts rollouts;
  private final Schedules schedules;

  public Plans(Rollouts rollouts, Schedules schedules) {
    this.rollouts = rollouts;
    this.schedules = schedules;
  }

  public Rollouts rollouts() {
    return rollouts;
  }

  public Schedules schedules() {
    return schedules;
  }

  @Override
  public CompletableFuture<AdminResponse> handle(AdminRequest request, Map<String, Object> root) {
    AdminAction action = request.action();
    return action.suffix().startsWith("rollouts/") || action == AdminAction.QUERY_ROLLOUTS
        ? rollouts.handle(request, root)
        : schedules.handle(request, root);
  }

  /** One check of both (a timer's thread); their writes go to {@code adminThread}. Never throws. */
  public void check(Executor adminThread) {
    try {
      schedules.check(adminThread);
      rollouts.check(adminThread);
    } catch (RuntimeException e) {
      log.error("Checking rollouts and scheduled changes failed; checked again at the next interval", e);
    }
  }
}
