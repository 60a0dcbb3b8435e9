package dev.fleetflags.protocol;

/** The admin topics, below the admin prefix ({@code flags-admin} by default). */
public final class Topics {

  private Topics() {}

  public static final String DEFAULT_PREFIX = "flags-admin";

  public static final String APPLY = "flags/apply";
  public static final String REPLACE = "flags/replace";
  public static final String DELETE = "flags/delete";
  public static final String REVERT = "flags/revert";
  public static final String DEVICE_ATTRIBUTES = "devices/attributes";
  public static final String EVALUATE = "query/evaluate";
  public static final String FLAGS = "query/flags";
  public static final String HISTORY = "query/history";
  public static final String DEVICES = "query/devices";
  public static final String COMPLIANCE = "query/compliance";
  public static final String ROLLOUT_START = "rollouts/start";
  public static final String ROLLOUT_PAUSE = "rollouts/pause";
  public static final String ROLLOUT_RESUME = "rollouts/resume";
  public static final String ROLLOUT_ADVANCE = "rollouts/advance";
  public static final String ROLLOUT_ABORT = "rollouts/abort";
  public static final String ROLLOUTS = "query/rollouts";
  public static final String SCHEDULE = "schedule";
  public static final String SCHEDULE_CANCEL = "schedule/cancel";
  public static final String SCHEDULES = "query/schedule";
  /** Fan-out progress events, published by the extension; operators subscribe. */
  public static final String PROGRESS = "progress";

  /** Where a client without a response topic gets its answers. */
  public static String responses(String prefix, String clientId) {
    return prefix + "/responses/" + clientId;
  }
}
