package dev.fleetflags.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A fan-out's progress on one broker, published on {@code <prefix>/progress} at most every 500 ms
 * while it runs and once when it is complete. Changes that overlap are one fan-out, named by the
 * newest revision planned in it.
 *
 * @param revision the newest revision in the fan-out
 * @param planned devices queued for an update in this fan-out
 * @param sent updates the broker has taken
 * @param remaining devices still waiting for an update (or for the broker to take it)
 * @param ratePerSecond updates sent per second since the last event
 * @param complete whether the fan-out is complete (the last event of it)
 */
public record ProgressEvent(long revision, long planned, long sent, long remaining, long ratePerSecond, boolean complete) {

  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("revision", revision);
    json.put("planned", planned);
    json.put("sent", sent);
    json.put("remaining", remaining);
    json.put("ratePerSecond", ratePerSecond);
    json.put("complete", complete);
    return json;
  }

  public static ProgressEvent fromJson(Map<?, ?> json) {
    return new ProgressEvent(Answer.number(json, "revision", -1), Answer.number(json, "planned", 0),
        Answer.number(json, "sent", 0), Answer.number(json, "remaining", 0), Answer.number(json, "ratePerSecond", 0),
        Boolean.TRUE.equals(json.get("complete")));
  }
}
