package dev.fleetflags.device;

import com.google.protobuf.ByteString;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * FlagUpdates for tests, as the extension's encoder writes them (snapshots, deltas, empty
 * confirmations), with the state hash of the set they lead to computed from the README's
 * specification ({@link StateHash}, pinned by the README's vectors in {@code StateHashTest}).
 */
public final class Updates {

  private Updates() {}

  /** A flag of the value's type: Boolean, Long, Double or String; JSON text by {@link #json}. */
  public static Flag flag(String key, Object value) {
    return flag(key, value, "");
  }

  public static Flag flag(String key, Object value, String variant) {
    Flag.Builder b = Flag.newBuilder().setKey(key).setVariant(variant);
    if (value instanceof Boolean v) {
      b.setBool(v);
    } else if (value instanceof Long v) {
      b.setInt(v);
    } else if (value instanceof Double v) {
      b.setDouble(v);
    } else if (value instanceof String v) {
      b.setString(v);
    } else {
      throw new IllegalArgumentException(value.getClass().toString());
    }
    return b.build();
  }

  public static Flag json(String key, String text) {
    return Flag.newBuilder().setKey(key).setJson(ByteString.copyFromUtf8(text)).build();
  }

  /** The device's whole set: {@code flags}. */
  public static FlagUpdate snapshot(long revision, Flag... flags) {
    return FlagUpdate.newBuilder().setRevision(revision).setSnapshot(true).addAllFlags(List.of(flags))
        .setStateHash(hash(List.of(flags))).build();
  }

  /** A delta whose resulting set is {@code result}. */
  public static FlagUpdate delta(long revision, Collection<Flag> changed, Collection<String> removed,
      Collection<Flag> result) {
    return FlagUpdate.newBuilder().setRevision(revision).addAllFlags(changed).addAllRemoved(removed)
        .setStateHash(hash(result)).build();
  }

  /** An empty update confirming a set. */
  public static FlagUpdate confirmation(long revision, Collection<Flag> held) {
    return FlagUpdate.newBuilder().setRevision(revision).setStateHash(hash(held)).build();
  }

  public static int hash(Collection<Flag> flags) {
    List<HeldFlag> held = new ArrayList<>();
    for (Flag f : flags) {
      held.add(held(f));
    }
    return StateHash.of(held);
  }

  private static HeldFlag held(Flag f) {
    return switch (f.getValueCase()) {
      case BOOL -> new HeldFlag(f.getKey(), ValueType.BOOLEAN, f.getBool(), null);
      case INT -> new HeldFlag(f.getKey(), ValueType.INTEGER, f.getInt(), null);
      case DOUBLE -> new HeldFlag(f.getKey(), ValueType.DOUBLE, f.getDouble(), null);
      case STRING -> new HeldFlag(f.getKey(), ValueType.STRING, f.getString(), null);
      case JSON -> new HeldFlag(f.getKey(), ValueType.JSON, f.getJson().toStringUtf8(), null);
      case VALUE_NOT_SET -> throw new IllegalArgumentException(f.getKey());
    };
  }
}
