package dev.fleetflags.rollout;

import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.store.Actor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One staged rollout as the store keeps it (plan {@code rollout/<id>}): what it moves the flag from
 * and to, its waves and gates, and where it is. Written with every wave, in the same batch, so the
 * store never holds a wave without the state that wrote it.
 *
 * <p>Bake time is kept as what was baked before ({@code bakedMillis}) plus, while the wave bakes,
 * the time since {@code bakeResumedAt}: a pause, and a broker's orderly stop, fold the running part
 * into {@code bakedMillis}, so the wave resumes with the bake time it had left. {@code driver} names
 * the run of the extension that drives the rollout: a driver that finds another's name takes it
 * over, and the time since that driver's last write, which nobody can vouch was watched, is baked
 * again.
 *
 * @param id the flag key and the revision the rollout was started at, e.g. {@code ota-v2@41}
 * @param from the definition before the rollout; null if the flag did not exist
 * @param wave the index of the wave the store serves now
 * @param waveStartedAt when that wave was written (the gates' ack timeout counts from it)
 * @param halt the gate that failed with its figures, if one did
 * @param last what happened last, in words, for the history and the query
 */
public record Rollout(
    String id,
    String flag,
    Status status,
    Instant startedAt,
    Actor startedBy,
    @Nullable FlagDefinition from,
    FlagDefinition to,
    List<Wave> waves,
    Gates gates,
    boolean revertOnFailure,
    int wave,
    Instant waveStartedAt,
    long bakedMillis,
    @Nullable Instant bakeResumedAt,
    String driver,
    @Nullable Map<String, Object> halt,
    @Nullable Instant endedAt,
    String last) {

  /** Where a rollout is; the first two are active (one per flag at most), the others ended. */
  public enum Status {
    BAKING, PAUSED, HALTED, REVERTED, COMPLETED, ABORTED, SUPERSEDED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Status of(String label) {
      return valueOf(label.toUpperCase(Locale.ROOT));
    }
  }

  /** One wave: the share of devices in ten-thousandths ({@link WaveDefinition#WEIGHTS}) and its bake. */
  public record Wave(int weight, Duration bake) {

    public String percent() {
      return Gates.number(weight / 100.0);
    }
  }

  public static final String PLAN_PREFIX = "rollout/";

  public Rollout {
    waves = List.copyOf(waves);
    halt = halt == null ? null : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(halt));
  }

  public boolean active() {
    return status == Status.BAKING || status == Status.PAUSED;
  }

  /** The id under which the store keeps it. */
  public String planId() {
    return PLAN_PREFIX + id;
  }

  /** Prefixed to the targeting key in every wave's bucketing: the same for all waves, another for every rollout. */
  public String salt() {
    return id + "/";
  }

  public Wave current() {
    return waves.get(wave);
  }

  public boolean lastWave() {
    return wave == waves.size() - 1;
  }

  /** The definition the rollout writes for wave {@code index}. */
  public FlagDefinition definition(int index) {
    return WaveDefinition.of(flag, from, to, salt(), waves.get(index).weight());
  }

  /** Bake time of the current wave so far. */
  public Duration baked(Instant now) {
    long running = bakeResumedAt == null ? 0 : Math.max(0, now.toEpochMilli() - bakeResumedAt.toEpochMilli());
    return Duration.ofMillis(bakedMillis + running);
  }

  public Rollout with(Status status, String last) {
    return new Rollout(id, flag, status, startedAt, startedBy, from, to, waves, gates, revertOnFailure, wave, waveStartedAt,
        bakedMillis, bakeResumedAt, driver, halt, endedAt, last);
  }

  /** The bake's running part folded in and stopped (a pause, an orderly stop). */
  public Rollout suspended(Instant now, Status status, String last) {
    return new Rollout(id, flag, status, startedAt, startedBy, from, to, waves, gates, revertOnFailure, wave, waveStartedAt,
        baked(now).toMillis(), null, driver, halt, endedAt, last);
  }

  /** The bake running again from now, driven by {@code driver}, with {@code bakedMillis} baked before. */
  public Rollout resumed(Instant now, long bakedMillis, String driver, String last) {
    return new Rollout(id, flag, Status.BAKING, startedAt, startedBy, from, to, waves, gates, revertOnFailure, wave,
        waveStartedAt, bakedMillis, now, driver, halt, endedAt, last);
  }

  /** Wave {@code index} written now, its bake starting. */
  public Rollout atWave(int index, Instant now, String driver, String last) {
    return new Rollout(id, flag, Status.BAKING, startedAt, startedBy, from, to, waves, gates, revertOnFailure, index, now, 0,
        now, driver, halt, endedAt, last);
  }

  public Rollout ended(Status status, Instant now, @Nullable Map<String, Object> halt, String last) {
    return new Rollout(id, flag, status, startedAt, startedBy, from, to, waves, gates, revertOnFailure, wave, waveStartedAt,
        baked(now).toMillis(), null, driver, halt, now, last);
  }

  // --- JSON --------------------------------------------------------------------------------------

  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", id);
    json.put("flag", flag);
    json.put("status", status.label());
    json.put("startedAt", startedAt.toEpochMilli());
    json.put("startedBy", actor(startedBy));
    json.put("from", from == null ? null : from.toJson());
    json.put("to", to.toJson());
    List<Object> list = new ArrayList<>();
    for (Wave w : waves) {
      list.add(Map.of("weight", (long) w.weight(), "bakeMillis", w.bake().toMillis()));
    }
    json.put("waves", list);
    Map<String, Object> g = new LinkedHashMap<>();
    putIfSet(g, "minAppliedPercent", gates.minAppliedPercent());
    g.put("ackTimeoutMillis", gates.ackTimeout().toMillis());
    putIfSet(g, "maxFailedPercent", gates.maxFailedPercent());
    putIfSet(g, "maxDisconnectedPercent", gates.maxDisconnectedPercent());
    g.put("disconnectGraceMillis", gates.disconnectGrace().toMillis());
    json.put("gates", g);
    json.put("onFailure", revertOnFailure ? "revert" : "halt");
    json.put("wave", (long) wave);
    json.put("waveStartedAt", waveStartedAt.toEpochMilli());
    json.put("bakedMillis", bakedMillis);
    json.put("bakeResumedAt", bakeResumedAt == null ? null : bakeResumedAt.toEpochMilli());
    json.put("driver", driver);
    json.put("halt", halt);
    json.put("endedAt", endedAt == null ? null : endedAt.toEpochMilli());
    json.put("last", last);
    return json;
  }

  /**
   * Reads a rollout as {@link #toJson} wrote it.
   *
   * @throws IllegalArgumentException if it is not one (the message says what is wrong)
   */
  public static Rollout fromJson(@Nullable Object stored) {
    if (!(stored instanceof Map<?, ?> json)) {
      throw new IllegalArgumentException("not an object");
    }
    try {
      String flag = (String) json.get("flag");
      List<Wave> waves = new ArrayList<>();
      for (Object w : (List<?>) json.get("waves")) {
        Map<?, ?> wave = (Map<?, ?>) w;
        waves.add(new Wave(((Number) wave.get("weight")).intValue(), Duration.ofMillis(((Number) wave.get("bakeMillis")).longValue())));
      }
      Map<?, ?> g = (Map<?, ?>) json.get("gates");
      Gates gates = new Gates(percent(g.get("minAppliedPercent")), Duration.ofMillis(((Number) g.get("ackTimeoutMillis")).longValue()),
          percent(g.get("maxFailedPercent")), percent(g.get("maxDisconnectedPercent")),
          Duration.ofMillis(((Number) g.get("disconnectGraceMillis")).longValue()));
      Map<?, ?> by = (Map<?, ?>) json.get("startedBy");
      @SuppressWarnings("unchecked")
      Map<String, Object> halt = (Map<String, Object>) json.get("halt");
      return new Rollout(
          (String) json.get("id"), flag, Status.of((String) json.get("status")), instant(json.get("startedAt")),
          new Actor((String) by.get("clientId"), (String) by.get("username")),
          json.get("from") == null ? null : definition(flag, json.get("from")), definition(flag, json.get("to")),
          waves, gates, "revert".equals(json.get("onFailure")), ((Number) json.get("wave")).intValue(),
          instant(json.get("waveStartedAt")), ((Number) json.get("bakedMillis")).longValue(),
          json.get("bakeResumedAt") == null ? null : instant(json.get("bakeResumedAt")), (String) json.get("driver"), halt,
          json.get("endedAt") == null ? null : instant(json.get("endedAt")), String.valueOf(json.get("last")));
    } catch (ClassCastException | NullPointerException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("not a rollout: " + e.getMessage(), e);
    }
  }

  /** What was written passed validation then; reading it back applies only the hard limits. */
  private static final Limits STORED =
      new Limits(Integer.MAX_VALUE, 1_000, Integer.MAX_VALUE, Integer.MAX_VALUE, Limits.HARD_MAX_VARIANTS, Integer.MAX_VALUE);

  static FlagDefinition definition(String key, @Nullable Object json) {
    FlagDocumentParser.Result parsed = new FlagDocumentParser(STORED).parse(Map.of("flags", Map.of(key, json)));
    FlagDefinition definition = parsed.document().flags().get(key);
    if (definition == null) {
      throw new IllegalArgumentException("the definition of flag " + key + " does not parse: " + parsed.problems());
    }
    return definition;
  }

  static Map<String, Object> actor(Actor actor) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("clientId", actor.clientId());
    json.put("username", actor.username());
    return json;
  }

  private static void putIfSet(Map<String, Object> json, String name, @Nullable Double value) {
    if (value != null) {
      json.put(name, value);
    }
  }

  private static @Nullable Double percent(@Nullable Object value) {
    return value instanceof Number n ? n.doubleValue() : null;
  }

  private static Instant instant(@Nullable Object millis) {
    return Instant.ofEpochMilli(((Number) millis).longValue());
  }
}
