package dev.fleetflags.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The answer to {@code query/devices}: one page of the devices connected to the broker that
 * answered, ordered by client id.
 *
 * @param revision the revision the broker serves
 * @param devices this page
 * @param matched devices connected that match the query, on every page
 * @param nextCursor the cursor of the next page, or null if this is the last
 */
public record DevicesAnswer(long revision, List<Device> devices, long matched, @Nullable String nextCursor) {

  public DevicesAnswer {
    devices = List.copyOf(devices);
  }

  /**
   * One connected device.
   *
   * @param clientId its client id
   * @param attributes its targeting attributes (connection and registry; no targeting key)
   * @param revision the revision of what it was last sent, or null if nothing yet
   * @param stateHash the state hash of what it was last sent (8 hex digits), or null
   * @param current whether it holds the flags of the revision served, with nothing waiting for it
   * @param value the queried flag's value for it, when the query names a flag
   */
  public record Device(String clientId, Map<String, Object> attributes, @Nullable Long revision, @Nullable String stateHash,
      boolean current, @Nullable Object value) {

    public Map<String, Object> toJson(boolean withValue) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("clientId", clientId);
      json.put("attributes", attributes);
      json.put("revision", revision);
      json.put("stateHash", stateHash);
      json.put("current", current);
      if (withValue) {
        json.put("value", value);
      }
      return json;
    }

    static Device fromJson(Map<?, ?> json) {
      return new Device(String.valueOf(json.get("clientId")), Answer.object(json, "attributes"),
          json.get("revision") instanceof Number n ? n.longValue() : null, Answer.string(json, "stateHash"),
          Boolean.TRUE.equals(json.get("current")), json.get("value"));
    }
  }

  /** The answer's members after {@code status}. */
  public Map<String, Object> toJson(boolean withValues) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("revision", revision);
    List<Object> list = new ArrayList<>();
    devices.forEach(d -> list.add(d.toJson(withValues)));
    json.put("devices", list);
    json.put("matched", matched);
    if (nextCursor != null) {
      json.put("nextCursor", nextCursor);
    }
    return json;
  }

  public static DevicesAnswer of(Answer answer) {
    List<Device> devices = new ArrayList<>();
    if (answer.body().get("devices") instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> d) {
          devices.add(Device.fromJson(d));
        }
      }
    }
    return new DevicesAnswer(answer.revision(), devices, Answer.number(answer.body(), "matched", devices.size()),
        Answer.string(answer.body(), "nextCursor"));
  }
}
