package dev.fleetflags.rules;

/** A flag's {@code state}: a disabled flag resolves to the caller's default with reason DISABLED. */
public enum FlagState {
  ENABLED,
  DISABLED
}
