package dev.fleetflags.admin;

import org.jspecify.annotations.Nullable;

/** What an admin request asks for, by the topic it is published to under the admin prefix. */
public enum AdminAction {
  APPLY("flags/apply", true),
  REPLACE("flags/replace", true),
  DELETE("flags/delete", true),
  REVERT("flags/revert", true),
  DEVICE_ATTRIBUTES("devices/attributes", true),
  EVALUATE("query/evaluate", false),
  QUERY_FLAGS("query/flags", false),
  QUERY_HISTORY("query/history", false),
  ROLLOUT_START("rollouts/start", true),
  ROLLOUT_PAUSE("rollouts/pause", true),
  ROLLOUT_RESUME("rollouts/resume", true),
  ROLLOUT_ADVANCE("rollouts/advance", true),
  ROLLOUT_ABORT("rollouts/abort", true),
  QUERY_ROLLOUTS("query/rollouts", false),
  SCHEDULE("schedule", true),
  SCHEDULE_CANCEL("schedule/cancel", true),
  QUERY_SCHEDULE("query/schedule", false),
  QUERY_DEVICES("query/devices", false),
  QUERY_COMPLIANCE("query/compliance", false);

  private final String suffix;
  private final boolean write;

  AdminAction(String suffix, boolean write) {
    this.suffix = suffix;
    this.write = write;
  }

  /** The topic below the admin prefix, e.g. {@code flags/apply}. */
  public String suffix() {
    return suffix;
  }

  /** Whether the action is about rollouts or scheduled changes, which {@link PlanRequests} carries out. */
  public boolean isPlan() {
    return suffix.startsWith("rollouts/") || suffix.equals("query/rollouts") || suffix.startsWith("schedule")
        || suffix.equals("query/schedule");
  }

  /** Whether the action changes the store. */
  public boolean isWrite() {
    return write;
  }

  /** The name used in history and logs, e.g. {@code apply}, {@code devices/attributes}. */
  public String label() {
    return write && suffix.startsWith("flags/") ? suffix.substring(6) : suffix;
  }

  /** The action for a topic below the admin prefix, or null. */
  public static @Nullable AdminAction forSuffix(String suffix) {
    for (AdminAction a : values()) {
      if (a.suffix.equals(suffix)) {
        return a;
      }
    }
    return null;
  }
}
