package dev.fleetflags.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A request about staged rollouts or scheduled changes ({@code rollouts/start}, {@code
 * .../pause}, {@code .../resume}, {@code .../advance}, {@code .../abort}, {@code query/rollouts},
 * {@code schedule}, {@code schedule/cancel}, {@code query/schedule}), carried as its JSON: the
 * extension's rollout package reads and checks it, every problem located (README, "Safe rollouts").
 *
 * @param topic one of those topics
 * @param body the request's JSON object
 */
public record PlanRequest(String topic, Map<String, Object> body) implements Request {

  public static final Set<String> TOPICS = Set.of(Topics.ROLLOUT_START, Topics.ROLLOUT_PAUSE, Topics.ROLLOUT_RESUME,
      Topics.ROLLOUT_ADVANCE, Topics.ROLLOUT_ABORT, Topics.ROLLOUTS, Topics.SCHEDULE, Topics.SCHEDULE_CANCEL,
      Topics.SCHEDULES);

  public PlanRequest {
    if (!TOPICS.contains(topic)) {
      throw new IllegalArgumentException("not a rollout or schedule topic: " + topic);
    }
    body = Collections.unmodifiableMap(new LinkedHashMap<>(body));
  }

  @Override
  public Map<String, Object> toJson() {
    return body;
  }
}
