package dev.fleetflags.device;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fleetflags.device.UpdateRefused.Why;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The flags a device holds, with the revision and state hash of the update that brought them.
 * Immutable: applying an update gives a new set (and the keys it changed) or refuses the update,
 * leaving this one as it was. Sets are small (the flags one device has a value for), so a copy per
 * update is cheap and lets readers on other threads use a set without locks.
 */
public final class FlagSet {

  private final SortedMap<String, HeldFlag> flags;
  private final long revision;
  private final int stateHash;

  private FlagSet(SortedMap<String, HeldFlag> flags, long revision, int stateHash) {
    this.flags = Collections.unmodifiableSortedMap(flags);
    this.revision = revision;
    this.stateHash = stateHash;
  }

  /** The result of applying an update: the set after it, and the keys whose flag it changed. */
  public record Applied(FlagSet set, Set<String> changed) {}

  /**
   * Applies an update to what a device holds, as the README's device protocol says: a snapshot
   * replaces the set; a delta sets or changes its {@code flags}, drops its {@code removed} keys
   * and leaves the rest; a delta with neither confirms the set. {@code flags} apply before {@code
   * removed} (the broker never names a key in both). The result must hash to the update's {@code
   * state_hash}.
   *
   * @param held what the device holds, or null if it holds nothing yet (a delta then applies to
   *     the empty set, and the hash decides whether that was right)
   * @param payload the MQTT payload of the update
   * @throws UpdateRefused if the payload is not a well-formed update or the result hashes otherwise
   */
  public static Applied apply(@Nullable FlagSet held, byte[] payload) throws UpdateRefused {
    FlagUpdate update;
    try {
      update = FlagUpdate.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new UpdateRefused(Why.MALFORMED, "not a FlagUpdate (" + payload.length + " bytes): " + e.getMessage(), e);
    }
    return apply(held, update);
  }

  public static Applied apply(@Nullable FlagSet held, FlagUpdate update) throws UpdateRefused {
    if (!update.hasStateHash()) {
      // The hash is always sent, last: without it the payload was cut short (or is not FleetFlags').
      throw new UpdateRefused(Why.MALFORMED, "the update has no state_hash: cut short?");
    }
    Map<String, HeldFlag> incoming = new TreeMap<>();
    for (int i = 0; i < update.getFlagsCount(); i++) {
      HeldFlag flag = held(update.getFlags(i), i);
      if (incoming.put(flag.key(), flag) != null) {
        throw new UpdateRefused(Why.MALFORMED, "flags[" + i + "]: key \"" + flag.key() + "\" appears twice");
      }
    }
    SortedMap<String, HeldFlag> next =
        update.getSnapshot() || held == null ? new TreeMap<>() : new TreeMap<>(held.flags);
    next.putAll(incoming);
    update.getRemovedList().forEach(next::remove);
    int hash = StateHash.of(next.values());
    if (hash != update.getStateHash()) {
      throw new UpdateRefused(
          Why.HASH_MISMATCH,
          "the update (revision " + update.getRevision() + ") says state hash "
              + StateHash.text(update.getStateHash()) + ", the set it leads to hashes to " + StateHash.text(hash));
    }
    FlagSet after = new FlagSet(next, update.getRevision(), hash);
    return new Applied(after, changedKeys(held == null ? Map.of() : held.flags, next));
  }

  /**
   * This set with the flags of {@code keys} as {@code before} held them (or without them, where it
   * held none): what a device holds after refusing those values of the update that brought this
   * set. Its hash is its own; the revision stays this set's, the update the device handled.
   */
  public FlagSet keeping(@Nullable FlagSet before, Set<String> keys) {
    SortedMap<String, HeldFlag> kept = new TreeMap<>(flags);
    for (String key : keys) {
      HeldFlag old = before == null ? null : before.flags.get(key);
      if (old == null) {
        kept.remove(key);
      } else {
        kept.put(key, old);
      }
    }
    return new FlagSet(kept, revision, StateHash.of(kept.values()));
  }

  /** The set a snapshot describes, as a device keeps it on disk; refused like an update. */
  public static FlagSet fromSnapshot(FlagUpdate snapshot) throws UpdateRefused {
    if (!snapshot.getSnapshot()) {
      throw new UpdateRefused(Why.MALFORMED, "not a snapshot");
    }
    return apply(null, snapshot).set();
  }

  /** This set as a snapshot {@code FlagUpdate}: how it is saved. */
  public FlagUpdate toSnapshot() {
    FlagUpdate.Builder update = FlagUpdate.newBuilder().setRevision(revision).setSnapshot(true).setStateHash(stateHash);
    for (HeldFlag flag : flags.values()) {
      Flag.Builder b = Flag.newBuilder().setKey(flag.key());
      switch (flag.type()) {
        case BOOLEAN -> b.setBool((Boolean) flag.value());
        case INTEGER -> b.setInt((Long) flag.value());
        case DOUBLE -> b.setDouble((Double) flag.value());
        case STRING -> b.setString((String) flag.value());
        case JSON -> b.setJson(ByteString.copyFromUtf8((String) flag.value()));
      }
      if (flag.variant() != null) {
        b.setVariant(flag.variant());
      }
      update.addFlags(b);
    }
    return update.build();
  }

  /** The flags by key, in key order. */
  public SortedMap<String, HeldFlag> flags() {
    return flags;
  }

  public @Nullable HeldFlag get(String key) {
    return flags.get(key);
  }

  /** The store revision of the last update applied. */
  public long revision() {
    return revision;
  }

  public int stateHash() {
    return stateHash;
  }

  private static HeldFlag held(Flag flag, int index) throws UpdateRefused {
    String variant = flag.getVariant().isEmpty() ? null : flag.getVariant();
    return switch (flag.getValueCase()) {
      case BOOL -> new HeldFlag(flag.getKey(), ValueType.BOOLEAN, flag.getBool(), variant);
      case INT -> new HeldFlag(flag.getKey(), ValueType.INTEGER, flag.getInt(), variant);
      case DOUBLE -> new HeldFlag(flag.getKey(), ValueType.DOUBLE, flag.getDouble(), variant);
      case STRING -> new HeldFlag(flag.getKey(), ValueType.STRING, flag.getString(), variant);
      case JSON -> new HeldFlag(flag.getKey(), ValueType.JSON, json(flag, index), variant);
      case VALUE_NOT_SET -> throw new UpdateRefused(
          Why.MALFORMED, "flags[" + index + "] (\"" + flag.getKey() + "\") has no value");
    };
  }

  /** The JSON text of an object flag, which must be UTF-8 and JSON. */
  private static String json(Flag flag, int index) throws UpdateRefused {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(flag.getJson().toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new UpdateRefused(Why.MALFORMED, "flags[" + index + "] (\"" + flag.getKey() + "\"): json is not UTF-8", e);
    }
    try {
      JsonText.parse(text);
    } catch (IllegalArgumentException e) {
      throw new UpdateRefused(
          Why.MALFORMED, "flags[" + index + "] (\"" + flag.getKey() + "\"): json is not JSON: " + e.getMessage(), e);
    }
    return text;
  }

  private static Set<String> changedKeys(Map<String, HeldFlag> before, Map<String, HeldFlag> after) {
    Set<String> keys = new HashSet<>(before.keySet());
    keys.addAll(after.keySet());
    Set<String> changed = new TreeSet<>();
    for (String key : keys) {
      if (!Objects.equals(before.get(key), after.get(key))) {
        changed.add(key);
      }
    }
    return Collections.unmodifiableSet(changed);
  }

  @Override
  public String toString() {
    return "revision " + revision + ", state hash " + StateHash.text(stateHash) + ": " + flags.values();
  }
}
