package dev.fleetflags.delivery;

import java.util.Iterator;
import java.util.NoSuchElementException;
import org.jspecify.annotations.Nullable;

/**
 * The connected devices' records by client id, the record being its own key. Written for its
 * size: a {@code ConcurrentHashMap<String, DeviceRecord>} costs each device a node of 32 bytes and
 * a table slot, ~40 bytes, more than half of what FleetFlags otherwise keeps per device; here a
 * device costs a slot of an open-addressing table, 5 to 11 bytes (the load stays between 3/8 and
 * 3/4 while a fleet grows). No library offers a concurrent set keyed by a field of its elements.
 *
 * <p>The table is split into stripes by the client id's hash, each a linear-probing table guarded
 * by its own monitor: connects, disconnects and lookups of different devices rarely meet, and a
 * walk over the fleet copies one stripe at a time, so no lock is held while the caller works.
 */
final class DeviceIndex {

  private static final int STRIPE_BITS = 6;
  private static final int STRIPES = 1 << STRIPE_BITS;
  private static final int INITIAL_CAPACITY = 16;

  private final Stripe[] stripes = new Stripe[STRIPES];

  DeviceIndex() {
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe();
    }
  }

  /** The record of {@code clientId}, or null. */
  @Nullable DeviceRecord get(String clientId) {
    int h = spread(clientId.hashCode());
    Stripe s = stripeOf(h);
    synchronized (s) {
      return s.get(clientId, h);
    }
  }

  /** Adds {@code d}, replacing the record with its client id; returns the record replaced, or null. */
  @Nullable DeviceRecord put(DeviceRecord d) {
    int h = spread(d.clientId.hashCode());
    Stripe s = stripeOf(h);
    synchronized (s) {
      return s.put(d, h);
    }
  }

  /** Removes {@code d} if it is the record held for its client id; returns whether it was. */
  boolean remove(DeviceRecord d) {
    int h = spread(d.clientId.hashCode());
    Stripe s = stripeOf(h);
    synchronized (s) {
      return s.remove(d, h);
    }
  }

  /** The stripe takes the top bits of the spread hash, a slot in it the bottom ones. */
  private Stripe stripeOf(int spreadHash) {
    return stripes[spreadHash >>> (32 - STRIPE_BITS)];
  }

  int size() {
    int size = 0;
    for (Stripe s : stripes) {
      synchronized (s) {
        size += s.size;
      }
    }
    return size;
  }

  /**
   * The records, a stripe at a time: each stripe is copied when the walk reaches it, so records
   * added or removed meanwhile may or may not be given, as with a concurrent map's iterator, and
   * no lock is held between steps.
   */
  Iterable<DeviceRecord> values() {
    return Walk::new;
  }

  private final class Walk implements Iterator<DeviceRecord> {

    private int stripe;
    private DeviceRecord[] copy = new DeviceRecord[INITIAL_CAPACITY];
    private int length;
    private int index;
    private @Nullable DeviceRecord next;

    @Override
    public boolean hasNext() {
      while (next == null) {
        if (index < length) {
          next = copy[index];
          copy[index++] = null;
        } else if (stripe < STRIPES) {
          copyStripe(stripes[stripe++]);
        } else {
          return false;
        }
      }
      return true;
    }

    @Override
    public DeviceRecord next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      DeviceRecord d = next;
      next = null;
      return d;
    }

    private void copyStripe(Stripe s) {
      synchronized (s) {
        if (copy.length < s.table.length) {
          copy = new DeviceRecord[s.table.length];
        }
        length = s.table.length;
        System.arraycopy(s.table, 0, copy, 0, length);
      }
      index = 0;
    }
  }

  /**
   * MurmurHash3's finalizer: every bit of the result depends on every bit of the client id's
   * hash, as the stripe takes the top bits and the slot the bottom ones.
   */
  static int spread(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }

  /** One linear-probing table; a slot is null or a record. Guarded by its own monitor. */
  private static final class Stripe {

    DeviceRecord[] table = new DeviceRecord[INITIAL_CAPACITY];
    int size;

    @Nullable DeviceRecord get(String clientId, int h) {
      DeviceRecord[] t = table;
      int mask = t.length - 1;
      for (int i = h & mask; ; i = (i + 1) & mask) {
        DeviceRecord d = t[i];
        if (d == null || d.clientId.equals(clientId)) {
          return d;
        }
      }
    }

    @Nullable DeviceRecord put(DeviceRecord record, int h) {
      DeviceRecord[] t = table;
      int mask = t.length - 1;
      for (int i = h & mask; ; i = (i + 1) & mask) {
        DeviceRecord d = t[i];
        if (d == null) {
          t[i] = record;
          if (++size > t.length - (t.length >>> 2)) {
            resize(t.length << 1);
          }
          return null;
        }
        if (d.clientId.equals(record.clientId)) {
          t[i] = record;
          return d;
        }
      }
    }

    boolean remove(DeviceRecord record, int h) {
      DeviceRecord[] t = table;
      int mask = t.length - 1;
      for (int i = h & mask; ; i = (i + 1) & mask) {
        DeviceRecord d = t[i];
        if (d == null) {
          return false;
        }
        if (d == record) {
          closeGap(t, i);
          size--;
          if (t.length > INITIAL_CAPACITY && size < t.length >>> 3) {
            resize(t.length >>> 1);
          }
          return true;
        }
      }
    }

    /**
     * Empties slot {@code gap} and moves back the records after it that probing would no longer
     * reach (Knuth's deletion for linear probing: no tombstones, so lookups stay short).
     */
    private static void closeGap(DeviceRecord[] t, int gap) {
      int mask = t.length - 1;
      for (int i = (gap + 1) & mask; t[i] != null; i = (i + 1) & mask) {
        int home = spread(t[i].clientId.hashCode()) & mask;
        // the record at i may fill the gap if its home is not in the cyclic range (gap, i]
        boolean reachable = gap <= i ? (home > gap && home <= i) : (home > gap || home <= i);
        if (!reachable) {
          t[gap] = t[i];
          gap = i;
        }
      }
      t[gap] = null;
    }

    private void resize(int capacity) {
      DeviceRecord[] old = table;
      DeviceRecord[] t = new DeviceRecord[capacity];
      int mask = capacity - 1;
      for (DeviceRecord d : old) {
        if (d != null) {
          int i = spread(d.clientId.hashCode()) & mask;
          while (t[i] != null) {
            i = (i + 1) & mask;
          }
          t[i] = d;
        }
      }
      table = t;
    }
  }
}
