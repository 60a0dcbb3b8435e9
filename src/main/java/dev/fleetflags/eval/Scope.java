package dev.fleetflags.eval;

import org.jspecify.annotations.Nullable;

/**
 * The state of one evaluation call: the device, the timestamp {@code $flagd.timestamp} reports,
 * and the data {@code var} reads, which is the device context at the top and the current element
 * inside {@code map}, {@code filter}, {@code reduce}, {@code all}, {@code some} and {@code none}.
 * One scope serves every flag of a set evaluation, so evaluating a set allocates it once.
 */
final class Scope {

  /** Marks that {@code var} reads the device context rather than an element. */
  static final Object ROOT = new Object();

  final DeviceContext device;
  final long timestamp;
  @Nullable Object data = ROOT;
  private @Nullable Long boxedTimestamp;
  private @Nullable String lastVersionText;
  private @Nullable SemVer lastVersion;

  Scope(DeviceContext device, long timestamp) {
    this.device = device;
    this.timestamp = timestamp;
  }

  /** A scope for folding constant expressions at compile time; it has no device data. */
  static Scope forConstants() {
    return new Scope(DeviceContext.empty(), 0);
  }

  Long timestampValue() {
    Long boxed = boxedTimestamp;
    if (boxed == null) {
      boxed = timestamp;
      boxedTimestamp = boxed;
    }
    return boxed;
  }

  /** The version in {@code text}; a device's firmware is parsed once per set evaluation, not per flag. */
  @Nullable SemVer semVer(String text) {
    if (text != lastVersionText) {
      lastVersion = SemVer.parse(text);
      lastVersionText = text;
    }
    return lastVersion;
  }
}
