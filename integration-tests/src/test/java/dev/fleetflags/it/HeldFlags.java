package dev.fleetflags.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.common.hash.Hashing;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * The flags a device holds, kept as a device maker would from the README alone: snapshots replace
 * the set, deltas set and remove keys, and the state hash is computed on this side from the
 * README's specification (not from the extension's code), so a match proves the specification.
 */
final class HeldFlags {

  private final Map<String, Flag> flags = new TreeMap<>();
  private long revision;

  HeldFlags() {}

  /** A copy: what a device keeps from one connection to the next. */
  HeldFlags(HeldFlags other) {
    flags.putAll(other.flags);
    revision = other.revision;
  }

  /** Applies an update; returns this. */
  HeldFlags apply(FlagUpdate update) {
    if (update.getSnapshot()) {
      flags.clear();
    }
    for (Flag flag : update.getFlagsList()) {
      flags.put(flag.getKey(), flag);
    }
    update.getRemovedList().forEach(flags::remove);
    revision = update.getRevision();
    return this;
  }

  Map<String, Flag> flags() {
    return flags;
  }

  long revision() {
    return revision;
  }

  /** The values by key, as Java values (Boolean, Long, Double, String, or JSON text). */
  Map<String, Object> values() {
    Map<String, Object> values = new TreeMap<>();
    flags.forEach((key, flag) -> values.put(key, value(flag)));
    return values;
  }

  static Object value(Flag flag) {
    return switch (flag.getValueCase()) {
      case BOOL -> flag.getBool();
      case INT -> flag.getInt();
      case DOUBLE -> flag.getDouble();
      case STRING -> flag.getString();
      case JSON -> flag.getJson().toStringUtf8();
      case VALUE_NOT_SET -> throw new AssertionError("flag " + flag.getKey() + " has no value");
    };
  }

  /** The values by key as the admin answers write them in JSON (see {@link Operator#JSON}). */
  Map<String, JsonNode> jsonValues() {
    Map<String, JsonNode> values = new TreeMap<>();
    flags.forEach((key, flag) -> values.put(key, jsonValue(flag)));
    return values;
  }

  static JsonNode jsonValue(Flag flag) {
    JsonNodeFactory json = JsonNodeFactory.instance;
    return switch (flag.getValueCase()) {
      case BOOL -> json.booleanNode(flag.getBool());
      case INT -> json.numberNode(flag.getInt());
      case DOUBLE -> json.numberNode(flag.getDouble());
      case STRING -> json.textNode(flag.getString());
      case JSON -> Operator.parse(flag.getJson().toStringUtf8());
      case VALUE_NOT_SET -> throw new AssertionError("flag " + flag.getKey() + " has no value");
    };
  }

  /**
   * Fails unless this is exactly the set {@code query/evaluate} reports for the device: the flags it
   * gives a value for, with those values, and the same state hash.
   */
  void assertMatches(Operator.Evaluated evaluated) {
    assertEquals(
        evaluated.values(),
        jsonValues(),
        () -> evaluated.device() + " holds a stale or wrong set, query/evaluate says " + evaluated);
    assertEquals(
        evaluated.stateHash(),
        stateHashText(),
        () -> evaluated.device() + " computes another hash of " + this);
  }

  /** README "State hash": the sum mod 2^32 of MurmurHash3 x86 32 (seed 0) of each entry. */
  int stateHash() {
    int sum = 0;
    for (Flag flag : flags.values()) {
      sum += entryHash(flag);
    }
    return sum;
  }

  String stateHashText() {
    return hex(stateHash());
  }

  /** A state hash as text: 8 lowercase hex digits. */
  static String hex(int hash) {
    return String.format("%08x", hash);
  }

  /** {@code UTF-8(key) 0x00 tag value}, hashed. */
  static int entryHash(Flag flag) {
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    entry.writeBytes(flag.getKey().getBytes(UTF_8));
    entry.write(0);
    switch (flag.getValueCase()) {
      case BOOL -> {
        entry.write('b');
        entry.write(flag.getBool() ? 1 : 0);
      }
      case INT -> {
        entry.write('i');
        entry.writeBytes(ByteBuffer.allocate(8).putLong(flag.getInt()).array());
      }
      case DOUBLE -> {
        entry.write('d');
        entry.writeBytes(ByteBuffer.allocate(8).putDouble(flag.getDouble()).array());
      }
      case STRING -> {
        entry.write('s');
        entry.writeBytes(flag.getString().getBytes(UTF_8));
      }
      case JSON -> {
        entry.write('j');
        entry.writeBytes(flag.getJson().toByteArray());
      }
      case VALUE_NOT_SET -> throw new AssertionError("flag " + flag.getKey() + " has no value");
    }
    return murmur3(entry.toByteArray());
  }

  static int murmur3(byte[] bytes) {
    return Hashing.murmur3_32_fixed(0).hashBytes(bytes).asInt();
  }

  @Override
  public String toString() {
    return values().toString();
  }
}
