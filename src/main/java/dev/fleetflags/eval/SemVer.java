package dev.fleetflags.eval;

import org.jspecify.annotations.Nullable;

/**
 * A semantic version as flagd's {@code sem_ver} reads it: an optional {@code v}/{@code V} prefix,
 * {@code MAJOR[.MINOR[.PATCH]]} (missing parts are 0, as Go's semver package allows; the short
 * forms take no pre-release or build), an optional pre-release and an optional build, which is
 * ignored when comparing. Numeric parts have no leading zeros and at most 18 digits.
 */
final class SemVer implements Comparable<SemVer> {

  final long major;
  final long minor;
  final long patch;
  /** Pre-release identifiers, or null for a release (which sorts after all its pre-releases). */
  final String @Nullable [] preRelease;

  private SemVer(long major, long minor, long patch, String @Nullable [] preRelease) {
    this.major = major;
    this.minor = minor;
    this.patch = patch;
    this.preRelease = preRelease;
  }

  /** The version in {@code text}, or null if it is not one. */
  static @Nullable SemVer parse(String text) {
    Cursor c = new Cursor(text);
    if (c.peek() == 'v' || c.peek() == 'V') {
      c.pos++;
    }
    long major = c.number();
    if (major < 0) {
      return null;
    }
    long minor = 0;
    long patch = 0;
    if (c.atEnd()) {
      return new SemVer(major, 0, 0, null);
    }
    if (!c.take('.') || (minor = c.number()) < 0) {
      return null;
    }
    if (c.atEnd()) {
      return new SemVer(major, minor, 0, null);
    }
    if (!c.take('.') || (patch = c.number()) < 0) {
      return null;
    }
    String[] pre = null;
    if (c.take('-')) {
      int start = c.pos;
      if (!c.identifiers(true)) {
        return null;
      }
      pre = text.substring(start, c.pos).split("\\.");
    }
    if (c.take('+') && !c.identifiers(false)) {
      return null;
    }
    return c.atEnd() ? new SemVer(major, minor, patch, pre) : null;
  }

  @Override
  public int compareTo(SemVer o) {
    int c = Long.compare(major, o.major);
    if (c == 0) {
      c = Long.compare(minor, o.minor);
    }
    if (c == 0) {
      c = Long.compare(patch, o.patch);
    }
    return c != 0 ? c : comparePreRelease(preRelease, o.preRelease);
  }

  private static int comparePreRelease(String @Nullable [] a, String @Nullable [] b) {
    if (a == null || b == null) {
      return a == b ? 0 : a == null ? 1 : -1;
    }
    for (int i = 0; i < a.length && i < b.length; i++) {
      String x = a[i];
      String y = b[i];
      boolean xNum = isNumeric(x);
      boolean yNum = isNumeric(y);
      int c;
      if (xNum && yNum) {
        c = x.length() != y.length() ? Integer.compare(x.length(), y.length()) : x.compareTo(y);
      } else if (xNum || yNum) {
        c = xNum ? -1 : 1;
      } else {
        c = x.compareTo(y);
      }
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.length, b.length);
  }

  private static boolean isNumeric(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch < '0' || ch > '9') {
        return false;
      }
    }
    return true;
  }

  /** A scanner over the version text that never allocates on the numeric parts. */
  private static final class Cursor {
    final String s;
    int pos;

    Cursor(String s) {
      this.s = s;
    }

    char peek() {
      return pos < s.length() ? s.charAt(pos) : '\0';
    }

    boolean atEnd() {
      return pos == s.length();
    }

    boolean take(char ch) {
      if (peek() == ch && pos < s.length()) {
        pos++;
        return true;
      }
      return false;
    }

    /** A number without leading zeros, or -1. */
    long number() {
      int start = pos;
      long value = 0;
      while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
        value = value * 10 + (s.charAt(pos) - '0');
        pos++;
      }
      int digits = pos - start;
      if (digits == 0 || digits > 18 || (digits > 1 && s.charAt(start) == '0')) {
        return -1;
      }
      return value;
    }

    /** Dot-separated non-empty [0-9A-Za-z-] identifiers; numeric pre-release ones without leading zeros. */
    boolean identifiers(boolean preRelease) {
      while (true) {
        int start = pos;
        boolean numeric = true;
        while (pos < s.length()) {
          char ch = s.charAt(pos);
          boolean digit = ch >= '0' && ch <= '9';
          if (!(digit || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-')) {
            break;
          }
          numeric &= digit;
          pos++;
        }
        if (pos == start) {
          return false;
        }
        if (preRelease && numeric && pos - start > 1 && s.charAt(start) == '0') {
          return false;
        }
        if (!take('.')) {
          return true;
        }
      }
    }
  }
}
