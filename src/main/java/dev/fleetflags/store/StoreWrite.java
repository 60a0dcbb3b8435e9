package dev.fleetflags.store;

import dev.fleetflags.rules.FlagDefinition;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One admin change, written atomically as one revision.
 *
 * @param expectedRevision if set, the write is refused unless the store is at this revision
 * @param action the admin action, for the history (e.g. "apply")
 * @param actor who asked for it, for the history
 * @param flags flag key to its new definition, or to null to delete the flag
 * @param evaluators {@code $evaluators} name to its new rule (JSON), or to null to delete it
 * @param documentMetadata the new document metadata, replacing the old; null leaves it unchanged
 * @param deviceAttributes device id to its new registry attributes, replacing the old; null
 *     deletes the device's attributes
 * @param plans rollouts and scheduled changes by id (e.g. {@code rollout/ota-v2@41}) to their new
 *     state (JSON), replacing the old; null deletes the plan. Written in the same batch as the
 *     flags, so a rollout's state is always that of the wave the store serves.
 */
public record StoreWrite(
    @Nullable Long expectedRevision,
    String action,
    Actor actor,
    Map<String, @Nullable FlagDefinition> flags,
    Map<String, @Nullable Object> evaluators,
    @Nullable Map<String, Object> documentMetadata,
    Map<String, @Nullable Map<String, Object>> deviceAttributes,
    Map<String, @Nullable Object> plans) {

  /** A write that changes no plan. */
  public StoreWrite(@Nullable Long expectedRevision, String action, Actor actor, Map<String, @Nullable FlagDefinition> flags,
      Map<String, @Nullable Object> evaluators, @Nullable Map<String, Object> documentMetadata,
      Map<String, @Nullable Map<String, Object>> deviceAttributes) {
    this(expectedRevision, action, actor, flags, evaluators, documentMetadata, deviceAttributes, Map.of());
  }

  public StoreWrite {
    // Copies that keep the caller's order and allow null values (Map.copyOf allows neither).
    flags = copy(flags);
    evaluators = copy(evaluators);
    documentMetadata = documentMetadata == null ? null : copy(documentMetadata);
    Map<String, @Nullable Map<String, Object>> devices = new LinkedHashMap<>();
    deviceAttributes.forEach((id, attributes) -> devices.put(id, attributes == null ? null : copy(attributes)));
    deviceAttributes = Collections.unmodifiableMap(devices);
    plans = copy(plans);
  }

  /** Whether the write changes nothing at all. */
  public boolean isEmpty() {
    return flags.isEmpty() && evaluators.isEmpty() && documentMetadata == null && deviceAttributes.isEmpty() && plans.isEmpty();
  }

  private static <V extends @Nullable Object> Map<String, V> copy(Map<String, V> map) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }
}
