package dev.fleetflags.eval;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * OpenFeature resolution details for one flag and one device.
 *
 * @param value the resolved value, or the caller's default when no variant applies
 * @param variant the variant served, or null when the caller's default is
 * @param reason why
 * @param errorCode set exactly when {@code reason} is ERROR (or the flag is not found / mistyped)
 * @param errorMessage a plain explanation of the error, or null
 * @param metadata the flag's metadata, the document's merged under it
 */
public record Resolution(
    @Nullable Object value,
    @Nullable String variant,
    Reason reason,
    @Nullable ErrorCode errorCode,
    @Nullable String errorMessage,
    Map<String, Object> metadata) {

  static Resolution error(@Nullable Object fallback, ErrorCode code, String message, Map<String, Object> metadata) {
    return new Resolution(fallback, null, Reason.ERROR, code, message, metadata);
  }
}
