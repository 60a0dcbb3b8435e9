package dev.fleetflags.rollout;

import dev.fleetflags.admin.AdminAction;
import dev.fleetflags.admin.AdminRequest;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.admin.FlagAdmin;
import dev.fleetflags.delivery.LogLimit;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Problem;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.FlagStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scheduled changes: an admin write to be made at a given time. Scheduling one, cancelling one and
 * making one are each a write through {@link FlagAdmin} (durable, audited), the change's state in
 * the same batch; the write it makes is validated when it is scheduled and again, as any write,
 * when it is made. A change whose time passed while no broker drove them (the broker was down) is
 * made at the first check after the start, and the log says how late. Only the broker that {@link
 * Leadership#drives} makes them.
 */
public final class Schedules {

  private static final Logger log = LoggerFactory.getLogger(Schedules.class);
  /** Changes made, failed or cancelled kept for the query; older ones go in the write that ends another. */
  static final int KEPT_ENDED = 100;
  static final Duration FURTHEST = Duration.ofDays(3650);
  /** Pending changes at most: each is held in memory and looked at every check. */
  static final int MAX_PENDING = 1000;
  private static final Set<String> MEMBERS = Set.of("at", "write", "request");
  private static final Set<AdminAction> WRITES = Set.of(AdminAction.APPLY, AdminAction.REPLACE, AdminAction.DELETE,
      AdminAction.DEVICE_ATTRIBUTES);

  private final FlagAdmin admin;
  private final FlagStore store;
  private final Clock clock;
  private final Leadership leadership;
  private final RolloutMetrics metrics;
  /** When this run started: a change due before then was due while the broker was down. */
  private final Instant started;
  private final LogLimit failedWrites = LogLimit.perMinute();
  private final int maxPending;

  public Schedules(FlagAdmin admin, FlagStore store, Clock clock, Leadership leadership, RolloutMetrics metrics) {
    this(admin, store, clock, leadership, metrics, MAX_PENDING);
  }

  Schedules(FlagAdmin admin, FlagStore store, Clock clock, Leadership leadership, RolloutMetrics metrics, int maxPending) {
    this.maxPending = maxPending;
    this.admin = admin;
    this.store = store;
    this.clock = clock;
    this.leadership = leadership;
    this.metrics = metrics;
    this.started = clock.instant();
  }

  /** Every scheduled change the store holds, soonest first. */
  List<ScheduledChange> all() {
    List<ScheduledChange> changes = new ArrayList<>();
    store.plans().forEach((id, json) -> {
      if (id.startsWith(ScheduledChange.PLAN_PREFIX)) {
        try {
          changes.add(ScheduledChange.fromJson(json));
        } catch (IllegalArgumentException e) {
          log.warn("The stored scheduled change {} cannot be read and is left alone: {}", id, e.getMessage());
        }
      }
    });
    changes.sort(Comparator.comparing(ScheduledChange::at).thenComparing(ScheduledChange::id));
    return changes;
  }

  /** When the next pending change is due, or null if none is. */
  public @Nullable Instant next() {
    return all().stream().filter(c -> c.status() == ScheduledChange.Status.PENDING).map(ScheduledChange::at).findFirst()
        .orElse(null);
  }

  // --- checks ----------------------------------------------------------------------------------

  /** Makes every change that is due, on {@code adminThread}, if this broker drives. */
  public void check(Executor adminThread) {
    Instant now = clock.instant();
    Instant due = next();
    if (due == null || due.isAfter(now) || !leadership.drives()) {
      return;
    }
    adminThread.execute(() -> {
      for (ScheduledChange c : all()) {
        if (c.status() == ScheduledChange.Status.PENDING && !c.at().isAfter(clock.instant()) && leadership.drives()) {
          try {
            apply(c);
          } catch (RuntimeException e) {
            log.error("Making scheduled change {} failed; it is tried again at the next check", c.id(), e);
          }
        }
      }
    });
  }

  /** Makes one due change (admin thread), with its state as applied in the same write, or records why it failed. */
  private void apply(ScheduledChange c) {
    Instant now = clock.instant();
    long late = Duration.between(c.at(), now).toMillis();
    String lateness = c.at().isBefore(started)
        ? "; " + late / 1000 + " s late: its time passed while the broker was down, so it is made at start"
        : late >= 1000 ? "; " + late + " ms late" : "";
    Actor actor = new Actor(c.planId(), c.scheduledBy().username());
    ScheduledChange applied = c.ended(ScheduledChange.Status.APPLIED, now, "applied at " + now + lateness);
    CompletableFuture<AdminResponse> answer = admin.handleAsync(new AdminRequest(c.write(),
        Json.write(c.request()).getBytes(StandardCharsets.UTF_8), actor, plans(applied)));
    // The write is durable, or refused, when handleAsync returns; only planning its delivery goes on.
    if (status(c.id()) == ScheduledChange.Status.APPLIED) {
      metrics.scheduledApplied();
      log.info("Scheduled change {} ({} due at {}, scheduled by client '{}') made at revision {}{}", c.id(), c.write().suffix(),
          c.at(), c.scheduledBy().clientId(), store.revision(), lateness);
      return;
    }
    AdminResponse refused = answer.getNow(AdminResponse.error("no answer"));
    if (refused.status().equals("rejected")) {
      String outcome = "failed at " + now + ": the write was rejected: " + RequestFields.problems(refused);
      log.warn("Scheduled change {} ({} due at {}) {}", c.id(), c.write().suffix(), c.at(), outcome);
      writePlans(c.write(), actor, plans(c.ended(ScheduledChange.Status.FAILED, now, outcome)));
      return;
    }
    if (failedWrites.admit(c.id()) != null) {
      log.warn("Scheduled change {} ({} due at {}) could not be made now, tried again at the next check: {}", c.id(),
          c.write().suffix(), c.at(), refused);
    }
  }

  private ScheduledChange.@Nullable Status status(String id) {
    Object json = store.plans().get(ScheduledChange.PLAN_PREFIX + id);
    return json == null ? null : ScheduledChange.fromJson(json).status();
  }

  /** The change's new state, and the ended changes beyond the {@value #KEPT_ENDED} newest removed. */
  private Map<String, @Nullable Object> plans(ScheduledChange c) {
    Map<String, @Nullable Object> plans = new LinkedHashMap<>();
    plans.put(c.planId(), c.toJson());
    if (c.status() != ScheduledChange.Status.PENDING) {
      List<ScheduledChange> ended = new ArrayList<>(all().stream()
          .filter(x -> x.status() != ScheduledChange.Status.PENDING && !x.id().equals(c.id())).toList());
      ended.sort(Comparator.comparing((ScheduledChange x) -> Objects.requireNonNullElse(x.appliedAt(), x.at())));
      for (int i = 0; i < ended.size() + 1 - KEPT_ENDED; i++) {
        plans.put(ended.get(i).planId(), null);
      }
    }
    return plans;
  }

  /** A write of scheduled changes' state alone, recorded in the history as {@code action}. */
  private CompletableFuture<AdminResponse> writePlans(AdminAction action, Actor actor, Map<String, @Nullable Object> plans) {
    String payload = Json.write(Map.of("flags", Map.of(), "expectedRevision", store.revision()));
    return admin.handleAsync(new AdminRequest(action, payload.getBytes(StandardCharsets.UTF_8), actor, plans), AdminAction.APPLY);
  }

  // --- requests (admin thread) -----------------------------------------------------------------

  /** Carries out a request about scheduled changes ({@code schedule}, {@code schedule/cancel}, {@code query/schedule}). */
  public CompletableFuture<AdminResponse> handle(AdminRequest request, Map<String, Object> root) {
    return switch (request.action()) {
      case SCHEDULE -> schedule(request, root);
      case SCHEDULE_CANCEL -> cancel(request, root);
      case QUERY_SCHEDULE -> now(query(root));
      default -> throw new IllegalArgumentException("not a schedule request: " + request.action());
    };
  }

  private CompletableFuture<AdminResponse> schedule(AdminRequest request, Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    RequestFields fields = new RequestFields(root, problems);
    fields.only(MEMBERS);
    Instant now = clock.instant();
    Instant at = null;
    Object atJson = root.get("at");
    if (!(atJson instanceof String text)) {
      problems.add(new Problem("at", atJson == null ? "missing; when to make the write, in RFC 3339, e.g. \"2030-01-01T00:00:00Z\""
          : "must be a time in RFC 3339, e.g. \"2030-01-01T00:00:00Z\", found " + Json.describe(atJson)));
    } else {
      try {
        at = OffsetDateTime.parse(text).toInstant();
        if (!at.isAfter(now)) {
          problems.add(new Problem("at", Json.quote(text) + " is not in the future (it is " + now + "); make the write now instead"));
        } else if (at.isAfter(now.plus(FURTHEST))) {
          problems.add(new Problem("at", Json.quote(text) + " is more than ten years ahead"));
        }
      } catch (DateTimeParseException e) {
        problems.add(new Problem("at", "not a time in RFC 3339 with an offset (e.g. \"2030-01-01T00:00:00Z\" or"
            + " \"2030-01-01T01:00:00+01:00\"): " + Json.quote(text)));
      }
    }
    Object writeJson = root.get("write");
    AdminAction write = writeJson instanceof String w ? AdminAction.forSuffix(w) : null;
    if (write == null || !WRITES.contains(write)) {
      List<String> known = WRITES.stream().map(AdminAction::suffix).sorted().toList();
      problems.add(new Problem("write", (writeJson == null ? "missing; " : Json.describe(writeJson) + " is not a write that can be"
          + " scheduled; ") + "give one of " + String.join(", ", known)));
    }
    Object requestJson = root.get("request");
    if (!(requestJson instanceof Map<?, ?> payload)) {
      problems.add(new Problem("request", requestJson == null ? "missing; the write's request, as published to its topic"
          : "must be the write's request (an object), found " + Json.kind(requestJson)));
    } else {
      if (payload.containsKey("expectedRevision")) {
        problems.add(new Problem("request.expectedRevision", "a scheduled write cannot expect a revision: the flags will have"
            + " moved on by its time"));
      }
      if (payload.containsKey("dryRun")) {
        problems.add(new Problem("request.dryRun", "a scheduled write is made at its time; ask for a dry run now instead"));
      }
      if (write == AdminAction.APPLY || write == AdminAction.REPLACE) {
        validate(payload, write == AdminAction.REPLACE, problems);
      }
    }
    long pending = all().stream().filter(c -> c.status() == ScheduledChange.Status.PENDING).count();
    if (pending >= maxPending) {
      problems.add(new Problem("", pending + " changes are scheduled already, the most there may be; cancel some, or wait"
          + " until they are made"));
    }
    if (!problems.isEmpty() || at == null || write == null) {
      return now(AdminResponse.rejected(problems));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> payload = (Map<String, Object>) requestJson;
    ScheduledChange change = new ScheduledChange(Long.toString(store.revision()), at, write, payload,
        ScheduledChange.Status.PENDING, request.actor(), now, null, "scheduled by client '" + request.actor().clientId() + "'");
    if (store.plans().containsKey(change.planId())) {
      return now(AdminResponse.rejected("", "a change was already scheduled at revision " + change.id() + "; retry"));
    }
    return writePlans(AdminAction.SCHEDULE, request.actor(), plans(change)).thenApply(answer -> {
      if (!answer.isAccepted()) {
        return answer;
      }
      log.info("Change {} scheduled by client '{}' (user '{}'): {} at {}", change.id(), request.actor().clientId(),
          request.actor().username(), change.write().suffix(), change.at());
      return with(answer, change);
    });
  }

  /**
   * Checks an apply or replace against the flags as they are now, as the write itself would: the
   * flags may change by its time, and the write is checked again then.
   */
  private void validate(Map<?, ?> payload, boolean replace, List<Problem> problems) {
    FlagDocumentParser.Result parsed = new FlagDocumentParser(admin.limits()).parse(payload);
    List<Problem> found = new ArrayList<>(parsed.problems());
    FlagDocument next = replace ? parsed.document() : store.flags().document().merge(parsed.document());
    try {
      new FlagSetCompiler(admin.limits()).compile(next, FlagSetCompiler.Mode.STRICT);
    } catch (InvalidDocumentException e) {
      e.problems().stream().filter(p -> !found.contains(p)).forEach(found::add);
    }
    for (Problem p : found) {
      problems.add(new Problem(p.location().isEmpty() ? "request" : "request." + p.location(), p.reason()));
    }
  }

  private CompletableFuture<AdminResponse> cancel(AdminRequest request, Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    new RequestFields(root, problems).only(Set.of("id"));
    Object id = root.get("id");
    String key = id instanceof String s ? s : id instanceof Long n ? Long.toString(n) : null;
    if (key == null) {
      problems.add(new Problem("id", id == null ? "missing; the id of the scheduled change (query/schedule lists them)"
          : "must be a scheduled change's id, found " + Json.describe(id)));
      return now(AdminResponse.rejected(problems));
    }
    ScheduledChange c = all().stream().filter(x -> x.id().equals(key)).findFirst().orElse(null);
    if (c == null || c.status() != ScheduledChange.Status.PENDING) {
      return now(AdminResponse.rejected("id", c == null ? "no scheduled change " + Json.quote(key) + " exists"
          : "scheduled change " + key + " is " + c.status().label() + " already; only a pending one can be cancelled"));
    }
    ScheduledChange cancelled = c.ended(ScheduledChange.Status.CANCELLED, clock.instant(),
        "cancelled by client '" + request.actor().clientId() + "'");
    return writePlans(AdminAction.SCHEDULE_CANCEL, request.actor(), plans(cancelled)).thenApply(answer -> {
      if (answer.isAccepted()) {
        log.info("Scheduled change {} ({} at {}) {}", c.id(), c.write().suffix(), c.at(), cancelled.outcome());
        return with(answer, cancelled);
      }
      return answer;
    });
  }

  private AdminResponse query(Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    new RequestFields(root, problems).only(Set.of());
    if (!problems.isEmpty()) {
      return AdminResponse.rejected(problems);
    }
    List<Object> changes = new ArrayList<>();
    all().forEach(c -> changes.add(c.view()));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("revision", store.revision());
    body.put("changes", changes);
    return new AdminResponse("ok", body);
  }

  private static AdminResponse with(AdminResponse answer, ScheduledChange change) {
    Map<String, Object> body = new LinkedHashMap<>(answer.body());
    body.put("change", change.view());
    return new AdminResponse(answer.status(), body);
  }

  private static CompletableFuture<AdminResponse> now(AdminResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
