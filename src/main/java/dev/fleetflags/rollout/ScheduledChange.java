package dev.fleetflags.rollout;

import dev.fleetflags.admin.AdminAction;
import dev.fleetflags.store.Actor;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One admin write to be made at a given time, as the store keeps it (plan {@code schedule/<id>}):
 * the write (one of the admin write actions, with its payload), when, who asked, and what became
 * of it.
 *
 * @param id the revision the change was scheduled at, e.g. {@code 41}
 * @param write the admin write it makes, e.g. {@link AdminAction#APPLY}
 * @param request the write's payload, as an operator would publish it
 * @param outcome what became of it, in words
 */
public record ScheduledChange(
    String id,
    Instant at,
    AdminAction write,
    Map<String, Object> request,
    Status status,
    Actor scheduledBy,
    Instant scheduledAt,
    @Nullable Instant appliedAt,
    String outcome) {

  public static final String PLAN_PREFIX = "schedule/";

  public enum Status {
    PENDING, APPLIED, FAILED, CANCELLED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public ScheduledChange {
    request = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(request));
  }

  public String planId() {
    return PLAN_PREFIX + id;
  }

  public ScheduledChange ended(Status status, Instant now, String outcome) {
    return new ScheduledChange(id, at, write, request, status, scheduledBy, scheduledAt, now, outcome);
  }

  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", id);
    json.put("at", at.toEpochMilli());
    json.put("write", write.suffix());
    json.put("request", request);
    json.put("status", status.label());
    json.put("scheduledBy", Rollout.actor(scheduledBy));
    json.put("scheduledAt", scheduledAt.toEpochMilli());
    json.put("appliedAt", appliedAt == null ? null : appliedAt.toEpochMilli());
    json.put("outcome", outcome);
    return json;
  }

  /** A scheduled change as operators see it: times in RFC 3339 (the history has the revision it was made at). */
  public Map<String, Object> view() {
    Map<String, Object> json = toJson();
    json.put("at", at.toString());
    json.put("scheduledAt", scheduledAt.toString());
    json.put("appliedAt", appliedAt == null ? null : appliedAt.toString());
    return json;
  }

  /**
   * Reads one as {@link #toJson} wrote it.
   *
   * @throws IllegalArgumentException if it is not one
   */
  public static ScheduledChange fromJson(@Nullable Object stored) {
    if (!(stored instanceof Map<?, ?> json)) {
      throw new IllegalArgumentException("not an object");
    }
    try {
      AdminAction write = AdminAction.forSuffix((String) json.get("write"));
      if (write == null || !write.isWrite() || write.isPlan()) {
        throw new IllegalArgumentException("not a write: " + json.get("write"));
      }
      Map<?, ?> by = (Map<?, ?>) json.get("scheduledBy");
      @SuppressWarnings("unchecked")
      Map<String, Object> request = (Map<String, Object>) json.get("request");
      return new ScheduledChange((String) json.get("id"), instant(json.get("at")), write, request,
          Status.valueOf(((String) json.get("status")).toUpperCase(Locale.ROOT)),
          new Actor((String) by.get("clientId"), (String) by.get("username")), instant(json.get("scheduledAt")),
          json.get("appliedAt") == null ? null : instant(json.get("appliedAt")), String.valueOf(json.get("outcome")));
    } catch (ClassCastException | NullPointerException e) {
      throw new IllegalArgumentException("not a scheduled change: " + e.getMessage(), e);
    }
  }

  private static Instant instant(@Nullable Object millis) {
    return Instant.ofEpochMilli(((Number) millis).longValue());
  }
}
