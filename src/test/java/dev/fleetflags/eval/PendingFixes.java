package dev.fleetflags.eval;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Values the fuzz properties leave alone because their defects are being fixed in other changes of
 * issue 13, which will reject them when a document is read: numbers JSON cannot carry (item 9:
 * {@code 1e400} becomes infinity, which writes as {@code null}) and text that is not valid Unicode
 * (item 6: a lone surrogate such as {@code "\ud800"}, which UTF-8 cannot encode). The fuzzer finds
 * both within seconds; the inputs it found are in {@code src/test/resources/dev/fleetflags/fuzz-findings/}.
 * Once those changes are in, delete this class and its calls: such documents are then rejected
 * before any property is checked.
 */
public final class PendingFixes {

  private PendingFixes() {}

  /** Whether the JSON value holds a non-finite number or a lone surrogate anywhere, keys included. */
  public static boolean pending(@Nullable Object json) {
    if (json instanceof Double d) {
      return d.isInfinite() || d.isNaN();
    }
    if (json instanceof String s) {
      return loneSurrogate(s);
    }
    if (json instanceof List<?> list) {
      return list.stream().anyMatch(PendingFixes::pending);
    }
    if (json instanceof Map<?, ?> map) {
      return map.entrySet().stream().anyMatch(e -> pending(e.getKey()) || pending(e.getValue()));
    }
    return false;
  }

  static boolean loneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
