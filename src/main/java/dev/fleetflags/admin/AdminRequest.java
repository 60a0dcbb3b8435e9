package dev.fleetflags.admin;

import dev.fleetflags.store.Actor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One operator request: what, the JSON payload as published, and who sent it.
 *
 * @param action the action the topic names
 * @param payload the JSON text
 * @param actor the operator's client id and username
 * @param plans for writes the extension makes itself (a rollout's wave, a scheduled change): the
 *     state of rollouts and scheduled changes to write in the same batch (see {@code
 *     StoreWrite#plans}); a write with plans is made even if it changes no flag
 */
public record AdminRequest(AdminAction action, byte[] payload, Actor actor, Map<String, @Nullable Object> plans) {

  public AdminRequest {
    plans = Collections.unmodifiableMap(new LinkedHashMap<>(plans));
  }

  /** An operator's request, which writes no plans. */
  public AdminRequest(AdminAction action, byte[] payload, Actor actor) {
    this(action, payload, actor, Map.of());
  }
}
