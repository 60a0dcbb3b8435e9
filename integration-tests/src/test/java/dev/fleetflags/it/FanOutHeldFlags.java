package dev.fleetflags.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.common.hash.Hashing;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The flags a device holds, kept as a device maker would from the README alone: a snapshot replaces
 * them, a delta sets and removes keys, and the state hash is computed here, not taken from the
 * product. Not thread-safe; {@link FanOutDevice} guards it.
 */
final class FanOutHeldFlags {

  private final TreeMap<String, Flag> flags = new TreeMap<>();

  FanOutHeldFlags() {}

  FanOutHeldFlags(FanOutHeldFlags other) {
    flags.putAll(other.flags);
  }

  void apply(FlagUpdate update) {
    if (update.getSnapshot()) {
      flags.clear();
    }
    for (Flag f : update.getFlagsList()) {
      flags.put(f.getKey(), f);
    }
    for (String key : update.getRemovedList()) {
      flags.remove(key);
    }
  }

  boolean isEmpty() {
    return flags.isEmpty();
  }

  /** The value of each held flag, as the admin answers write values in JSON. */
  Map<String, JsonNode> values() {
    Map<String, JsonNode> values = new LinkedHashMap<>();
    flags.forEach((key, flag) -> values.put(key, value(flag)));
    return values;
  }

  /** README "State hash": the sum of MurmurHash3 x86 32 (seed 0) of each flag's entry. */
  int stateHash() {
    int sum = 0;
    for (Flag f : flags.values()) {
      sum += entryHash(f);
    }
    return sum;
  }

  /** MurmurHash3 x86 32-bit, seed 0, of {@code UTF-8(key) 0x00 tag value}. */
  static int entryHash(Flag flag) {
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    entry.writeBytes(flag.getKey().getBytes(StandardCharsets.UTF_8));
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
        entry.writeBytes(flag.getString().getBytes(StandardCharsets.UTF_8));
      }
      case JSON -> {
        entry.write('j');
        entry.writeBytes(flag.getJson().toByteArray());
      }
      case VALUE_NOT_SET -> throw new AssertionError("flag " + flag.getKey() + " has no value");
    }
    return Hashing.murmur3_32_fixed().hashBytes(entry.toByteArray()).asInt();
  }

  static JsonNode value(Flag flag) {
    JsonNodeFactory json = JsonNodeFactory.instance;
    return switch (flag.getValueCase()) {
      case BOOL -> json.booleanNode(flag.getBool());
      case INT -> json.numberNode(flag.getInt());
      case DOUBLE -> json.numberNode(flag.getDouble());
      case STRING -> json.textNode(flag.getString());
      case JSON -> {
        try {
          yield FanOutOperator.JSON.readTree(flag.getJson().toByteArray());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      case VALUE_NOT_SET -> throw new AssertionError("flag " + flag.getKey() + " has no value");
    };
  }

  /** A state hash as text: 8 lowercase hex digits. */
  static String hex(int hash) {
    return "%08x".formatted(hash);
  }

  /** The keys of the flags an update sets. */
  static Set<String> keys(FlagUpdate update) {
    Set<String> keys = new TreeSet<>();
    update.getFlagsList().forEach(f -> keys.add(f.getKey()));
    return keys;
  }

  @Override
  public String toString() {
    return values().toString();
  }
}
