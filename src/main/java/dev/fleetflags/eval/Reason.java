package dev.fleetflags.eval;

/** Why a flag resolved as it did (OpenFeature's resolution reasons). */
public enum Reason {
  /** No targeting: the default variant. */
  STATIC,
  /** Targeting named a variant. */
  TARGETING_MATCH,
  /** Targeting gave nothing: the default variant, or the caller's default if there is none. */
  DEFAULT,
  /** The flag is disabled: the caller's default. */
  DISABLED,
  /** The flag could not be resolved: the caller's default, with an {@link ErrorCode}. */
  ERROR
}
