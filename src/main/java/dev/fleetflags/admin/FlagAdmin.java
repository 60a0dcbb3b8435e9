package dev.fleetflags.admin;

import dev.fleetflags.delivery.ConnectedFleet;
import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FlagChange;
import dev.fleetflags.delivery.FlagSetRevision;
import dev.fleetflags.delivery.FleetCompliance;
import dev.fleetflags.delivery.LiveFlags;
import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Names;
import dev.fleetflags.rules.Problem;
import dev.fleetflags.protocol.AttributesWrite;
import dev.fleetflags.protocol.ComplianceQuery;
import dev.fleetflags.protocol.DeleteRequest;
import dev.fleetflags.protocol.DevicesAnswer;
import dev.fleetflags.protocol.DevicesQuery;
import dev.fleetflags.protocol.DocumentWrite;
import dev.fleetflags.protocol.EvaluateQuery;
import dev.fleetflags.protocol.FlagsQuery;
import dev.fleetflags.protocol.HistoryQuery;
import dev.fleetflags.protocol.Read;
import dev.fleetflags.protocol.Request;
import dev.fleetflags.protocol.RevertRequest;
import dev.fleetflags.store.Change;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.HistoryEntry;
import dev.fleetflags.store.RevisionConflictException;
import dev.fleetflags.store.StoreChange;
import dev.fleetflags.store.StoreException;
import dev.fleetflags.store.StoreListener;
import dev.fleetflags.store.StoreWrite;
import dev.fleetflags.store.StoredFlags;
import dev.fleetflags.store.WriteRefusedException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out admin requests. A write is validated whole (the resulting flag set must compile
 * strictly), written to the store in one synced batch, made live, handed to delivery, and answered
 * when delivery has planned it (or after {@link #PLAN_WAIT}, without the count of devices it
 * affects); a rejected write changes nothing. Requests are handled one at a time: callers run this
 * on a single admin thread, so a write always validates against the set it will replace. Planning
 * runs on delivery's thread, so other requests are answered meanwhile.
 *
 * <p>Every request gets an answer, whatever is thrown while it is carried out: {@code error} with
 * "nothing was changed" before the write is durable, {@code accepted} with the revision after.
 *
 * <p>Requests are read from JSON by the {@code protocol} package's records. A dry run is validated
 * and answered as its write would be, with the connected devices it would affect counted off the
 * admin thread ({@link ConnectedFleet}), and writes nothing. A revert rebuilds an earlier
 * revision's flags from the history ({@link PastFlags}) and is then written as any write.
 *
 * <p>The store refuses a write if another change came first (a store shared by several brokers);
 * the write is then validated once more against the newer set. Every change the store applies,
 * this admin's writes and any other, is made live here ({@link #applied}), in the store's order.
 */
public final class FlagAdmin implements StoreListener {

  private static final Logger log = LoggerFactory.getLogger(FlagAdmin.class);
  /** Affected devices a dry run names. */
  static final int DRY_RUN_SAMPLE = 20;
  /** How long an accepted write's answer waits for delivery to plan it; then it goes without the count. */
  public static final Duration PLAN_WAIT = Duration.ofSeconds(2);
  /** Changes waiting to be planned from which writes are refused until delivery catches up. */
  static final int MAX_CHANGES_WAITING = 16;

  private final FlagStore store;
  private final FlagSetCompiler compiler;
  private final LiveFlags live;
  private final DeviceContexts contexts;
  private final Function<String, @Nullable DeviceContext> connectedDevices;
  private final Duration planWait;
  private final ConnectedFleet fleet;
  /** Planned changes by revision: the count of devices each affects, for the answer of the write that made it. */
  private final ConcurrentSkipListMap<Long, CompletableFuture<Integer>> planned = new ConcurrentSkipListMap<>();
  /** Where devices stand with the recent changes, for compliance queries; set once, at start. */
  private volatile @Nullable FleetCompliance compliance;
  /** Carries out requests about rollouts and scheduled changes; set once at start. */
  private volatile PlanRequests plans = PlanRequests.NONE;
  /** The document the write in progress validated, compiled: what its change makes live. */
  private volatile @Nullable Validated validated;

  private record Validated(FlagDocument document, FlagSet flagSet) {}

  /** The store moved on since the state a write was validated against; it is validated again. */
  private static final class StaleBase extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final long revision;

    StaleBase(long revision) {
      super(null, null, false, false);
      this.revision = revision;
    }
  }

  public FlagAdmin(
      FlagStore store,
      FlagSetCompiler compiler,
      LiveFlags live,
      DeviceContexts contexts,
      Function<String, @Nullable DeviceContext> connectedDevices) {
    this(store, compiler, live, contexts, connectedDevices, PLAN_WAIT, ConnectedFleet.NONE);
  }

  public FlagAdmin(
      FlagStore store,
      FlagSetCompiler compiler,
      LiveFlags live,
      DeviceContexts contexts,
      Function<String, @Nullable DeviceContext> connectedDevices,
      Duration planWait) {
    this(store, compiler, live, contexts, connectedDevices, planWait, ConnectedFleet.NONE);
  }

  /**
   * @param connectedDevices what a connected device's connection says about it (its allowed user
   *     properties and username, as attributes), or null if it is not connected (evaluate queries
   *     use them, as delivery does)
   * @param planWait how long an accepted write's answer waits for delivery to plan the change
   * @param fleet the connected devices, for dry runs and {@code query/devices}
   */
  public FlagAdmin(
      FlagStore store,
      FlagSetCompiler compiler,
      LiveFlags live,
      DeviceContexts contexts,
      Function<String, @Nullable DeviceContext> connectedDevices,
      Duration planWait,
      ConnectedFleet fleet) {
    this.store = store;
    this.compiler = compiler;
    this.live = live;
    this.contexts = contexts;
    this.connectedDevices = connectedDevices;
    this.planWait = planWait;
    this.fleet = fleet;
    // Last, once the fields are set: from now on every change the store applies is made live here.
    store.addListener(this);
  }

  /** Who carries out the requests about rollouts and scheduled changes (the rollout package). */
  public void planRequests(PlanRequests plans) {
    this.plans = plans;
  }

  /** Answers compliance queries from {@code compliance} (delivery's); returns this admin. */
  public FlagAdmin withCompliance(FleetCompliance compliance) {
    this.compliance = compliance;
    return this;
  }

  /**
   * The flag set the store holds, compiled as flagd would serve it: documents in the store passed
   * strict validation when written, so problems here mean the rules or the limits changed since;
   * they are logged and only the affected flags fail. A flag over today's evaluation limits is
   * served within its evaluation budget: it resolves to an error for a device only where it runs
   * out.
   */
  public static FlagSetRevision load(FlagStore store, FlagSetCompiler compiler) throws InvalidDocumentException {
    var stored = store.flags();
    List<Problem> problems = compiler.validate(stored.document());
    for (Problem p : problems) {
      log.warn("Stored flag document has a problem under the current rules and limits; the flag it concerns is served"
          + " as flagd would serve it and resolves to an error where it cannot be evaluated: {}", p);
    }
    FlagSet flagSet = compiler.compile(stored.document(), FlagSetCompiler.Mode.LENIENT);
    return new FlagSetRevision(stored.revision(), flagSet, stored.flagRevisions());
  }

  /**
   * Applies a seed document as the whole flag set if the store has never been written; returns
   * the answer, or null if the store already has a revision. An invalid seed is rejected whole.
   */
  public @Nullable AdminResponse seedIfEmpty(byte[] json) {
    if (live.current().revision() != 0) {
      return null;
    }
    return handle(new AdminRequest(AdminAction.REPLACE, json, new Actor("fleetflags-seed", null)));
  }

  /** Carries out a request and returns its answer (a write's at most {@code planWait} after it is durable). */
  public AdminResponse handle(AdminRequest request) {
    return handleAsync(request).join();
  }

  /**
   * Carries out a request on the calling (admin) thread and returns its answer: complete at once
   * for queries and refused writes; for an accepted write, once delivery has planned it or after
   * {@code planWait}. Never completes exceptionally: whatever is thrown becomes the answer.
   */
  public CompletableFuture<AdminResponse> handleAsync(AdminRequest request) {
    return handleAsync(request, request.action());
  }

  /**
   * Carries out {@code request} as the write {@code as} (its payload is that write's), while the
   * history and the log name the request's own action: how rollouts and scheduled changes make
   * their writes ({@code rollouts/start} writing a wave as an apply, say). Otherwise as {@link
   * #handleAsync(AdminRequest)}.
   */
  public CompletableFuture<AdminResponse> handleAsync(AdminRequest request, AdminAction as) {
    CompletableFuture<AdminResponse> answer;
    try {
      answer = carryOut(request, as);
    } catch (Throwable e) {
      // Thrown before anything was durable: commit() answers for what follows a write itself.
      log.error("Admin {} from client '{}' failed; nothing was changed", request.action().label(), request.actor().clientId(), e);
      // The cause is in the broker log; the answer names no classes of the extension's insides.
      answer = now(AdminResponse.error("the extension failed to handle the request (the broker log says why); nothing was changed"));
    }
    if (request.action().isWrite()) {
      // Rejections are logged where requests arrive, at most once per client a minute (a loop of
      // bad requests must not fill the log); what was written, or failed, always.
      answer.thenAccept(response -> {
        if (!response.status().equals("rejected")) {
          log.info("Admin {} from client '{}' (user '{}'): {}", request.action().label(), request.actor().clientId(),
              request.actor().username(), summary(response));
        }
      });
    }
    return answer;
  }

  /** A write that met a newer state is carried out once more, validated against it. */
  private CompletableFuture<AdminResponse> carryOut(AdminRequest request, AdminAction as) {
    try {
      return carryOutOnce(request, as);
    } catch (StaleBase first) {
      try {
        return carryOutOnce(request, as);
      } catch (StaleBase again) {
        return now(AdminResponse.rejected(List.of(new Problem("", "the flags changed twice while this write was being made"
            + " (now at revision " + again.revision + "); nothing was changed; retry")), Map.of("revision", again.revision)));
      }
    }
  }

  private CompletableFuture<AdminResponse> carryOutOnce(AdminRequest request, AdminAction as) {
    Map<String, Object> root;
    try {
      root = Request.object(request.payload(), limits());
    } catch (InvalidDocumentException e) {
      return now(AdminResponse.rejected(e.problems()));
    }
    AdminResponse unsettled = request.action().isWrite() ? settleFailedWrite() : null;
    if (unsettled != null) {
      return now(unsettled);
    }
    FlagDocument document = live.current().flagSet().document();
    return switch (as) {
      case APPLY -> writeDocument(request, DocumentWrite.read(false, root));
      case REPLACE -> writeDocument(request, DocumentWrite.read(true, root));
      case DELETE -> delete(request, DeleteRequest.read(root, document.flags().keySet(), document.evaluators().keySet()));
      case REVERT -> revert(request, RevertRequest.read(root));
      case DEVICE_ATTRIBUTES -> deviceAttributes(request, AttributesWrite.read(root, limits()));
      case EVALUATE -> now(evaluate(EvaluateQuery.read(root, limits())));
      case QUERY_FLAGS -> now(queryFlags(FlagsQuery.read(root)));
      case QUERY_HISTORY -> now(history(HistoryQuery.read(root)));
      case QUERY_DEVICES -> devices(DevicesQuery.read(root, limits()));
      case QUERY_COMPLIANCE -> compliance(ComplianceQuery.read(root, limits()));
      case ROLLOUT_START, ROLLOUT_PAUSE, ROLLOUT_RESUME, ROLLOUT_ADVANCE, ROLLOUT_ABORT, QUERY_ROLLOUTS, SCHEDULE,
          SCHEDULE_CANCEL, QUERY_SCHEDULE -> plans.handle(request, root);
    };
  }

  private static CompletableFuture<AdminResponse> now(AdminResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  // --- writes -------------------------------------------------------------------------------

  private CompletableFuture<AdminResponse> writeDocument(AdminRequest request, Read<DocumentWrite> read) {
    List<Problem> problems = new ArrayList<>(read.problems());
    DocumentWrite write = read.request();
    FlagDocumentParser.Result parsed = new FlagDocumentParser(limits()).parse(write.document());
    problems.addAll(parsed.problems());
    FlagSetRevision current = live.current();
    // Flags with structural problems are left out of the parsed document; the rest is compiled
    // anyway so that the answer lists every problem at once.
    FlagDocument next = write.replace() ? parsed.document() : current.flagSet().document().merge(parsed.document());
    problems.addAll(setSize(current.flagSet().document(), next));
    return commit(request, write.expectedRevision(), write.dryRun(), current, next, problems);
  }

  /**
   * The whole set may be at most limits/max-flag-set-bytes as canonical JSON after an apply or a
   * replace: requests are bounded one by one, and applies add up. A set already larger (the limit
   * was lowered) still loads and may shrink; a write that would make it larger still is refused.
   */
  private List<Problem> setSize(FlagDocument before, FlagDocument next) {
    long size = Json.canonicalSize(next.toJson());
    if (size <= limits().maxFlagSetBytes()) {
      return List.of();
    }
    long now = Json.canonicalSize(before.toJson());
    if (size <= now) {
      return List.of();
    }
    return List.of(new Problem("", "the flag set would be " + size + " bytes as canonical JSON, more than the limit of "
        + limits().maxFlagSetBytes() + " bytes (limits/max-flag-set-bytes); it is " + now + " bytes now"));
  }

  private CompletableFuture<AdminResponse> delete(AdminRequest request, Read<DeleteRequest> read) {
    List<Problem> problems = new ArrayList<>(read.problems());
    DeleteRequest delete = read.request();
    FlagSetRevision current = live.current();
    FlagDocument document = current.flagSet().document();
    List<String> evaluatorNames = delete.evaluators();
    Map<String, FlagDefinition> flags = new LinkedHashMap<>(document.flags());
    delete.flags().forEach(flags::remove);
    Map<String, Object> evaluators = new LinkedHashMap<>(document.evaluators());
    evaluatorNames.forEach(evaluators::remove);
    FlagDocument next = new FlagDocument(flags, evaluators, document.metadata());
    for (int i = 0; i < evaluatorNames.size(); i++) {
      String name = evaluatorNames.get(i);
      List<String> readers = new ArrayList<>();
      for (FlagDefinition flag : flags.values()) {
        if (document.evaluatorsReadBy(flag).contains(name)) {
          readers.add(flag.key());
        }
      }
      if (!readers.isEmpty()) {
        problems.add(new Problem(Json.path("$evaluators", i),
            "evaluator " + Json.quote(name) + " is still read by flag" + (readers.size() == 1 ? " " : "s ")
                + String.join(", ", readers) + "; change or delete " + (readers.size() == 1 ? "it" : "them") + " first"));
      }
    }
    return commit(request, delete.expectedRevision(), delete.dryRun(), current, next, problems);
  }

  /**
   * The flags, evaluators and metadata as they were at the revision asked for, rebuilt from the
   * current ones by undoing, newest first, what each later history entry changed; then written as
   * any write is (validated, one new revision, audited as {@code revert}). The registry stays.
   */
  private CompletableFuture<AdminResponse> revert(AdminRequest request, Read<RevertRequest> read) {
    if (!read.ok()) {
      return now(AdminResponse.rejected(read.problems()));
    }
    RevertRequest revert = read.request();
    FlagSetRevision current = live.current();
    long to = revert.toRevision();
    if (to > current.revision()) {
      return now(AdminResponse.rejected("toRevision", "revision " + to + " is after the current revision "
          + current.revision() + "; nothing was changed"));
    }
    List<HistoryEntry> later = store.historyDownTo(to);
    String missing = PastFlags.unknown(to, current.revision(), later, store.oldestHistoryRevision());
    if (missing != null) {
      return now(AdminResponse.rejected("toRevision", missing + "; nothing was changed"));
    }
    Map<String, Object> documentJson = PastFlags.at(to, current.flagSet().document(), later);
    FlagDocumentParser.Result parsed = new FlagDocumentParser(limits()).parse(documentJson);
    List<Problem> problems = new ArrayList<>(parsed.problems());
    problems.addAll(setSize(current.flagSet().document(), parsed.document()));
    return commit(request, revert.expectedRevision(), revert.dryRun(), current, parsed.document(), problems);
  }

  private CompletableFuture<AdminResponse> deviceAttributes(AdminRequest request, Read<AttributesWrite> read) {
    List<Problem> problems = new ArrayList<>(read.problems());
    AttributesWrite write = read.request();
    Long expected = write.expectedRevision();
    Map<String, @Nullable Map<String, Object>> writes = new LinkedHashMap<>();
    write.devices().forEach((id, update) -> {
      Map<String, Object> next = new LinkedHashMap<>();
      if (update != null) {
        next.putAll(store.deviceAttributes(id));
        update.forEach((name, value) -> {
          if (value == null) {
            next.remove(name);
          } else {
            next.put(name, value);
          }
        });
      }
      int stored = store.deviceAttributes(id).size();
      if (next.size() > limits().maxAttributes() && next.size() > stored) {
        problems.add(new Problem(Json.path("devices", id), "would have " + next.size() + " attributes, more than the limit of "
            + limits().maxAttributes() + " per device (limits/max-attributes)"));
      }
      if (!next.equals(store.deviceAttributes(id))) {
        writes.put(id, next.isEmpty() ? null : next);
      }
    });
    if (!problems.isEmpty()) {
      return now(AdminResponse.rejected(problems));
    }
    FlagSetRevision current = live.current();
    if (expected != null && expected != current.revision()) {
      return now(conflict(expected, current.revision()));
    }
    if (writes.isEmpty() && request.plans().isEmpty()) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("revision", current.revision());
      body.put("devices", List.of());
      body.put("devicesAffected", 0);
      body.put("note", "nothing differs from the registry; nothing was written");
      if (write.dryRun()) {
        body.put("dryRun", true);
      }
      return now(new AdminResponse("accepted", body));
    }
    if (write.dryRun()) {
      return now(attributesDryRun(current, writes));
    }
    AdminResponse behind = planningBehind();
    if (behind != null) {
      return now(behind);
    }
    long revision;
    try {
      revision = store.write(new StoreWrite(expected, request.action().label(), request.actor(),
          Map.of(), Map.of(), null, writes, request.plans()), current.revision());
    } catch (RevisionConflictException | StoreException e) {
      return now(failedWrite(request, expected, e));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    try {
      body.put("revision", revision);
      body.put("devices", List.copyOf(new TreeSet<>(writes.keySet())));
      return whenPlanned(revision, body, plannedAt(revision));
    } catch (Throwable e) {
      return now(acceptedDespite(revision, body, e));
    }
  }

  /** What a registry write would do: the connected devices among those it names whose flags it alters. */
  private AdminResponse attributesDryRun(FlagSetRevision current, Map<String, @Nullable Map<String, Object>> writes) {
    Set<String> affected = new TreeSet<>();
    for (Map.Entry<String, @Nullable Map<String, Object>> e : writes.entrySet()) {
      String id = e.getKey();
      DeviceContext connection = connectedDevices.apply(id);
      if (connection == null) {
        continue;
      }
      Map<String, Object> next = e.getValue() == null ? Map.of() : e.getValue();
      FlagSet flags = current.flagSet();
      if (flags.evaluate(contexts.build(id, connection, store.deviceAttributes(id))).stateHash()
          != flags.evaluate(contexts.build(id, connection, next)).stateHash()) {
        affected.add(id);
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("revision", current.revision());
    body.put("devices", List.copyOf(new TreeSet<>(writes.keySet())));
    body.put("devicesAffected", affected.size());
    body.put("sample", affected.stream().limit(DRY_RUN_SAMPLE).toList());
    body.put("dryRun", true);
    body.put("note", "dry run: nothing was written");
    return new AdminResponse("accepted", body);
  }

  /**
   * Validates {@code next} strictly, and unless it or {@code earlier} has a problem, writes what
   * differs from {@code current} and publishes it.
   */
  private CompletableFuture<AdminResponse> commit(AdminRequest request, @Nullable Long expected, boolean dryRun,
      FlagSetRevision current, FlagDocument next, List<Problem> earlier) {
    List<Problem> problems = new ArrayList<>(earlier);
    FlagSet compiled = null;
    try {
      compiled = compiler.compile(next, FlagSetCompiler.Mode.STRICT);
    } catch (InvalidDocumentException e) {
      for (Problem p : e.problems()) {
        if (!problems.contains(p)) {
          problems.add(p);
        }
      }
    }
    if (!problems.isEmpty() || compiled == null) {
      return now(AdminResponse.rejected(problems));
    }
    FlagDocument before = current.flagSet().document();
    Map<String, @Nullable FlagDefinition> flagWrites = diff(before.flags(), next.flags());
    Map<String, @Nullable Object> evaluatorWrites = diff(before.evaluators(), next.evaluators());
    Map<String, Object> metadata = before.metadata().equals(next.metadata()) ? null : next.metadata();
    if (expected != null && expected != current.revision()) {
      return now(conflict(expected, current.revision()));
    }
    Set<String> changed = new TreeSet<>();
    Set<String> removed = new TreeSet<>();
    flagWrites.forEach((key, def) -> (def == null ? removed : changed).add(key));
    if (flagWrites.isEmpty() && evaluatorWrites.isEmpty() && metadata == null && request.plans().isEmpty()) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("revision", current.revision());
      body.put("changed", List.of());
      body.put("removed", List.of());
      body.put("devicesAffected", 0);
      body.put("note", "nothing differs from the current flags; nothing was written");
      if (dryRun) {
        body.put("dryRun", true);
      }
      return now(new AdminResponse("accepted", body));
    }
    if (dryRun) {
      return dryRun(current, compiled, flagWrites, evaluatorWrites, metadata != null);
    }
    AdminResponse behind = planningBehind();
    if (behind != null) {
      return now(behind);
    }
    long revision;
    validated = new Validated(next, compiled);
    try {
      revision = store.write(new StoreWrite(expected, request.action().label(), request.actor(),
          flagWrites, evaluatorWrites, metadata, Map.of(), request.plans()), current.revision());
    } catch (RevisionConflictException | StoreException e) {
      return now(failedWrite(request, expected, e));
    } finally {
      validated = null;
    }
    // From here on the change is durable: whatever is thrown, the answer is "accepted".
    Map<String, Object> body = new LinkedHashMap<>();
    try {
      body.put("revision", revision);
      body.put("changed", List.copyOf(changed));
      body.put("removed", List.copyOf(removed));
      if (!evaluatorWrites.isEmpty()) {
        body.put("evaluatorsChanged", List.copyOf(new TreeSet<>(evaluatorWrites.keySet())));
      }
      if (metadata != null) {
        body.put("metadataChanged", true);
      }
      return whenPlanned(revision, body, plannedAt(revision));
    } catch (Throwable e) {
      return now(acceptedDespite(revision, body, e));
    }
  }

  /**
   * What a write would answer, without writing: the keys it changes and the connected devices whose
   * flags it would alter, counted as delivery's plan counts them (off the admin thread).
   */
  private CompletableFuture<AdminResponse> dryRun(FlagSetRevision current, FlagSet compiled,
      Map<String, @Nullable FlagDefinition> flagWrites, Map<String, @Nullable Object> evaluatorWrites, boolean metadataChanged) {
    Set<String> changed = new TreeSet<>();
    Set<String> removed = new TreeSet<>();
    flagWrites.forEach((key, def) -> (def == null ? removed : changed).add(key));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("revision", current.revision());
    body.put("changed", List.copyOf(changed));
    body.put("removed", List.copyOf(removed));
    if (!evaluatorWrites.isEmpty()) {
      body.put("evaluatorsChanged", List.copyOf(new TreeSet<>(evaluatorWrites.keySet())));
    }
    if (metadataChanged) {
      body.put("metadataChanged", true);
    }
    FlagSetRevision after = new FlagSetRevision(current.revision(), compiled, current.flagRevisions());
    CompletableFuture<ConnectedFleet.Affected> affected;
    try {
      affected = fleet.affectedBy(flagChange(current, after, flagWrites, evaluatorWrites, Set.of()), DRY_RUN_SAMPLE);
    } catch (RuntimeException e) {
      affected = CompletableFuture.failedFuture(e);
    }
    return affected.handle((devices, failure) -> {
      if (failure != null) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return AdminResponse.error("the dry run could not count the devices the change would affect: " + cause.getMessage()
            + "; nothing was written");
      }
      Map<String, Object> answer = new LinkedHashMap<>(body);
      answer.put("devicesAffected", devices.devices());
      answer.put("sample", devices.sample());
      answer.put("dryRun", true);
      answer.put("note", "dry run: nothing was written");
      return new AdminResponse("accepted", answer);
    });
  }

  /** Refuses a write while delivery has too many earlier changes to plan; null if it may go ahead. */
  private @Nullable AdminResponse planningBehind() {
    int waiting = live.changesWaiting();
    if (waiting < MAX_CHANGES_WAITING) {
      return null;
    }
    return AdminResponse.error("delivery is still planning " + waiting + " earlier changes; nothing was changed;"
        + " retry shortly");
  }

  /**
   * The answer to a durable write: with {@code devicesAffected} once delivery has planned it, or,
   * if that takes longer than {@code planWait}, without it and with a note (the fan-out's log line
   * gives the count when planning ends).
   */
  private CompletableFuture<AdminResponse> whenPlanned(long revision, Map<String, Object> body,
      CompletableFuture<Integer> planned) {
    Map<String, Object> waiting = new LinkedHashMap<>(body);
    waiting.put("note", "the change is durable and live; delivery is still planning it, so devicesAffected"
        + " is not known yet (the broker log's fan-out line gives it when planning ends)");
    return planned.handle((devices, failure) -> {
      Map<String, Object> answer = new LinkedHashMap<>(body);
      if (failure == null) {
        answer.put("devicesAffected", devices);
      } else {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        log.error("Revision {} is durable and live, but planning its delivery failed", revision, cause);
        answer.put("note", "the change is durable and live, but planning its delivery failed (" + cause
            + "); connected devices get it with the next change, or when they resubscribe or ask for a resync");
      }
      return new AdminResponse("accepted", answer);
    }).completeOnTimeout(new AdminResponse("accepted", waiting), planWait.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The answer to a durable write when what follows the write threw: it is accepted (it is in the
   * store and the history), with what could not be done.
   */
  private AdminResponse acceptedDespite(long revision, Map<String, Object> body, Throwable e) {
    boolean live = this.live.current().revision() == revision;
    log.error("Revision {} is durable, but {} failed", revision, live ? "handing it to delivery" : "making it live", e);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("revision", revision);
    body.forEach(answer::putIfAbsent);
    answer.put("note", live
        ? "the change is durable and live, but handing it to delivery failed (" + e + "); connected devices get it"
            + " with the next change, or when they resubscribe or ask for a resync"
        : "the change is durable, but making it live failed (" + e + "); it is served once the extension restarts");
    return new AdminResponse("accepted", answer);
  }

  /**
   * Makes a change the store applied live and hands it to delivery: a write of this admin's, or
   * one the store found otherwise (a write reported failed that had reached the disk, a change
   * another broker committed to the state they share). Called one change at a time, in revision
   * order, by whoever applied it; planning is delivery's, elsewhere.
   */
  @Override
  public void applied(StoreChange change) {
    FlagSetRevision current = live.current();
    StoredFlags after = change.after();
    FlagDocument before = change.before().document();
    FlagDocument next = after.document();
    FlagSet compiled;
    Validated ours = validated;
    if (next == before) {
      compiled = current.flagSet();
    } else if (ours != null && ours.document().equals(next)) {
      compiled = ours.flagSet();
    } else {
      try {
        compiled = compiler.compile(next, FlagSetCompiler.Mode.LENIENT);
      } catch (InvalidDocumentException e) {
        log.error("The flags of revision {} cannot be served; revision {} stays live: {}", after.revision(), current.revision(), e.getMessage());
        return;
      }
    }
    FlagSetRevision published = new FlagSetRevision(after.revision(), compiled, after.flagRevisions());
    CompletableFuture<Integer> devices = live.publish(
        flagChange(current, published, diff(before.flags(), next.flags()), diff(before.evaluators(), next.evaluators()), change.changedDevices()));
    planned.put(after.revision(), devices);
    long revision = after.revision();
    devices.thenAccept(affected -> {
      try {
        store.recordDevicesAffected(revision, affected);
      } catch (StoreException | RuntimeException e) {
        log.warn("Could not record in the history that revision {} affected {} devices: {}", revision, affected, e.getMessage());
      }
    });
    while (planned.size() > 64) {
      planned.pollFirstEntry(); // changes of other brokers, which nobody here asks about
    }
  }

  /** The planning of the change at {@code revision}, which {@link #applied} has made live. */
  private CompletableFuture<Integer> plannedAt(long revision) {
    CompletableFuture<Integer> devices = planned.remove(revision);
    if (devices == null) {
      throw new IllegalStateException("revision " + revision + " was stored but not made live");
    }
    return devices;
  }

  /** The change delivery plans: the flags whose results may differ, those removed, devices re-read. */
  private static FlagChange flagChange(FlagSetRevision current, FlagSetRevision after,
      Map<String, @Nullable FlagDefinition> flagWrites, Map<String, @Nullable Object> evaluatorWrites, Set<String> devices) {
    Set<String> changed = new TreeSet<>();
    Set<String> removed = new TreeSet<>();
    flagWrites.forEach((key, def) -> (def == null ? removed : changed).add(key));
    // Flags reading a changed evaluator may give other results although their definitions did not change.
    FlagDocument before = current.flagSet().document();
    FlagDocument next = after.flagSet().document();
    Set<String> affectedFlags = new LinkedHashSet<>(changed);
    if (!evaluatorWrites.isEmpty()) {
      for (FlagDefinition flag : next.flags().values()) {
        Set<String> reads = next.evaluatorsReadBy(flag);
        reads.addAll(before.evaluatorsReadBy(flag));
        for (String name : evaluatorWrites.keySet()) {
          if (reads.contains(name)) {
            affectedFlags.add(flag.key());
          }
        }
      }
    }
    return new FlagChange(current, after, affectedFlags, removed, devices);
  }

  /**
   * Before a write: lets the store settle a write that failed with its outcome unknown (it reopens
   * once the disk works again). If that write had reached the disk after all, the store hands it to
   * {@link #applied} as any change, so that what is served is what is durable. Returns the answer
   * if the store still cannot take writes, else null.
   */
  private @Nullable AdminResponse settleFailedWrite() {
    try {
      store.recover();
    } catch (StoreException e) {
      log.error("The flag store still refuses writes: {}", e.getMessage());
      return AdminResponse.error(e.getMessage());
    }
    return null;
  }

  // --- queries ------------------------------------------------------------------------------

  private AdminResponse evaluate(Read<EvaluateQuery> read) {
    if (!read.ok()) {
      return AdminResponse.rejected(read.problems());
    }
    String id = read.request().device();
    Map<String, Object> whatIf = read.request().attributes();
    DeviceContext connection = connectedDevices.apply(id);
    Map<String, Object> registry = new LinkedHashMap<>(store.deviceAttributes(id));
    if (whatIf != null) {
      registry.putAll(whatIf);
    }
    DeviceContext context = contexts.build(id, connection == null ? DeviceContext.empty() : connection, registry);
    FlagSetRevision current = live.current();
    Evaluation evaluation = current.flagSet().evaluate(context);
    Map<String, Object> flags = new LinkedHashMap<>();
    for (int i = 0; i < evaluation.size(); i++) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("value", evaluation.value(i));
      result.put("variant", evaluation.variant(i));
      result.put("reason", evaluation.reason(i).name());
      if (evaluation.errorCode(i) != null) {
        result.put("errorCode", Objects.requireNonNull(evaluation.errorCode(i)).name());
      }
      flags.put(evaluation.flag(i).key(), result);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("device", id);
    body.put("connected", connection != null);
    body.put("revision", current.revision());
    body.put("stateHash", String.format("%08x", evaluation.stateHash()));
    body.put("attributes", context.attributes());
    body.put("flags", flags);
    return new AdminResponse("ok", body);
  }

  private AdminResponse queryFlags(Read<FlagsQuery> read) {
    if (!read.ok()) {
      return AdminResponse.rejected(read.problems());
    }
    FlagSetRevision current = live.current();
    FlagDocument document = current.flagSet().document();
    List<String> asked = read.request().flags();
    List<String> keys = asked != null ? asked : new ArrayList<>(new TreeSet<>(document.flags().keySet()));
    Map<String, Object> flags = new LinkedHashMap<>();
    List<String> notFound = new ArrayList<>();
    for (String key : keys) {
      FlagDefinition flag = document.flags().get(key);
      if (flag == null) {
        notFound.add(key);
        continue;
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("revision", current.flagRevisions().getOrDefault(key, 0L));
      entry.put("definition", flag.toJson());
      flags.put(key, entry);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("revision", current.revision());
    body.put("flags", flags);
    if (!notFound.isEmpty()) {
      body.put("notFound", notFound);
    }
    body.put("$evaluators", document.evaluators());
    body.put("metadata", document.metadata());
    return new AdminResponse("ok", body);
  }

  private CompletableFuture<AdminResponse> compliance(Read<ComplianceQuery> read) {
    if (!read.ok()) {
      return now(AdminResponse.rejected(read.problems()));
    }
    FleetCompliance tracked = compliance;
    if (tracked == null) {
      return now(AdminResponse.error("this extension does not track compliance"));
    }
    return new ComplianceReport(tracked).answer(read.request(), live.current().revision());
  }

  private AdminResponse history(Read<HistoryQuery> read) {
    if (!read.ok()) {
      return AdminResponse.rejected(read.problems());
    }
    int limit = read.request().limit();
    List<Object> entries = new ArrayList<>();
    for (HistoryEntry h : store.history(limit)) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("revision", h.revision());
      entry.put("time", Instant.ofEpochMilli(h.timestampMillis()).toString());
      entry.put("action", h.action());
      entry.put("clientId", h.actor().clientId());
      entry.put("username", h.actor().username());
      List<Object> changes = new ArrayList<>();
      for (var c : h.changes()) {
        Map<String, Object> change = new LinkedHashMap<>();
        change.put("kind", c.kind());
        change.put("key", c.key());
        change.put("before", c.before());
        change.put("after", c.after());
        changes.add(change);
      }
      entry.put("changes", changes);
      if (h.devicesAffected() != null) {
        entry.put("devicesAffected", h.devicesAffected());
      }
      entries.add(entry);
    }
    return new AdminResponse("ok", Map.of("revision", live.current().revision(), "entries", entries));
  }

  private CompletableFuture<AdminResponse> devices(Read<DevicesQuery> read) {
    if (!read.ok()) {
      return now(AdminResponse.rejected(read.problems()));
    }
    DevicesQuery query = read.request();
    FlagSetRevision current = live.current();
    if (query.flag() != null && current.flagSet().indexOf(query.flag()) < 0) {
      return now(AdminResponse.rejected("flag", "no flag " + Json.quote(query.flag()) + " exists"));
    }
    return fleet.devices(new ConnectedFleet.DeviceQuery(query.cursor(), query.limit(), current, query.flag(), query.value()))
        .handle((page, failure) -> {
          if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            return AdminResponse.error("could not list the connected devices: " + cause.getMessage());
          }
          List<DevicesAnswer.Device> devices = new ArrayList<>();
          for (ConnectedFleet.ConnectedDevice d : page.devices()) {
            boolean sent = d.sentRevision() >= 0;
            devices.add(new DevicesAnswer.Device(d.clientId(), d.attributes(), sent ? d.sentRevision() : null,
                sent ? String.format("%08x", d.sentHash()) : null, d.current(), d.value()));
          }
          String next = page.more() ? devices.get(devices.size() - 1).clientId() : null;
          return new AdminResponse("ok", new DevicesAnswer(current.revision(), devices, page.matched(), next).toJson(query.flag() != null));
        });
  }

  // --- request parsing ----------------------------------------------------------------------

  /** The limits requests are validated against. */
  public Limits limits() {
    return compiler.limits();
  }

  private static <V> Map<String, @Nullable V> diff(Map<String, V> before, Map<String, V> after) {
    Map<String, @Nullable V> writes = new LinkedHashMap<>();
    after.forEach((key, value) -> {
      if (!value.equals(before.get(key))) {
        writes.put(key, value);
      }
    });
    for (String key : before.keySet()) {
      if (!after.containsKey(key)) {
        writes.put(key, null);
      }
    }
    return writes;
  }

  /**
   * The answer when the store did not take a write: the revision the operator expected is gone, a
   * limit of the store, or the store failed. A write that expected no revision and met a newer
   * state is validated again.
   */
  private static AdminResponse failedWrite(AdminRequest request, @Nullable Long expected, Exception e) {
    if (e instanceof RevisionConflictException conflict) {
      if (expected == null) {
        throw new StaleBase(conflict.currentRevision());
      }
      return conflict(expected, conflict.currentRevision());
    }
    if (e instanceof WriteRefusedException refused) {
      return AdminResponse.rejected("", refused.getMessage() + "; nothing was changed");
    }
    log.error("The {} from client '{}' was not applied: {}", request.action().label(), request.actor().clientId(), e.getMessage());
    return AdminResponse.error(e.getMessage());
  }

  private static AdminResponse conflict(long expected, long current) {
    return AdminResponse.rejected(List.of(new Problem("expectedRevision",
        "the flags are at revision " + current + ", not " + expected + "; query them again and retry")),
        Map.of("revision", current));
  }

  private static String summary(AdminResponse response) {
    Map<String, Object> body = response.body();
    if (response.isAccepted()) {
      return "accepted at revision " + body.get("revision") + ", changed " + body.getOrDefault("changed", body.get("devices"))
          + (body.containsKey("removed") ? ", removed " + body.get("removed") : "")
          + (body.containsKey("devicesAffected") ? ", " + body.get("devicesAffected") + " devices affected" : "")
          + (body.containsKey("note") ? "; " + body.get("note") : "");
    }
    return response.status() + " " + body;
  }
}
