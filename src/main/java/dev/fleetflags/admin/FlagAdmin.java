package dev.fleetflags.admin;

import dev.fleetflags.delivery.DeviceContexts;
import dev.fleetflags.delivery.FlagChange;
import dev.fleetflags.delivery.FlagSetRevision;
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
import dev.fleetflags.rules.Problem;
import dev.fleetflags.store.Actor;
import dev.fleetflags.store.FlagStore;
import dev.fleetflags.store.HistoryEntry;
import dev.fleetflags.store.RevisionConflictException;
import dev.fleetflags.store.StoreException;
import dev.fleetflags.store.StoreWrite;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out admin requests. A write is validated whole (the resulting flag set must compile
 * strictly), written to the store in one synced batch, made live, handed to delivery, and only then
 * answered; a rejected write changes nothing. Requests are handled one at a time: callers run this
 * on a single admin thread, so a write always validates against the set it will replace.
 */
public final class FlagAdmin {

  private static final Logger log = LoggerFactory.getLogger(FlagAdmin.class);
  private static final int MAX_HISTORY = 1000;
  private static final int MAX_DEVICES_PER_REQUEST = 10_000;
  private static final Set<String> RESERVED_ATTRIBUTES = Set.of("targetingKey", "$flagd");

  private final FlagStore store;
  private final FlagSetCompiler compiler;
  private final LiveFlags live;
  private final DeviceContexts contexts;
  private final Function<String, @Nullable DeviceContext> connectedDevices;

  /**
   * @param connectedDevices what a connected device's connection says about it (its allowed user
   *     properties and username, as attributes), or null if it is not connected (evaluate queries
   *     use them, as delivery does)
   */
  public FlagAdmin(
      FlagStore store,
      FlagSetCompiler compiler,
      LiveFlags live,
      DeviceContexts contexts,
      Function<String, @Nullable DeviceContext> connectedDevices) {
    this.store = store;
    this.compiler = compiler;
    this.live = live;
    this.contexts = contexts;
    this.connectedDevices = connectedDevices;
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

  public AdminResponse handle(AdminRequest request) {
    try {
      Map<String, Object> root;
      try {
        root = object(request.payload());
      } catch (InvalidDocumentException e) {
        return AdminResponse.rejected(e.problems());
      }
      AdminResponse response = switch (request.action()) {
        case APPLY -> writeDocument(request, root, false);
        case REPLACE -> writeDocument(request, root, true);
        case DELETE -> delete(request, root);
        case DEVICE_ATTRIBUTES -> deviceAttributes(request, root);
        case EVALUATE -> evaluate(root);
        case QUERY_FLAGS -> queryFlags(root);
        case QUERY_HISTORY -> history(root);
      };
      if (request.action().isWrite()) {
        log.info("Admin {} from client '{}' (user '{}'): {}", request.action().label(),
            request.actor().clientId(), request.actor().username(), summary(response));
      }
      return response;
    } catch (RuntimeException e) {
      log.error("Admin {} from client '{}' failed; nothing was changed", request.action().label(), request.actor().clientId(), e);
      return AdminResponse.error("the extension failed to handle the request: " + e + "; nothing was changed");
    }
  }

  // --- writes -------------------------------------------------------------------------------

  private AdminResponse writeDocument(AdminRequest request, Map<String, Object> root, boolean replace) {
    List<Problem> problems = new ArrayList<>();
    Long expected = expectedRevision(root, problems);
    Map<String, Object> documentJson = new LinkedHashMap<>(root);
    documentJson.remove("expectedRevision");
    FlagDocumentParser.Result parsed = new FlagDocumentParser(limits()).parse(documentJson);
    problems.addAll(parsed.problems());
    FlagSetRevision current = live.current();
    // Flags with structural problems are left out of the parsed document; the rest is compiled
    // anyway so that the answer lists every problem at once.
    FlagDocument next = replace ? parsed.document() : current.flagSet().document().merge(parsed.document());
    problems.addAll(setSize(current.flagSet().document(), next));
    return commit(request, expected, current, next, problems);
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

  private AdminResponse delete(AdminRequest request, Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    Long expected = expectedRevision(root, problems);
    unknownMembers(root, Set.of("flags", "$evaluators", "expectedRevision"), problems);
    FlagSetRevision current = live.current();
    FlagDocument document = current.flagSet().document();
    List<String> flagKeys = names(root, "flags", document.flags().keySet(), "flag", problems);
    List<String> evaluatorNames = names(root, "$evaluators", document.evaluators().keySet(), "evaluator", problems);
    if (!root.containsKey("flags") && !root.containsKey("$evaluators")) {
      problems.add(new Problem("flags", "missing; give the keys to delete, e.g. {\"flags\": [\"ota-v2\"]}"));
    }
    Map<String, FlagDefinition> flags = new LinkedHashMap<>(document.flags());
    flagKeys.forEach(flags::remove);
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
            "evaluator \"" + name + "\" is still read by flag" + (readers.size() == 1 ? " " : "s ")
                + String.join(", ", readers) + "; change or delete " + (readers.size() == 1 ? "it" : "them") + " first"));
      }
    }
    return commit(request, expected, current, next, problems);
  }

  /**
   * Validates {@code next} strictly, and unless it or {@code earlier} has a problem, writes what
   * differs from {@code current} and publishes it.
   */
  private AdminResponse commit(AdminRequest request, @Nullable Long expected, FlagSetRevision current,
      FlagDocument next, List<Problem> earlier) {
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
      return AdminResponse.rejected(problems);
    }
    FlagDocument before = current.flagSet().document();
    Map<String, @Nullable FlagDefinition> flagWrites = diff(before.flags(), next.flags());
    Map<String, @Nullable Object> evaluatorWrites = diff(before.evaluators(), next.evaluators());
    Map<String, Object> metadata = before.metadata().equals(next.metadata()) ? null : next.metadata();
    if (expected != null && expected != current.revision()) {
      return conflict(expected, current.revision());
    }
    Set<String> changed = new TreeSet<>();
    Set<String> removed = new TreeSet<>();
    flagWrites.forEach((key, def) -> (def == null ? removed : changed).add(key));
    if (flagWrites.isEmpty() && evaluatorWrites.isEmpty() && metadata == null) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("revision", current.revision());
      body.put("changed", List.of());
      body.put("removed", List.of());
      body.put("devicesAffected", 0);
      body.put("note", "nothing differs from the current flags; nothing was written");
      return new AdminResponse("accepted", body);
    }
    long revision;
    try {
      revision = store.write(new StoreWrite(expected, request.action().label(), request.actor(),
          flagWrites, evaluatorWrites, metadata, Map.of()));
    } catch (RevisionConflictException | StoreException e) {
      return failedWrite(request, expected, e);
    }
    Map<String, Long> flagRevisions = new HashMap<>(current.flagRevisions());
    removed.forEach(flagRevisions::remove);
    changed.forEach(key -> flagRevisions.put(key, revision));

    // Flags reading a changed evaluator may give other results although their definitions did not change.
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
    FlagSetRevision after = new FlagSetRevision(revision, compiled, flagRevisions);
    int devices = live.publish(new FlagChange(current, after, affectedFlags, removed, Set.of()));

    Map<String, Object> body = new LinkedHashMap<>();
    body.put("revision", revision);
    body.put("changed", List.copyOf(changed));
    body.put("removed", List.copyOf(removed));
    if (!evaluatorWrites.isEmpty()) {
      body.put("evaluatorsChanged", List.copyOf(new TreeSet<>(evaluatorWrites.keySet())));
    }
    if (metadata != null) {
      body.put("metadataChanged", true);
    }
    body.put("devicesAffected", devices);
    return new AdminResponse("accepted", body);
  }

  private AdminResponse deviceAttributes(AdminRequest request, Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    Long expected = expectedRevision(root, problems);
    unknownMembers(root, Set.of("devices", "expectedRevision"), problems);
    Object devicesJson = root.get("devices");
    Map<String, @Nullable Map<String, Object>> writes = new LinkedHashMap<>();
    if (!(devicesJson instanceof Map<?, ?> devices) || devices.isEmpty()) {
      problems.add(new Problem("devices", devicesJson == null
          ? "missing; give attributes by device id, e.g. {\"devices\": {\"dev-1\": {\"model\": \"th-100\"}}}"
          : "must be a non-empty object of attributes by device id, found " + Json.kind(devicesJson)));
    } else if (devices.size() > MAX_DEVICES_PER_REQUEST) {
      problems.add(new Problem("devices", "has " + devices.size() + " devices, more than the limit of "
          + MAX_DEVICES_PER_REQUEST + " per request"));
    } else {
      for (Map.Entry<?, ?> e : devices.entrySet()) {
        String id = (String) e.getKey();
        String path = Json.path("devices", id);
        checkName(path, "device id", id, problems);
        Map<String, Object> next = nextAttributes(id, e.getValue(), path, problems);
        if (next != null && !next.equals(store.deviceAttributes(id))) {
          writes.put(id, next.isEmpty() ? null : next);
        }
      }
    }
    if (!problems.isEmpty()) {
      return AdminResponse.rejected(problems);
    }
    FlagSetRevision current = live.current();
    if (expected != null && expected != current.revision()) {
      return conflict(expected, current.revision());
    }
    if (writes.isEmpty()) {
      return new AdminResponse("accepted", Map.of("revision", current.revision(), "devices", List.of(),
          "devicesAffected", 0, "note", "nothing differs from the registry; nothing was written"));
    }
    long revision;
    try {
      revision = store.write(new StoreWrite(expected, request.action().label(), request.actor(),
          Map.of(), Map.of(), null, writes));
    } catch (RevisionConflictException | StoreException e) {
      return failedWrite(request, expected, e);
    }
    FlagSetRevision after = new FlagSetRevision(revision, current.flagSet(), current.flagRevisions());
    int devices = live.publish(new FlagChange(current, after, Set.of(), Set.of(), writes.keySet()));
    return new AdminResponse("accepted", Map.of("revision", revision,
        "devices", List.copyOf(new TreeSet<>(writes.keySet())), "devicesAffected", devices));
  }

  /** A device's attributes after an upsert: null removes the device, a null attribute removes it. */
  private @Nullable Map<String, Object> nextAttributes(String id, @Nullable Object update, String path, List<Problem> problems) {
    if (update == null) {
      return Map.of();
    }
    if (!(update instanceof Map<?, ?> attributes)) {
      problems.add(new Problem(path, "must be an object of attributes, or null to remove the device, found " + Json.kind(update)));
      return null;
    }
    Map<String, Object> next = new LinkedHashMap<>(store.deviceAttributes(id));
    for (Map.Entry<?, ?> a : attributes.entrySet()) {
      String name = (String) a.getKey();
      String attributePath = Json.path(path, name);
      checkName(attributePath, "attribute name", name, problems);
      if (RESERVED_ATTRIBUTES.contains(name)) {
        problems.add(new Problem(attributePath, "\"" + name + "\" is reserved; the targeting key is the client id"));
      } else if (a.getValue() == null) {
        next.remove(name);
      } else if (attributeValue(a.getValue(), attributePath, problems)) {
        next.put(name, a.getValue());
      }
    }
    int stored = store.deviceAttributes(id).size();
    if (next.size() > limits().maxAttributes() && next.size() > stored) {
      problems.add(new Problem(path, "would have " + next.size() + " attributes, more than the limit of "
          + limits().maxAttributes() + " per device (limits/max-attributes)"));
    }
    return next;
  }

  /**
   * Whether {@code value} may be a device attribute, else why not, added to {@code problems}: a
   * string of at most limits/max-attribute-length characters, a number, a boolean, or an array of
   * at most that many of those whose strings have that many characters in all. Targeting's worst
   * case is bounded for such values (see CostAnalysis).
   */
  private boolean attributeValue(Object value, String path, List<Problem> problems) {
    int max = limits().maxAttributeLength();
    if (value instanceof Boolean || value instanceof Number) {
      return true;
    }
    if (value instanceof String text) {
      if (text.length() <= max) {
        return true;
      }
      problems.add(new Problem(path, "is " + text.length() + " characters, more than the limit of " + max
          + " (limits/max-attribute-length)"));
      return false;
    }
    if (!(value instanceof List<?> list)) {
      problems.add(new Problem(path, "must be a string, a number, a boolean or an array of those, found " + Json.kind(value)));
      return false;
    }
    if (list.size() > max) {
      problems.add(new Problem(path, "has " + list.size() + " elements, more than the limit of " + max
          + " (limits/max-attribute-length)"));
      return false;
    }
    long characters = 0;
    for (int i = 0; i < list.size(); i++) {
      Object e = list.get(i);
      if (e instanceof String text) {
        characters += text.length();
      } else if (!(e instanceof Boolean || e instanceof Number)) {
        problems.add(new Problem(Json.path(path, i), "an array attribute holds strings, numbers and booleans, found " + Json.kind(e)));
        return false;
      }
    }
    if (characters > max) {
      problems.add(new Problem(path, "has strings of " + characters + " characters in all, more than the limit of " + max
          + " (limits/max-attribute-length)"));
      return false;
    }
    return true;
  }

  // --- queries ------------------------------------------------------------------------------

  private AdminResponse evaluate(Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    unknownMembers(root, Set.of("device", "attributes"), problems);
    Object device = root.get("device");
    if (!(device instanceof String id) || id.isEmpty()) {
      problems.add(new Problem("device", device == null ? "missing; give the device's client id" : "must be a non-empty client id"));
      return AdminResponse.rejected(problems);
    }
    Object whatIf = root.get("attributes");
    if (whatIf instanceof Map<?, ?> assumed) {
      assumed.forEach((name, value) -> {
        if (value != null) {
          attributeValue(value, Json.path("attributes", (String) name), problems);
        }
      });
    } else if (whatIf != null) {
      problems.add(new Problem("attributes", "must be an object of attributes to assume, found " + Json.kind(whatIf)));
    }
    if (!problems.isEmpty()) {
      return AdminResponse.rejected(problems);
    }
    DeviceContext connection = connectedDevices.apply(id);
    Map<String, Object> registry = new LinkedHashMap<>(store.deviceAttributes(id));
    if (whatIf instanceof Map<?, ?> assumed) {
      assumed.forEach((k, v) -> registry.put((String) k, v));
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

  private AdminResponse queryFlags(Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    unknownMembers(root, Set.of("flags"), problems);
    FlagSetRevision current = live.current();
    FlagDocument document = current.flagSet().document();
    List<String> keys = root.containsKey("flags")
        ? names(root, "flags", null, "flag", problems)
        : new ArrayList<>(new TreeSet<>(document.flags().keySet()));
    if (!problems.isEmpty()) {
      return AdminResponse.rejected(problems);
    }
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

  private AdminResponse history(Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    unknownMembers(root, Set.of("limit"), problems);
    int limit = 50;
    Object l = root.get("limit");
    if (l instanceof Long n && n >= 1 && n <= MAX_HISTORY) {
      limit = n.intValue();
    } else if (l != null) {
      problems.add(new Problem("limit", "must be a whole number from 1 to " + MAX_HISTORY + ", found " + describe(l)));
    }
    if (!problems.isEmpty()) {
      return AdminResponse.rejected(problems);
    }
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
      entries.add(entry);
    }
    return new AdminResponse("ok", Map.of("revision", live.current().revision(), "entries", entries));
  }

  // --- request parsing ----------------------------------------------------------------------

  private Limits limits() {
    return compiler.limits();
  }

  private Map<String, Object> object(byte[] payload) throws InvalidDocumentException {
    if (payload.length == 0) {
      throw new InvalidDocumentException(new Problem("", "the request is empty; send a JSON object"));
    }
    Object json = Json.parse(payload, limits());
    if (!(json instanceof Map<?, ?> map)) {
      throw new InvalidDocumentException(new Problem("", "the request must be a JSON object, found " + Json.kind(json)));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> object = (Map<String, Object>) map;
    return object;
  }

  private static @Nullable Long expectedRevision(Map<String, Object> root, List<Problem> problems) {
    Object value = root.get("expectedRevision");
    if (value == null) {
      return null;
    }
    if (value instanceof Long n && n >= 0) {
      return n;
    }
    problems.add(new Problem("expectedRevision", "must be a revision number (a whole number, 0 or more), found " + describe(value)));
    return null;
  }

  private static void unknownMembers(Map<String, Object> root, Set<String> known, List<Problem> problems) {
    for (String member : root.keySet()) {
      if (!known.contains(member)) {
        problems.add(new Problem(member, "unknown member; this request takes " + String.join(", ", new TreeSet<>(known))));
      }
    }
  }

  /** An array of distinct names under {@code member}; each must be in {@code existing} when given. */
  private static List<String> names(Map<String, Object> root, String member, @Nullable Set<String> existing,
      String what, List<Problem> problems) {
    Object json = root.get(member);
    if (json == null) {
      return List.of();
    }
    if (!(json instanceof List<?> list)) {
      problems.add(new Problem(member, "must be an array of " + what + " names, found " + Json.kind(json)));
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      Object item = list.get(i);
      String path = Json.path(member, i);
      if (!(item instanceof String name)) {
        problems.add(new Problem(path, "must be a " + what + " name, found " + Json.kind(item)));
      } else if (names.contains(name)) {
        problems.add(new Problem(path, "\"" + name + "\" is listed twice"));
      } else if (existing != null && !existing.contains(name)) {
        problems.add(new Problem(path, "no " + what + " \"" + name + "\" exists"));
      } else {
        names.add(name);
      }
    }
    return names;
  }

  private void checkName(String path, String what, String name, List<Problem> problems) {
    if (name.isEmpty()) {
      problems.add(new Problem(path, what + " must not be empty"));
    } else if (name.length() > limits().maxKeyLength()) {
      problems.add(new Problem(path, what + " is " + name.length() + " characters, more than the limit of " + limits().maxKeyLength()));
    }
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

  /** The answer when the store did not take a write: a stale view, or the store failed. */
  private static AdminResponse failedWrite(AdminRequest request, @Nullable Long expected, Exception e) {
    if (e instanceof RevisionConflictException conflict) {
      return conflict(expected == null ? -1 : expected, conflict.currentRevision());
    }
    log.error("Could not write the flag store; the {} was not applied: {}", request.action().label(), e.getMessage());
    return AdminResponse.error("could not write the flag store: " + e.getMessage() + "; the change was not applied");
  }

  private static AdminResponse conflict(long expected, long current) {
    return AdminResponse.rejected(List.of(new Problem("expectedRevision",
        "the flags are at revision " + current + ", not " + expected + "; query them again and retry")),
        Map.of("revision", current));
  }

  private static String describe(Object value) {
    return value instanceof String s ? "\"" + s + "\"" : value instanceof Number n ? n.toString() : Json.kind(value);
  }

  private static String summary(AdminResponse response) {
    Map<String, Object> body = response.body();
    if (response.isAccepted()) {
      return "accepted at revision " + body.get("revision") + ", changed " + body.getOrDefault("changed", body.get("devices"))
          + (body.containsKey("removed") ? ", removed " + body.get("removed") : "") + ", " + body.get("devicesAffected") + " devices affected";
    }
    return response.status() + " " + body;
  }
}
