package dev.fleetflags.delivery;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
 *
 * <p>One record per client id is indexed, but every live connection's record is held: the broker
 * reports the lifecycle events of different connections of one client id in no particular order
 * (three in quick succession, A, B, C, may start as A, C, B and B then end), so the record a new
 * one replaces may belong to the live connection. It is kept aside, displaced, until its own end
 * arrives, and when the indexed record ends, the newest displaced one takes its place: once every
 * ended connection's end has arrived, the live one is indexed, whatever the order. Displaced records
 * exist only while connections overlap (a takeover), beside the table, so they cost a device
 * nothing otherwise.
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

  /**
   * Indexes {@code d} for its client id; the record it replaces, if any, is returned and stays
   * held, displaced, until it is removed itself.
   */
  @Nullable DeviceRecord put(DeviceRecord d) {
    int h = spread(d.clientId.hashCode());
    Stripe s = stripeOf(h);
    synchronized (s) {
      DeviceRecord replaced = s.put(d, h);
      if (replaced != null) {
        s.displace(replaced);
      }
      return replaced;
    }
  }

  /** What removing a record did. */
  enum Removal {
    /** The record was not held (never put, or removed already). */
    NOT_HELD,
    /** It was displaced by a later record, which stays indexed. */
    DISPLACED,
    /** It was indexed, and its client id has no record any more. */
    LAST,
    /** It was indexed, and the newest displaced record of its client id is indexed in its place. */
    REPLACED
  }

  /** Removes {@code d}, indexed or displaced; an indexed one is replaced by a displaced one if any. */
  Removal remove(DeviceRecord d) {
    int h = spread(d.clientId.hashCode());
    Stripe s = stripeOf(h);
    synchronized (s) {
      if (!s.remove(d, h)) {
        return s.undisplace(d) ? Removal.DISPLACED : Removal.NOT_HELD;
      }
      DeviceRecord successor = s.successor(d.clientId);
      if (successor == null) {
        return Removal.LAST;
      }
      s.put(successor, h);
      return Removal.REPLACED;
    }
  }

  /** Records held displaced, beside the indexed ones. */
  int displaced() {
    int displaced = 0;
    for (Stripe s : stripes) {
      synchronized (s) {
        displaced += s.displacedCount();
      }
    }
    return displaced;
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

  /**
   * One linear-probing table; a slot is null or a record. Beside it the displaced records by client
   * id, oldest first, only while there are any. Guarded by its own monitor.
   */
  private static final class Stripe {

    DeviceRecord[] table = new DeviceRecord[INITIAL_CAPACITY];
    int size;
    @Nullable Map<String, List<DeviceRecord>> displaced;

    void displace(DeviceRecord d) {
      if (displaced == null) {
        displaced = new HashMap<>();
      }
      displaced.computeIfAbsent(d.clientId, id -> new ArrayList<>(2)).add(d);
    }

    /** Drops a displaced record; whether it was one. */
    boolean undisplace(DeviceRecord d) {
      List<DeviceRecord> held = displaced == null ? null : displaced.get(d.clientId);
      if (held == null || !held.removeIf(x -> x == d)) {
        return false;
      }
      if (held.isEmpty()) {
        forget(d.clientId);
      }
      return true;
    }

    /** Takes the newest displaced record of the client id out of the displaced ones, or null. */
    @Nullable DeviceRecord successor(String clientId) {
      List<DeviceRecord> held = displaced == null ? null : displaced.get(clientId);
      if (held == null) {
        return null;
      }
      DeviceRecord newest = held.remove(held.size() - 1);
      if (held.isEmpty()) {
        forget(clientId);
      }
      return newest;
    }

    private void forget(String clientId) {
      Map<String, List<DeviceRecord>> held = displaced;
      if (held != null) {
        held.remove(clientId);
        displaced = held.isEmpty() ? null : held;
      }
    }

    int displacedCount() {
      int count = 0;
      if (displaced != null) {
        for (List<DeviceRecord> held : displaced.values()) {
          count += held.size();
        }
      }
      return count;
    }

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
