package dev.fleetflags.store;

import java.util.List;
import java.util.Map;

/**
 * A whole store's content at one revision, as a copy of a shared state loads it: everything the
 * store holds is replaced by it.
 *
 * @param revision the revision of this content
 * @param flags flag key to its flagd definition (JSON as {@code Json} reads it)
 * @param flagRevisions flag key to the revision the flag was last written at
 * @param evaluators {@code $evaluators} by name
 * @param metadata the document metadata
 * @param devices device id to its registry attributes
 * @param history audit entries, any order
 * @param origin what this content is a copy of (kept, so a restart knows), e.g. an etcd cluster and
 *     key prefix
 * @param plans rollouts and scheduled changes by id, their state as JSON
 */
public record StoreContent(
    long revision,
    Map<String, Object> flags,
    Map<String, Long> flagRevisions,
    Map<String, Object> evaluators,
    Map<String, Object> metadata,
    Map<String, Map<String, Object>> devices,
    List<HistoryEntry> history,
    String origin,
    Map<String, Object> plans) {

  /** Content without plans. */
  public StoreContent(long revision, Map<String, Object> flags, Map<String, Long> flagRevisions, Map<String, Object> evaluators,
      Map<String, Object> metadata, Map<String, Map<String, Object>> devices, List<HistoryEntry> history, String origin) {
    this(revision, flags, flagRevisions, evaluators, metadata, devices, history, origin, Map.of());
  }
}
