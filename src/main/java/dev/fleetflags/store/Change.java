package dev.fleetflags.store;

import org.jspecify.annotations.Nullable;

/**
 * One thing one write changed, with the JSON values (as {@code Json} reads them) it had before and
 * has after; {@code before} is null for a creation, {@code after} for a deletion.
 *
 * @param kind {@value #FLAG}, {@value #EVALUATOR}, {@value #METADATA}, {@value #DEVICE} or {@value #PLAN}
 * @param key the flag key, evaluator name, {@value #DOCUMENT} for document metadata, device id or plan id
 * @param before the flagd flag definition, evaluator rule, metadata object, attributes or plan state before
 * @param after the same after the write
 */
public record Change(String kind, String key, @Nullable Object before, @Nullable Object after) {

  public static final String FLAG = "flag";
  public static final String EVALUATOR = "evaluator";
  public static final String METADATA = "metadata";
  public static final String DEVICE = "device";
  /** A rollout's or scheduled change's state. */
  public static final String PLAN = "plan";

  /** The key of a {@value #METADATA} change: the metadata belongs to the document as a whole. */
  public static final String DOCUMENT = "document";
}
