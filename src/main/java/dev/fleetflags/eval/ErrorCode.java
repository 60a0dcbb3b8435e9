package dev.fleetflags.eval;

/** Why a resolution failed (OpenFeature's error codes that this engine produces). */
public enum ErrorCode {
  FLAG_NOT_FOUND,
  TYPE_MISMATCH,
  PARSE_ERROR,
  GENERAL
}
