package dev.fleetflags.delivery;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Keeps a flood from filling the broker log: at most one line per key (a client, an address) per
 * interval, and at most a fixed number of lines in all per interval, so that many keys cannot
 * flood it either. The line that is written says how many were held back before it. Memory is
 * bounded: the oldest keys are forgotten first, and what they held back is told on the next line
 * written for any key.
 */
public final class LogLimit {

  public static final Duration MINUTE = Duration.ofMinutes(1);
  private static final int MAX_KEYS = 10_000;
  private static final int MAX_LINES = 100;

  /** A line may be written; it should mention what was held back (see {@link #note()}). */
  public record Pass(long heldBack, long heldBackElsewhere) {

    /** Empty, or e.g. {@code " (12 more like it held back since the last one)"}. */
    public String note() {
      if (heldBack == 0 && heldBackElsewhere == 0) {
        return "";
      }
      StringBuilder note = new StringBuilder(" (");
      if (heldBack > 0) {
        note.append(heldBack).append(" more like it held back since the last one");
      }
      if (heldBackElsewhere > 0) {
        note.append(heldBack > 0 ? "; " : "")
            .append(heldBackElsewhere)
            .append(" lines of other sources held back");
      }
      return note.append(')').toString();
    }
  }

  private static final class Window {
    long start;
    long heldBack;

    Window(long start) {
      this.start = start;
    }
  }

  private final long interval;
  private final int maxKeys;
  private final int maxLines;
  private final LongSupplier nanoClock;
  /** In the order their windows started: the eldest is the first to forget. */
  private final LinkedHashMap<String, Window> windows = new LinkedHashMap<>();
  private long linesStart;
  private int lines;
  private long heldBackElsewhere;

  LogLimit(Duration interval, int maxKeys, int maxLines, LongSupplier nanoClock) {
    this.interval = interval.toNanos();
    this.maxKeys = maxKeys;
    this.maxLines = maxLines;
    this.nanoClock = nanoClock;
    this.linesStart = nanoClock.getAsLong();
  }

  /** One line per key per minute, 100 lines a minute in all. */
  public static LogLimit perMinute() {
    return new LogLimit(MINUTE, MAX_KEYS, MAX_LINES, System::nanoTime);
  }

  /** Whether a line for this key may be written now; null to hold it back (it is counted). */
  public synchronized @Nullable Pass admit(String key) {
    long now = nanoClock.getAsLong();
    if (now - linesStart >= interval) {
      linesStart = now;
      lines = 0;
    }
    Window window = windows.get(key);
    if (window != null && now - window.start < interval) {
      window.heldBack++;
      return null;
    }
    if (lines >= maxLines) {
      heldBackElsewhere++;
      return null;
    }
    lines++;
    long heldBack = 0;
    if (window != null) {
      heldBack = window.heldBack;
      windows.remove(key);
    }
    windows.put(key, new Window(now));
    forgetOldest();
    Pass pass = new Pass(heldBack, heldBackElsewhere);
    heldBackElsewhere = 0;
    return pass;
  }

  private void forgetOldest() {
    Iterator<Map.Entry<String, Window>> oldest = windows.entrySet().iterator();
    while (windows.size() > maxKeys) {
      heldBackElsewhere += oldest.next().getValue().heldBack;
      oldest.remove();
    }
  }
}
