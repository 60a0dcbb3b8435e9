package dev.fleetflags.delivery;

import java.util.function.LongUnaryOperator;

/**
 * Where each device stands with the tracked revisions, as 64 bits beside its record: for every
 * slot of the compliance window ({@link ComplianceTracker}) whether the revision in it targeted
 * the device and the broker has not yet taken its update, whether it was taken and the device has
 * not answered, and whether the device applied it; and the device's ack rate ({@link AckRate}).
 * Only devices with a mark have an entry: a device nothing is pending for, that applied none of
 * the tracked revisions and did not ack lately, costs nothing.
 *
 * <p>Written for its size, as {@link DeviceIndex} is: an entry is a slot of an open-addressing
 * table (a reference and a {@code long}, 12 bytes, at a load between 3/8 and 3/4), where a map of
 * boxed values would cost a device ~60 bytes. The table is split into stripes by the client id's
 * hash, each guarded by its own monitor; a record is its own key (by identity: two connections of
 * one client id are two entries).
 */
final class AckLedger {

  private static final int STRIPE_BITS = 6;
  private static final int STRIPES = 1 << STRIPE_BITS;
  private static final int INITIAL_CAPACITY = 8;

  private final Stripe[] stripes = new Stripe[STRIPES];

  AckLedger() {
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe();
    }
  }

  private static int hash(DeviceRecord d) {
    return DeviceIndex.spread(d.clientId.hashCode());
  }

  private Stripe stripeOf(int hash) {
    return stripes[hash >>> (32 - STRIPE_BITS)];
  }

  /** The device's marks, 0 if it has none. */
  long get(DeviceRecord d) {
    int h = hash(d);
    Stripe s = stripeOf(h);
    synchronized (s) {
      int i = s.find(d, h);
      return i < 0 ? 0 : s.marks[i];
    }
  }

  /**
   * Replaces the device's marks (0 if it has none) by {@code change} applied to them, under the
   * stripe's monitor, so that what {@code change} counts matches the marks exactly; marks of 0
   * remove the entry. Returns the marks before.
   */
  long update(DeviceRecord d, LongUnaryOperator change) {
    int h = hash(d);
    Stripe s = stripeOf(h);
    synchronized (s) {
      int i = s.find(d, h);
      long before = i < 0 ? 0 : s.marks[i];
      long after = change.applyAsLong(before);
      if (after == before) {
        return before;
      }
      if (after == 0) {
        s.removeAt(i);
      } else if (i < 0) {
        s.add(d, h, after);
      } else {
        s.marks[i] = after;
      }
      return before;
    }
  }

  /** Removes the device's entry; returns its marks (0 if it had none). */
  long remove(DeviceRecord d) {
    return update(d, marks -> 0);
  }

  /** Clears {@code bits} in every entry (a slot of the window is given to another revision). */
  void clear(long bits) {
    updateAll(marks -> marks & ~bits);
  }

  /** Replaces every entry's marks by {@code change} applied to them; marks of 0 remove the entry. */
  void updateAll(LongUnaryOperator change) {
    for (Stripe s : stripes) {
      synchronized (s) {
        s.updateAll(change);
      }
    }
  }

  /** Devices with marks. */
  int size() {
    int size = 0;
    for (Stripe s : stripes) {
      synchronized (s) {
        size += s.size;
      }
    }
    return size;
  }

  /** One linear-probing table of records and their marks. Guarded by its own monitor. */
  private static final class Stripe {

    DeviceRecord[] keys = new DeviceRecord[INITIAL_CAPACITY];
    long[] marks = new long[INITIAL_CAPACITY];
    int size;

    /** The slot of {@code d}, or -1. */
    int find(DeviceRecord d, int h) {
      int mask = keys.length - 1;
      for (int i = h & mask; ; i = (i + 1) & mask) {
        DeviceRecord k = keys[i];
        if (k == null) {
          return -1;
        }
        if (k == d) {
          return i;
        }
      }
    }

    void add(DeviceRecord d, int h, long m) {
      if (++size > keys.length - (keys.length >>> 2)) {
        rehash(keys.length << 1);
      }
      place(d, h, m);
    }

    private void place(DeviceRecord d, int h, long m) {
      int mask = keys.length - 1;
      int i = h & mask;
      while (keys[i] != null) {
        i = (i + 1) & mask;
      }
      keys[i] = d;
      marks[i] = m;
    }

    /**
     * Empties slot {@code gap}, moving back the entries after it that probing would no longer reach
     * (deletion for linear probing without tombstones; the cyclic range test as in {@link
     * DeviceIndex}), and shrinks a table that has become sparse.
     */
    void removeAt(int gap) {
      int mask = keys.length - 1;
      for (int i = (gap + 1) & mask; keys[i] != null; i = (i + 1) & mask) {
        int home = hash(keys[i]) & mask;
        if (gap <= i ? (home <= gap || home > i) : (home <= gap && home > i)) {
          keys[gap] = keys[i];
          marks[gap] = marks[i];
          gap = i;
        }
      }
      keys[gap] = null;
      marks[gap] = 0;
      size--;
      if (keys.length > INITIAL_CAPACITY && size < keys.length >>> 3) {
        rehash(keys.length >>> 1);
      }
    }

    /** Changes every entry's marks and drops the entries left without any. */
    void updateAll(LongUnaryOperator change) {
      int emptied = 0;
      for (int i = 0; i < keys.length; i++) {
        if (keys[i] != null && (marks[i] = change.applyAsLong(marks[i])) == 0) {
          emptied++;
        }
      }
      if (emptied > 0) {
        size -= emptied;
        int capacity = keys.length;
        while (capacity > INITIAL_CAPACITY && size < capacity >>> 3) {
          capacity >>>= 1;
        }
        rehash(capacity);
      }
    }

    /** Places the entries with marks in a table of this capacity. */
    private void rehash(int capacity) {
      DeviceRecord[] oldKeys = keys;
      long[] oldMarks = marks;
      keys = new DeviceRecord[capacity];
      marks = new long[capacity];
      for (int i = 0; i < oldKeys.length; i++) {
        if (oldKeys[i] != null && oldMarks[i] != 0) {
          place(oldKeys[i], hash(oldKeys[i]), oldMarks[i]);
        }
      }
    }
  }
}
