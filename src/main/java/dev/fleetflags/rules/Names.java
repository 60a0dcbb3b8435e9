package dev.fleetflags.rules;

import org.jspecify.annotations.Nullable;

/**
 * What a name may be: flag keys, variant names, evaluator names, device ids and attribute names.
 * A name is valid Unicode, not empty, at most a limit of characters counted as code points (so
 * {@code 🚀} is one character, as an operator counts it, not two UTF-16 units), and holds no
 * control character (U+0000 to U+001F, U+007F): a flag key ends with NUL in the state hash, and a
 * key that holds one could make two different sets hash alike; the others are invisible in logs
 * and answers.
 */
public final class Names {

  private Names() {}

  /** Why {@code name} cannot be a {@code what} (e.g. "flag key"), or null if it can. */
  public static @Nullable String problem(String what, String name, int maxLength) {
    if (name.isEmpty()) {
      return what + " must not be empty";
    }
    int length = name.codePointCount(0, name.length());
    if (length > maxLength) {
      return what + " is " + length + " characters, more than the limit of " + maxLength;
    }
    int surrogate = loneSurrogate(name);
    if (surrogate >= 0) {
      return what + " is not valid Unicode: " + Json.loneSurrogate(name, surrogate);
    }
    for (int i = 0, position = 1; i < name.length(); i += Character.charCount(name.codePointAt(i)), position++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return what + " holds the control character " + Json.codePoint(c) + " (character " + position
            + "); names may not hold control characters (U+0000 to U+001F, U+007F)";
      }
    }
    return null;
  }

  /** The index of the first UTF-16 surrogate in {@code s} that is not half of a pair, or -1. */
  public static int loneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }
}
