package dev.fleetflags.rollout;

import dev.fleetflags.admin.AdminAction;
import dev.fleetflags.admin.AdminRequest;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.admin.FlagAdmin;
import dev.fleetflags.delivery.LogLimit;
import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Problem;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.FlagStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Staged rollouts: starts them on an operator's request, and at every check moves each one on
 * (the next wave once the bake is over), halts it when a gate fails (reverting it if asked), or
 * carries out an operator's pause, resume, advance and abort. Every change of a rollout, and every
 * wave, is one write through {@link FlagAdmin} (validated, durable, audited, planned for delivery
 * like an operator's), with the rollout's state in the same batch; the actor names the rollout.
 *
 * <p>Requests and steps run on the admin thread, one at a time, so each decides on the state the
 * store holds; only gathering the figures (which, with several brokers, reads the cluster store)
 * runs beforehand on the caller's thread. Only the broker that {@link Leadership#drives} drives.
 */
public final class Rollouts {

  private static final Logger log = LoggerFactory.getLogger(Rollouts.class);
  /** Ended rollouts kept for the query; older ones are removed in the write that ends another. */
  static final int KEPT_ENDED = 50;
  private static final Set<String> COMMAND_MEMBERS = Set.of("flag");
  private static final Set<String> QUERY_MEMBERS = Set.of("flag");

  private final FlagAdmin admin;
  private final FlagStore store;
  private final Clock clock;
  private final FleetFigures figures;
  private final Leadership leadership;
  private final RolloutMetrics metrics;
  /** This run of the extension, as a rollout's driver: finding another's name means taking over. */
  private final String driver;
  /** The latest figures of each active rollout's wave, by rollout id, for queries. */
  private final Map<String, WaveFigures> latest = new ConcurrentHashMap<>();
  private final LogLimit failedWrites = LogLimit.perMinute();

  public Rollouts(FlagAdmin admin, FlagStore store, Clock clock, FleetFigures figures, Leadership leadership,
      RolloutMetrics metrics, String driver) {
    this.admin = admin;
    this.store = store;
    this.clock = clock;
    this.figures = figures;
    this.leadership = leadership;
    this.metrics = metrics;
    this.driver = driver;
  }

  // --- the rollouts in the store ---------------------------------------------------------------

  /** Every rollout the store holds, oldest first; unreadable ones are logged and left out. */
  List<Rollout> all() {
    List<Rollout> rollouts = new ArrayList<>();
    store.plans().forEach((id, json) -> {
      if (id.startsWith(Rollout.PLAN_PREFIX)) {
        try {
          rollouts.add(Rollout.fromJson(json));
        } catch (IllegalArgumentException e) {
          log.warn("The stored rollout {} cannot be read and is left alone: {}", id, e.getMessage());
        }
      }
    });
    rollouts.sort(Comparator.comparing(Rollout::startedAt).thenComparing(Rollout::id));
    return rollouts;
  }

  private @Nullable Rollout active(String flag) {
    for (Rollout r : all()) {
      if (r.active() && r.flag().equals(flag)) {
        return r;
      }
    }
    return null;
  }

  /** The active rollouts. */
  public int activeCount() {
    return (int) all().stream().filter(Rollout::active).count();
  }

  /** The revision of the write that made the flag's current wave: the flag's revision in the store. */
  private long waveRevision(Rollout r) {
    return store.flags().flagRevisions().getOrDefault(r.flag(), 0L);
  }

  private FleetFigures.Watched watched(Rollout r, Instant now) {
    return new FleetFigures.Watched(waveRevision(r), r.waveStartedAt().toEpochMilli(),
        now.minus(r.gates().disconnectGrace()).toEpochMilli());
  }

  // --- checks ----------------------------------------------------------------------------------

  /**
   * One check of every active rollout (the caller's thread, e.g. a timer): their waves' figures are
   * shared (several brokers) and, where this broker drives, gathered; each rollout is then moved
   * on, halted or left to bake on {@code adminThread}.
   */
  public void check(Executor adminThread) {
    Instant now = clock.instant();
    List<Rollout> active = all().stream().filter(Rollout::active).toList();
    List<FleetFigures.Watched> waves = active.stream().map(r -> watched(r, now)).toList();
    figures.share(waves);
    if (active.isEmpty() || !leadership.drives()) {
      return;
    }
    Map<String, Gathered> gathered = new LinkedHashMap<>();
    for (int i = 0; i < active.size(); i++) {
      Rollout r = active.get(i);
      WaveFigures f;
      try {
        f = figures.figures(waves.get(i));
      } catch (RuntimeException e) {
        // Without figures the gates cannot be judged this time; the bake goes on.
        if (failedWrites.admit("figures " + r.id()) != null) {
          log.warn("Rollout {}: the figures of its wave could not be gathered: {}", r.id(), e.toString());
        }
        f = null;
      }
      gathered.put(r.id(), new Gathered(r.wave(), waves.get(i).revision(), f));
    }
    adminThread.execute(() -> {
      for (Map.Entry<String, Gathered> e : gathered.entrySet()) {
        try {
          step(e.getKey(), e.getValue());
        } catch (RuntimeException failure) {
          log.error("Checking rollout {} failed; it is checked again next time", e.getKey(), failure);
        }
      }
    });
  }

  /** Figures gathered for a rollout's wave before its step (null: none could be). */
  private record Gathered(int wave, long revision, @Nullable WaveFigures figures) {}

  /**
   * Moves one rollout on as the store now holds it (admin thread): taken over if another run drove
   * it; superseded if its flag was written outside it; halted if a gate fails; the next wave (or
   * the end) once its bake is over.
   */
  private @Nullable CompletableFuture<AdminResponse> step(String id, @Nullable Gathered gathered) {
    Rollout r = find(id);
    if (r == null || !r.active() || !leadership.drives()) {
      return null;
    }
    Instant now = clock.instant();
    FlagDefinition live = store.flags().document().flags().get(r.flag());
    if (!r.definition(r.wave()).equals(live)) {
      String last = "superseded: flag " + Json.quote(r.flag()) + " was " + (live == null ? "deleted" : "written") + " outside the"
          + " rollout (at revision " + (live == null ? store.revision() : waveRevision(r)) + "); the rollout ends";
      log.warn("Rollout {}: {}", r.id(), last);
      return write(r.ended(Rollout.Status.SUPERSEDED, now, null, last), null, rolloutActor(r));
    }
    if (!r.driver().equals(driver) && r.status() == Rollout.Status.BAKING) {
      boolean orderly = r.bakeResumedAt() == null;
      Rollout resumed = r.resumed(now, r.bakedMillis(), driver, orderly
          ? "resumed by this broker with the bake time it had left"
          : "taken over by this broker; the time since the last driver's last write is baked again");
      log.info("Rollout {}: {} (wave {} of {}, {} of {} s baked)", r.id(), resumed.last(), r.wave() + 1, r.waves().size(),
          Duration.ofMillis(r.bakedMillis()).toSeconds(), r.current().bake().toSeconds());
      return write(resumed, null, rolloutActor(r));
    }
    WaveFigures f = gathered != null && gathered.wave() == r.wave() && gathered.revision() == waveRevision(r)
        ? gathered.figures() : null; // gathered for a wave since replaced: judged at the next check
    if (f != null) {
      latest.put(r.id(), f);
      Gates.Breach breach = r.gates().check(f, Duration.between(r.waveStartedAt(), now));
      if (breach != null) {
        return halt(r, breach, now);
      }
    }
    if (r.status() == Rollout.Status.PAUSED) {
      return null;
    }
    boolean baked = r.baked(now).compareTo(r.current().bake()) >= 0
        && r.gates().settled(Duration.between(r.waveStartedAt(), now));
    if (!baked) {
      return null;
    }
    if (r.lastWave()) {
      String last = "completed: the new definition serves every device";
      log.info("Rollout {} of flag '{}' {}", r.id(), r.flag(), last);
      metrics.completed();
      latest.remove(r.id());
      return write(r.ended(Rollout.Status.COMPLETED, now, null, last), null, rolloutActor(r));
    }
    return nextWave(r, r.wave() + 1, now, rolloutActor(r), AdminAction.APPLY, "");
  }

  private CompletableFuture<AdminResponse> nextWave(Rollout r, int index, Instant now, Actor actor, AdminAction action, String why) {
    Rollout next = r.atWave(index, now, driver, "wave " + (index + 1) + " of " + r.waves().size() + " ("
        + r.waves().get(index).percent() + "%) written" + why);
    return write(next, Map.of(r.flag(), next.definition(index).toJson()), actor, action).thenApply(answer -> {
      if (answer.isAccepted()) {
        metrics.waveWritten();
        log.info("Rollout {}: {} at revision {}", r.id(), next.last(), answer.body().get("revision"));
      }
      return answer;
    });
  }

  /** A gate failed: halted there, and reverted if the rollout asks for it. */
  private CompletableFuture<AdminResponse> halt(Rollout r, Gates.Breach breach, Instant now) {
    Map<String, Object> halt = new LinkedHashMap<>();
    halt.put("gate", breach.gate());
    halt.put("reason", breach.reason());
    halt.put("wave", (long) r.wave() + 1);
    halt.put("percent", r.current().percent());
    halt.put("revision", waveRevision(r));
    halt.put("figures", breach.figures());
    String where = "in wave " + (r.wave() + 1) + " of " + r.waves().size() + " (" + r.current().percent() + "%)";
    String outcome = r.revertOnFailure() ? "reverted to the definition before the rollout" : "halted at this wave";
    String last = "halted " + where + ": gate " + breach.gate() + " failed: " + breach.reason() + "; " + outcome;
    log.warn("Rollout {} of flag '{}' {}", r.id(), r.flag(), last);
    metrics.halted(breach.gate());
    latest.remove(r.id());
    Rollout.Status status = r.revertOnFailure() ? Rollout.Status.REVERTED : Rollout.Status.HALTED;
    Rollout ended = r.ended(status, now, halt, last);
    if (!r.revertOnFailure()) {
      return write(ended, null, rolloutActor(r));
    }
    return revert(r, ended, rolloutActor(r), AdminAction.APPLY).thenCompose(answer -> {
      if (!answer.isAccepted() && answer.status().equals("rejected")) {
        // The revert itself cannot be written (say, an evaluator it reads is gone): halt where it is.
        String note = last.replace("; " + outcome, "; the revert was refused (" + RequestFields.problems(answer)
            + "): halted at this wave");
        log.error("Rollout {}: {}", r.id(), note);
        return write(r.ended(Rollout.Status.HALTED, now, halt, note), null, rolloutActor(r));
      }
      return now(answer);
    });
  }

  /** Writes the definition before the rollout back (deletes the flag if it had none), with {@code ended}. */
  private CompletableFuture<AdminResponse> revert(Rollout r, Rollout ended, Actor actor, AdminAction action) {
    if (r.from() == null) {
      return write(ended, action, AdminAction.DELETE,
          Json.write(Map.of("flags", List.of(r.flag()), "expectedRevision", store.revision())), actor);
    }
    return write(ended, Map.of(r.flag(), r.from().toJson()), actor, action);
  }

  /**
   * Before the broker stops (admin thread): the bake of every rollout this run drives is folded in
   * and stopped, so that it resumes with the time it had left.
   */
  public void suspend() {
    if (!leadership.drives()) {
      return;
    }
    Instant now = clock.instant();
    for (Rollout r : all()) {
      if (r.status() == Rollout.Status.BAKING && r.driver().equals(driver) && r.bakeResumedAt() != null) {
        Rollout suspended = r.suspended(now, Rollout.Status.BAKING, "suspended: the broker stopped with "
            + Math.max(0, r.current().bake().minus(r.baked(now)).toSeconds()) + " s of wave " + (r.wave() + 1) + "'s bake left");
        write(suspended, null, rolloutActor(r));
        log.info("Rollout {}: {}", r.id(), suspended.last());
      }
    }
  }

  // --- writes ----------------------------------------------------------------------------------

  /** The rollout's new state, and flags to write with it (null: none), in one write at the current revision. */
  private CompletableFuture<AdminResponse> write(Rollout next, @Nullable Map<String, Object> flags, Actor actor) {
    return write(next, flags, actor, AdminAction.APPLY);
  }

  /** As {@link #write(Rollout, Map, Actor)}, recorded in the history as {@code action}. */
  private CompletableFuture<AdminResponse> write(Rollout next, @Nullable Map<String, Object> flags, Actor actor, AdminAction action) {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("flags", flags == null ? Map.of() : flags);
    document.put("expectedRevision", store.revision());
    return write(next, action, AdminAction.APPLY, Json.write(document), actor);
  }

  private CompletableFuture<AdminResponse> write(Rollout next, AdminAction action, AdminAction as, String payload, Actor actor) {
    Map<String, @Nullable Object> plans = new LinkedHashMap<>();
    plans.put(next.planId(), next.toJson());
    if (!next.active()) {
      prune(next, plans);
    }
    CompletableFuture<AdminResponse> answer =
        admin.handleAsync(new AdminRequest(action, payload.getBytes(StandardCharsets.UTF_8), actor, plans), as);
    answer.thenAccept(response -> {
      if (!response.isAccepted() && failedWrites.admit(next.id()) != null) {
        log.warn("Rollout {}: writing '{}' was not accepted, tried again at the next check: {}", next.id(), next.last(), response);
      }
    });
    return answer;
  }

  /** Ended rollouts beyond the {@value #KEPT_ENDED} newest are removed in the write that ends another. */
  private void prune(Rollout ending, Map<String, @Nullable Object> plans) {
    List<Rollout> ended = new ArrayList<>(all().stream().filter(r -> !r.active() && !r.id().equals(ending.id())).toList());
    ended.sort(Comparator.comparing((Rollout r) -> Objects.requireNonNullElse(r.endedAt(), r.startedAt())));
    for (int i = 0; i < ended.size() + 1 - KEPT_ENDED; i++) {
      plans.put(ended.get(i).planId(), null);
    }
  }

  private static Actor rolloutActor(Rollout r) {
    return new Actor(r.planId(), r.startedBy().username());
  }

  private @Nullable Rollout find(String id) {
    Object json = store.plans().get(Rollout.PLAN_PREFIX + id);
    return json == null ? null : Rollout.fromJson(json);
  }

  // --- requests (admin thread) -----------------------------------------------------------------

  /** Carries out a request about rollouts ({@code rollouts/...}, {@code query/rollouts}). */
  public CompletableFuture<AdminResponse> handle(AdminRequest request, Map<String, Object> root) {
    return switch (request.action()) {
      case ROLLOUT_START -> start(request, root);
      case ROLLOUT_PAUSE, ROLLOUT_RESUME, ROLLOUT_ADVANCE, ROLLOUT_ABORT -> command(request, root);
      case QUERY_ROLLOUTS -> now(query(root));
      default -> throw new IllegalArgumentException("not a rollout request: " + request.action());
    };
  }

  private CompletableFuture<AdminResponse> start(AdminRequest request, Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    RolloutRequest start = RolloutRequest.parse(root, admin.limits(), problems);
    if (start == null) {
      return now(AdminResponse.rejected(problems));
    }
    Rollout running = active(start.flag());
    if (running != null) {
      return now(AdminResponse.rejected("flag", "flag " + Json.quote(start.flag()) + " already has an active rollout ("
          + running.id() + ", " + running.status().label() + "); pause, abort or let it finish first"));
    }
    long revision = store.revision();
    if (start.expectedRevision() != null && start.expectedRevision() != revision) {
      return now(AdminResponse.rejected(List.of(new Problem("expectedRevision", "the flags are at revision " + revision + ", not "
          + start.expectedRevision() + "; query them again and retry")), Map.of("revision", revision)));
    }
    FlagDefinition from = store.flags().document().flags().get(start.flag());
    String problem = WaveDefinition.problem(from, start.to());
    if (problem != null) {
      return now(AdminResponse.rejected("definition", problem));
    }
    Instant now = clock.instant();
    Rollout fresh = new Rollout(start.flag() + "@" + revision, start.flag(), Rollout.Status.BAKING, now, request.actor(), from,
        start.to(), start.waves(), start.gates(), start.revertOnFailure(), 0, now, 0, now, driver, null, null, "started");
    if (find(fresh.id()) != null) {
      return now(AdminResponse.rejected("flag", "a rollout " + fresh.id() + " was already started at this revision; retry"));
    }
    return nextWave(fresh, 0, now, request.actor(), AdminAction.ROLLOUT_START, " (started by client '" + request.actor().clientId() + "')")
        .thenApply(answer -> {
          if (!answer.isAccepted()) {
            return answer;
          }
          metrics.started();
          log.info("Rollout {} of flag '{}' started by client '{}' (user '{}'): waves {}, gates {}, on failure {}", fresh.id(),
              fresh.flag(), request.actor().clientId(), request.actor().username(), percents(fresh), Json.write(fresh.gates().toJson()),
              fresh.revertOnFailure() ? "revert" : "halt");
          return withRollout(answer, fresh.id());
        });
  }

  private CompletableFuture<AdminResponse> command(AdminRequest request, Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    RequestFields fields = new RequestFields(root, problems);
    fields.only(COMMAND_MEMBERS);
    String flag = fields.string("flag", "name the flag whose rollout this is, e.g. {\"flag\": \"ota-v2\"}");
    if (!problems.isEmpty() || flag == null) {
      return now(AdminResponse.rejected(problems));
    }
    Rollout r = active(flag);
    AdminAction action = request.action();
    if (r == null && action == AdminAction.ROLLOUT_ABORT) {
      r = all().stream().filter(x -> x.flag().equals(flag) && x.status() == Rollout.Status.HALTED)
          .reduce((a, b) -> b).orElse(null);
    }
    if (r == null) {
      return now(AdminResponse.rejected("flag", "flag " + Json.quote(flag) + " has no active rollout"
          + (action == AdminAction.ROLLOUT_ABORT ? " nor a halted one" : "") + " (query/rollouts lists them)"));
    }
    Instant now = clock.instant();
    String who = " by client '" + request.actor().clientId() + "'";
    Rollout current = r;
    CompletableFuture<AdminResponse> done = switch (action) {
      case ROLLOUT_PAUSE -> current.status() == Rollout.Status.PAUSED
          ? now(AdminResponse.rejected("flag", "the rollout " + current.id() + " is paused already"))
          : write(current.suspended(now, Rollout.Status.PAUSED, "paused" + who), null, request.actor(), action);
      case ROLLOUT_RESUME -> current.status() != Rollout.Status.PAUSED
          ? now(AdminResponse.rejected("flag", "the rollout " + current.id() + " is not paused"))
          : write(current.resumed(now, current.bakedMillis(), driver, "resumed" + who), null, request.actor(), action);
      case ROLLOUT_ADVANCE -> current.status() == Rollout.Status.PAUSED
          ? now(AdminResponse.rejected("flag", "the rollout " + current.id() + " is paused; resume it first"))
          : advance(current, request.actor(), now, who);
      default -> abort(current, request.actor(), now, who);
    };
    log.info("Rollout {}: {} requested{}", r.id(), action.label(), who);
    return done.thenApply(answer -> answer.isAccepted() ? withRollout(answer, current.id()) : answer);
  }

  private CompletableFuture<AdminResponse> advance(Rollout r, Actor actor, Instant now, String who) {
    if (!r.definition(r.wave()).equals(store.flags().document().flags().get(r.flag()))) {
      return now(AdminResponse.rejected("flag", "flag " + Json.quote(r.flag()) + " was written outside the rollout since its"
          + " last wave; the rollout ends at the next check"));
    }
    if (r.lastWave()) {
      String last = "completed: the new definition serves every device (advanced" + who + ")";
      metrics.completed();
      latest.remove(r.id());
      return write(r.ended(Rollout.Status.COMPLETED, now, null, last), null, actor, AdminAction.ROLLOUT_ADVANCE);
    }
    return nextWave(r, r.wave() + 1, now, actor, AdminAction.ROLLOUT_ADVANCE, " (advanced" + who + ")");
  }

  private CompletableFuture<AdminResponse> abort(Rollout r, Actor actor, Instant now, String who) {
    if (!r.definition(r.wave()).equals(store.flags().document().flags().get(r.flag()))) {
      return now(AdminResponse.rejected("flag", "flag " + Json.quote(r.flag()) + " was written outside the rollout since its"
          + " last wave; aborting would overwrite that: write the flag instead"));
    }
    latest.remove(r.id());
    return revert(r, r.ended(Rollout.Status.ABORTED, now, r.halt(), "aborted" + who
        + ": the definition before the rollout is restored"), actor, AdminAction.ROLLOUT_ABORT);
  }

  private AdminResponse query(Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    new RequestFields(root, problems).only(QUERY_MEMBERS);
    Object flag = root.get("flag");
    if (flag != null && !(flag instanceof String)) {
      problems.add(new Problem("flag", "must be a flag key, found " + Json.kind(flag)));
    }
    if (!problems.isEmpty()) {
      return AdminResponse.rejected(problems);
    }
    Instant now = clock.instant();
    List<Object> rollouts = new ArrayList<>();
    for (Rollout r : all()) {
      if (flag == null || r.flag().equals(flag)) {
        rollouts.add(view(r, now));
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("revision", store.revision());
    body.put("rollouts", rollouts);
    return new AdminResponse("ok", body);
  }

  /** A rollout as operators see it. */
  Map<String, Object> view(Rollout r, Instant now) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", r.id());
    json.put("flag", r.flag());
    json.put("status", r.status().label());
    json.put("wave", (long) r.wave() + 1);
    json.put("percent", r.current().percent());
    json.put("revision", r.active() ? waveRevision(r) : null);
    json.put("waveStartedAt", r.waveStartedAt().toString());
    json.put("bakedSeconds", r.baked(now).toMillis() / 1000.0);
    json.put("bakeSeconds", r.current().bake().toMillis() / 1000.0);
    List<Object> waves = new ArrayList<>();
    for (Rollout.Wave w : r.waves()) {
      waves.add(Map.of("percent", w.percent(), "bakeSeconds", w.bake().toMillis() / 1000.0));
    }
    json.put("waves", waves);
    json.put("gates", r.gates().toJson());
    json.put("onFailure", r.revertOnFailure() ? "revert" : "halt");
    WaveFigures f = r.active() ? latest.get(r.id()) : null;
    if (f != null) {
      json.put("figures", f.toJson());
    }
    if (r.halt() != null) {
      json.put("halt", r.halt());
    }
    json.put("startedAt", r.startedAt().toString());
    json.put("startedBy", Rollout.actor(r.startedBy()));
    if (r.endedAt() != null) {
      json.put("endedAt", Objects.requireNonNull(r.endedAt()).toString());
    }
    json.put("last", r.last());
    return json;
  }

  private AdminResponse withRollout(AdminResponse answer, String id) {
    Rollout r = find(id);
    if (r == null) {
      return answer;
    }
    Map<String, Object> body = new LinkedHashMap<>(answer.body());
    body.put("rollout", view(r, clock.instant()));
    return new AdminResponse(answer.status(), body);
  }

  private static String percents(Rollout r) {
    List<String> p = new ArrayList<>();
    r.waves().forEach(w -> p.add(w.percent() + "% for " + w.bake().toSeconds() + " s"));
    return String.join(", ", p);
  }

  private static CompletableFuture<AdminResponse> now(AdminResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
