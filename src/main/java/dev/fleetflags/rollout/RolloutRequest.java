package dev.fleetflags.rollout;

import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A request to start a rollout ({@code rollouts/start}), read whole: every problem is recorded
 * with its location, as for flag documents.
 *
 * <pre>{@code
 * {"flag": "ota-v2",
 *  "definition": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
 *  "waves": [{"percent": 1, "bakeSeconds": 600}, {"percent": 10, "bakeSeconds": 1800}, {"percent": 100, "bakeSeconds": 600}],
 *  "gates": {"minAppliedPercent": 95, "ackTimeoutSeconds": 120, "maxFailedPercent": 2,
 *            "maxDisconnectedPercent": 5, "disconnectGraceSeconds": 60},
 *  "onFailure": "revert", "expectedRevision": 41}
 * }</pre>
 */
record RolloutRequest(String flag, FlagDefinition to, List<Rollout.Wave> waves, Gates gates, boolean revertOnFailure,
    @Nullable Long expectedRevision) {

  static final int MAX_WAVES = 100;
  /** A bake longer than a month is a mistake in units rather than a plan. */
  static final double MAX_BAKE_SECONDS = 31 * 24 * 3600;

  private static final Set<String> MEMBERS = Set.of("flag", "definition", "waves", "gates", "onFailure", "expectedRevision");
  private static final Set<String> WAVE_MEMBERS = Set.of("percent", "bakeSeconds");
  private static final Set<String> GATE_MEMBERS = Set.of(Gates.APPLIED, "ackTimeoutSeconds", Gates.FAILED, Gates.DISCONNECTED,
      "disconnectGraceSeconds");

  /** The request, or null if it has problems (recorded). */
  static @Nullable RolloutRequest parse(Map<String, Object> root, Limits limits, List<Problem> problems) {
    int before = problems.size();
    RequestFields fields = new RequestFields(root, problems);
    fields.only(MEMBERS);
    String flag = fields.string("flag", "name the flag to roll out, e.g. {\"flag\": \"ota-v2\", ...}");
    Long expected = fields.expectedRevision();
    FlagDefinition to = flag == null ? null : definition(flag, root.get("definition"), limits, problems);
    List<Rollout.Wave> waves = waves(root.get("waves"), problems);
    Gates gates = gates(root.get("gates"), problems);
    Object onFailure = root.get("onFailure");
    if (onFailure != null && !"halt".equals(onFailure) && !"revert".equals(onFailure)) {
      problems.add(new Problem("onFailure", "must be \"halt\" (stay at the wave) or \"revert\" (restore the definition before"
          + " the rollout), found " + Json.describe(onFailure)));
    }
    if (problems.size() > before || flag == null || to == null || gates == null) {
      return null;
    }
    return new RolloutRequest(flag, to, waves, gates, "revert".equals(onFailure), expected);
  }

  private static @Nullable FlagDefinition definition(String flag, @Nullable Object json, Limits limits, List<Problem> problems) {
    if (!(json instanceof Map<?, ?>)) {
      problems.add(new Problem("definition", json == null
          ? "missing; give the flag's new flagd definition, e.g. {\"state\": \"ENABLED\", \"variants\": {...}, \"defaultVariant\": ...}"
          : "must be a flagd flag definition (an object), found " + Json.kind(json)));
      return null;
    }
    FlagDocumentParser.Result parsed = new FlagDocumentParser(limits).parse(Map.of("flags", Map.of(flag, json)));
    String prefix = Json.path(Json.path("", "flags"), flag);
    for (Problem p : parsed.problems()) {
      String location = p.location().startsWith(prefix) ? "definition" + p.location().substring(prefix.length()) : p.location();
      problems.add(new Problem(location, p.reason()));
    }
    return parsed.problems().isEmpty() ? parsed.document().flags().get(flag) : null;
  }

  private static List<Rollout.Wave> waves(@Nullable Object json, List<Problem> problems) {
    List<Rollout.Wave> waves = new ArrayList<>();
    if (!(json instanceof List<?> list) || list.isEmpty()) {
      problems.add(new Problem("waves", json == null
          ? "missing; give the waves, e.g. [{\"percent\": 1, \"bakeSeconds\": 600}, {\"percent\": 100, \"bakeSeconds\": 600}]"
          : "must be a non-empty array of waves, found " + Json.kind(json)));
      return waves;
    }
    if (list.size() > MAX_WAVES) {
      problems.add(new Problem("waves", "has " + list.size() + " waves, more than the limit of " + MAX_WAVES));
      return waves;
    }
    int previous = 0;
    for (int i = 0; i < list.size(); i++) {
      String path = Json.path("waves", i);
      if (!(list.get(i) instanceof Map<?, ?> wave)) {
        problems.add(new Problem(path, "must be a wave {\"percent\": ..., \"bakeSeconds\": ...}, found " + Json.kind(list.get(i))));
        continue;
      }
      new RequestFields(Map.of(), problems).only(wave, path, WAVE_MEMBERS);
      Object percent = wave.get("percent");
      int weight = -1;
      if (percent instanceof Number n && n.doubleValue() > 0 && n.doubleValue() <= 100) {
        double w = n.doubleValue() * 100;
        if (Math.abs(w - Math.rint(w)) > 1e-6) {
          problems.add(new Problem(Json.path(path, "percent"), "has more than two decimals (" + Json.describe(percent)
              + "); waves go in steps of 0.01%"));
        } else {
          weight = (int) Math.rint(w);
        }
      } else {
        problems.add(new Problem(Json.path(path, "percent"), percent == null ? "missing; the share of the flag's devices in this"
            + " wave, above 0 and at most 100" : "must be a number above 0 and at most 100, found " + Json.describe(percent)));
      }
      if (weight > 0 && weight <= previous) {
        problems.add(new Problem(Json.path(path, "percent"), "must be more than the wave before's " + Gates.number(previous / 100.0)
            + "%: each wave adds devices to the last"));
      }
      if (weight > 0 && i == list.size() - 1 && weight != WaveDefinition.WEIGHTS) {
        problems.add(new Problem(Json.path(path, "percent"), "the last wave must be 100, so that the rollout ends with the new"
            + " definition everywhere; found " + Json.describe(percent)));
      }
      if (wave.get("bakeSeconds") == null) {
        problems.add(new Problem(Json.path(path, "bakeSeconds"), "missing; how long to watch this wave's gates before the next"
            + " (0 for none)"));
      }
      Double bake = RequestFields.number(wave, path, "bakeSeconds", 0, MAX_BAKE_SECONDS, null, problems);
      if (weight > 0) {
        previous = Math.max(previous, weight);
      }
      if (weight > 0 && bake != null) {
        waves.add(new Rollout.Wave(weight, Duration.ofMillis(Math.round(bake * 1000))));
      }
    }
    return waves;
  }

  private static @Nullable Gates gates(@Nullable Object json, List<Problem> problems) {
    if (json == null) {
      return Gates.NONE;
    }
    if (!(json instanceof Map<?, ?> gates)) {
      problems.add(new Problem("gates", "must be an object of gates, found " + Json.kind(json)));
      return null;
    }
    int before = problems.size();
    new RequestFields(Map.of(), problems).only(gates, "gates", GATE_MEMBERS);
    Double applied = RequestFields.number(gates, "gates", Gates.APPLIED, 0, 100, null, problems);
    Double timeout = RequestFields.number(gates, "gates", "ackTimeoutSeconds", 0.001, MAX_BAKE_SECONDS,
        (double) Gates.DEFAULT_ACK_TIMEOUT.toSeconds(), problems);
    Double failed = RequestFields.number(gates, "gates", Gates.FAILED, 0, 100, null, problems);
    Double disconnected = RequestFields.number(gates, "gates", Gates.DISCONNECTED, 0, 100, null, problems);
    Double grace = RequestFields.number(gates, "gates", "disconnectGraceSeconds", 0, MAX_BAKE_SECONDS,
        (double) Gates.DEFAULT_DISCONNECT_GRACE.toSeconds(), problems);
    if (problems.size() > before || timeout == null || grace == null) {
      return null;
    }
    return new Gates(applied, Duration.ofMillis(Math.round(timeout * 1000)), failed, disconnected,
        Duration.ofMillis(Math.round(grace * 1000)));
  }
}
