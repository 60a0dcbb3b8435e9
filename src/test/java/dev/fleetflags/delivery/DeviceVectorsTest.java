package dev.fleetflags.delivery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.Flag;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.eval.Murmur3;
import dev.fleetflags.eval.StateHash;
import dev.fleetflags.proto.v1.FlagAck;
import dev.fleetflags.proto.v1.FlagUpdate;
import dev.fleetflags.rules.Limits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The device test vectors in {@code clients/testvectors/vectors.txt}, which the device libraries'
 * tests read (the C library's ctest suites): payloads made by the extension's own encoder ({@link
 * FlagUpdates}) from flag sets its evaluator computed, with the set a device holds after applying
 * each and its state hash, plus the README's state-hash entries, and acks with the bytes a device
 * encodes them to (written by the proto classes, taken by {@link FlagAcks}). Fails if the checked-in file
 * differs from what the encoder produces now; {@code -Dfleetflags.vectors.write=true} rewrites it.
 */
class DeviceVectorsTest {

  static final Path FILE = Path.of("clients/testvectors/vectors.txt");
  private static final HexFormat HEX = HexFormat.of();

  /** The C library's default FF_MAX_KEY_LEN and FF_MAX_VALUE_LEN: every vector fits them. */
  private static final int DEFAULT_MAX_KEY_LEN = 32;
  private static final int DEFAULT_MAX_VALUE_LEN = 64;
  private static final DeviceContext DEVICE = new DeviceContext("dev-7", Map.of("model", "th-200"));

  private static final String README_FLAGS =
      """
      "ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
      "level": {"state": "ENABLED", "variants": {"l": 42}, "defaultVariant": "l"},
      "mode": {"state": "ENABLED", "variants": {"e": "eco", "b": "boost"}, "defaultVariant": "e"},
      "off": {"state": "DISABLED", "variants": {"x": 1}, "defaultVariant": "x"},
      "none": {"state": "ENABLED", "variants": {"x": 1}}""";

  /** Every value type, extremes, unicode keys and values, and flags that are not in the set. */
  private static final String EVERY_TYPE =
      """
      "ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
      "quiet": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"},
      "level": {"state": "ENABLED", "variants": {"l": 42, "h": 43}, "defaultVariant": "l"},
      "offset": {"state": "ENABLED", "variants": {"v": -1}, "defaultVariant": "v"},
      "min": {"state": "ENABLED", "variants": {"v": -9223372036854775808}, "defaultVariant": "v"},
      "max": {"state": "ENABLED", "variants": {"v": 9223372036854775807}, "defaultVariant": "v"},
      "ratio": {"state": "ENABLED", "variants": {"half": 0.5, "most": 0.75}, "defaultVariant": "half"},
      "huge": {"state": "ENABLED", "variants": {"v": -1.5e300}, "defaultVariant": "v"},
      "two": {"state": "ENABLED", "variants": {"half": 0.5, "two": 2}, "defaultVariant": "two"},
      "mode": {"state": "ENABLED", "variants": {"e": "eco", "b": "boost"}, "defaultVariant": "e"},
      "greeting": {"state": "ENABLED", "variants": {"v": "grüße, 日本, 🚀"}, "defaultVariant": "v"},
      "blank": {"state": "ENABLED", "variants": {"v": ""}, "defaultVariant": "v"},
      "cfg": {"state": "ENABLED",
        "variants": {"v": {"b": 1, "a": [true, null, "x"], "n": {"z": 0.25, "é": "ü"}}},
        "defaultVariant": "v"},
      "ключ": {"state": "ENABLED", "variants": {"v": "значение"}, "defaultVariant": "v"},
      "🚀-launch": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
      "by-model": {"state": "ENABLED", "variants": {"fast": "fast", "slow": "slow"},
        "defaultVariant": "slow",
        "targeting": {"if": [{"==": [{"var": "model"}, "th-200"]}, "fast", null]}},
      "disabled": {"state": "DISABLED", "variants": {"v": 1}, "defaultVariant": "v"},
      "no-variant": {"state": "ENABLED", "variants": {"v": 1},
        "targeting": {"if": [{"==": [{"var": "model"}, "none"]}, "v", null]}}""";

  /** Changes of value and of type, the rest as before. */
  private static final String CHANGED =
      EVERY_TYPE
          .replace("\"defaultVariant\": \"on\"},\n\"quiet\"", "\"defaultVariant\": \"off\"},\n\"quiet\"")
          .replace("{\"l\": 42, \"h\": 43}, \"defaultVariant\": \"l\"", "{\"l\": 42, \"h\": 43}, \"defaultVariant\": \"h\"")
          .replace("\"defaultVariant\": \"half\"}", "\"defaultVariant\": \"most\"}")
          .replace("\"defaultVariant\": \"two\"", "\"defaultVariant\": \"half\"")
          .replace("\"defaultVariant\": \"e\"", "\"defaultVariant\": \"b\"")
          .replace("{\"v\": -1}", "{\"v\": \"-1\"}")
          .replace("\"n\": {\"z\": 0.25, \"é\": \"ü\"}", "\"n\": {}");

  /** Flags deleted, disabled, or without a variant any more. */
  private static final String REMOVED =
      CHANGED
          .replaceFirst("\"quiet\": \\{\"state\": \"ENABLED\"", "\"quiet\": {\"state\": \"DISABLED\"")
          .replaceFirst("\"ratio\": \\{\"state\": \"ENABLED\"", "\"ratio\": {\"state\": \"DISABLED\"")
          .replace("\"ключ\": {\"state\": \"ENABLED\", \"variants\": {\"v\": \"значение\"}, \"defaultVariant\": \"v\"}",
              "\"ключ\": {\"state\": \"ENABLED\", \"variants\": {\"v\": \"значение\"}}")
          .replace("\"blank\": {\"state\": \"ENABLED\", \"variants\": {\"v\": \"\"}, \"defaultVariant\": \"v\"},\n", "");

  /** Added, changed and removed at once. */
  private static final String MIXED =
      REMOVED
          .replaceFirst("\"ratio\": \\{\"state\": \"DISABLED\"", "\"ratio\": {\"state\": \"ENABLED\"")
          .replace("\"defaultVariant\": \"b\"", "\"defaultVariant\": \"e\"")
          .replace("\"max\": {\"state\": \"ENABLED\", \"variants\": {\"v\": 9223372036854775807}, \"defaultVariant\": \"v\"},\n", "")
          + """
          ,
          "new-flag": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
          "新しい": {"state": "ENABLED", "variants": {"v": {"list": [1, 2.5, "三"]}}, "defaultVariant": "v"}""";

  private static final String FEW =
      """
      "ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"},
      "new-flag": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
      "mode": {"state": "ENABLED", "variants": {"e": "eco", "b": "boost"}, "defaultVariant": "b"}""";

  @Test
  void theCheckedInVectorsAreWhatTheEncoderProducesNow() throws IOException {
    String now = vectors();
    if (Boolean.getBoolean("fleetflags.vectors.write")) {
      Files.createDirectories(FILE.getParent());
      Files.writeString(FILE, now, UTF_8);
    }
    assertTrue(Files.exists(FILE), FILE + " is missing; write it with -Dfleetflags.vectors.write=true");
    assertEquals(
        now,
        Files.readString(FILE, UTF_8),
        FILE
            + " differs from what the extension's encoder produces now: if the change is meant, rewrite"
            + " it with mvn test -Dtest=DeviceVectorsTest -Dfleetflags.vectors.write=true and say so"
            + " to device makers (the device libraries' tests read it)");
  }

  /** The README's state-hash table and MurmurHash3 check value are among the vectors, unchanged. */
  @Test
  void theReadmeStateHashVectorsAreInTheFile() throws IOException {
    String readme = Files.readString(Path.of("README.md"), UTF_8);
    String vectors = vectors();
    Matcher row = Pattern.compile("\\| `[^`]+` \\| `[^`]+` \\| `([0-9a-f]+)` \\| `([0-9a-f]{8})` \\|").matcher(readme);
    int rows = 0;
    while (row.find()) {
      rows++;
      String entry = row.group(1);
      String hash = row.group(2);
      assertTrue(
          Pattern.compile("(?m)^entry \\S+ \\S \\S+ " + entry + " " + hash + "$").matcher(vectors).find(),
          "README row " + row.group() + " is not an entry vector");
    }
    assertEquals(4, rows, "the README's state hash table has four entry rows");
    Matcher set = Pattern.compile("\\| set \\{ota, level, mode\\} \\| \\| \\| `([0-9a-f]{8})` \\|").matcher(readme);
    assertTrue(set.find(), "the README's set row");
    assertTrue(vectors.contains("update readme-set -\n"), vectors);
    assertTrue(
        vectors.substring(vectors.indexOf("update readme-set -\n")).contains("hash " + set.group(1) + "\nend"),
        "the README's set hash is readme-set's");
    Matcher murmur = Pattern.compile("of `hello` with seed 0 is `([0-9a-f]{8})`").matcher(readme);
    assertTrue(murmur.find());
    assertTrue(vectors.contains("murmur " + HEX.formatHex("hello".getBytes(UTF_8)) + " " + murmur.group(1) + "\n"));
  }

  // --- generating ---------------------------------------------------------------------------

  /** The file's text, from the encoder and the evaluator as they are now. */
  static String vectors() {
    StringBuilder out = new StringBuilder();
    out.append(
        """
        # FleetFlags device test vectors. Generated by DeviceVectorsTest from the extension's own
        # encoder and evaluator; do not edit: rewrite with
        #   mvn test -Dtest=DeviceVectorsTest -Dfleetflags.vectors.write=true
        #
        # One record per line, words separated by one space; hex is lowercase, "-" is empty.
        #   murmur <data hex> <MurmurHash3 x86 32, seed 0, as 8 hex digits>
        #   entry <key hex> <tag> <value hex> <entry hex> <entry hash>
        #       a flag's state-hash entry (README "State hash"): entry = key 0x00 tag value
        #   update <name> <from>
        #       a FlagUpdate applied to what a device holds after update <from> ("-": a device
        #       that holds nothing; apply the chain of froms first), then:
        #   payload <FlagUpdate bytes hex>
        #   revision <decimal>
        #   flag <key hex> <tag> <value hex>     one per flag the device then holds, in any order
        #   hash <the state hash of that set>
        #   end
        # Tags and value bytes are the state hash's: b one byte 00/01, i 8 bytes big-endian two's
        # complement, d 8 bytes big-endian IEEE 754, s UTF-8, j the json bytes as received.
        #   ack <name> <revision> <state hash> <status> <rejected keys> <reason hex> <FlagAck hex>
        #       an acknowledgement (README "Acknowledgements") and its bytes as a device encodes
        #       it; revision in decimal (unsigned), status APPLIED, REJECTED or FAILED, rejected
        #       keys as UTF-8 hex separated by commas ("-": none)
        """);
    murmur(out, "hello");
    for (String s : List.of("", "a", "ab", "abc", "abcd", "abcde", "key\u0000", "日本")) {
      murmur(out, s);
    }
    Evaluation readme = evaluate(README_FLAGS, DEVICE);
    Set<String> entries = new LinkedHashSet<>();
    for (Evaluation e : List.of(readme, evaluate(EVERY_TYPE, DEVICE), evaluate(MIXED, DEVICE))) {
      for (int i = 0; i < e.size(); i++) {
        if (e.hasValue(i)) {
          entries.add(entry(e.flag(i), e.variantIndex(i)));
        }
      }
    }
    entries.forEach(out::append);

    FlagUpdates encoder = new FlagUpdates(false);
    Evaluation everyType = evaluate(EVERY_TYPE, DEVICE);
    Evaluation changed = evaluate(CHANGED, DEVICE);
    Evaluation removed = evaluate(REMOVED, DEVICE);
    Evaluation mixed = evaluate(MIXED, DEVICE);
    Evaluation few = evaluate(FEW, DEVICE);
    Evaluation empty = FlagSet.EMPTY.evaluate(DEVICE, 0);

    update(out, "readme-set", "-", encoder.snapshot(1, readme), 1, readme);
    update(out, "every-type", "-", encoder.snapshot(5, everyType), 5, everyType);
    update(out, "every-type-with-variant-names", "-", new FlagUpdates(true).snapshot(5, everyType), 5, everyType);
    Evaluation otherDevice = evaluate(EVERY_TYPE, new DeviceContext("dev-8", Map.of("model", "th-100")));
    update(out, "every-type-other-device", "-", encoder.snapshot(5, otherDevice), 5, otherDevice);
    update(out, "delta-changes", "every-type", delta(encoder, 6, everyType, changed), 6, changed);
    update(out, "delta-removes", "delta-changes", delta(encoder, 7, changed, removed), 7, removed);
    update(out, "delta-adds-changes-removes", "delta-removes", delta(encoder, 300, removed, mixed), 300, mixed);
    update(out, "confirmation", "delta-adds-changes-removes", encoder.current(301, mixed.stateHash()), 301, mixed);
    update(out, "snapshot-over-held-set", "delta-adds-changes-removes", encoder.snapshot(400, few), 400, few);
    update(out, "delta-to-empty", "delta-adds-changes-removes", delta(encoder, 401, mixed, empty), 401, empty);
    update(out, "empty-snapshot", "snapshot-over-held-set", encoder.snapshot(402, empty), 402, empty);
    update(out, "confirmation-of-empty-set", "empty-snapshot", encoder.current(403, 0), 403, empty);
    update(out, "snapshot-after-empty", "empty-snapshot", encoder.snapshot(404, few), 404, few);
    Evaluation many = evaluate(manyFlags(40), DEVICE);
    update(out, "forty-flags", "-", encoder.snapshot(1_000_000, many), 1_000_000, many);

    ack(out, "applied-readme", 1000, readme.stateHash(), FlagAck.Status.APPLIED, List.of(), "");
    ack(out, "applied-empty-set", 1, 0, FlagAck.Status.APPLIED, List.of(), "");
    ack(out, "applied-largest-revision", -1L, 0xffffffff, FlagAck.Status.APPLIED, List.of(), "");
    ack(out, "rejected-one", 7, few.stateHash(), FlagAck.Status.REJECTED, List.of("ota"),
        "firmware 1.2 has no OTA");
    ack(out, "rejected-unicode", 300, mixed.stateHash(), FlagAck.Status.REJECTED, List.of("ключ", "🚀-launch", "新しい"),
        "значение out of range: 日本, grüße");
    List<String> most = new ArrayList<>();
    for (int i = 0; i < FlagAcks.MAX_REJECTED_KEYS; i++) {
      most.add("flag-%02d-".formatted(i) + "k".repeat(23));
    }
    ack(out, "rejected-at-the-bounds", 1_000_000, many.stateHash(), FlagAck.Status.REJECTED, most,
        "r".repeat(FlagAcks.MAX_REASON_BYTES - 2) + "ü");
    ack(out, "failed-after-applying", 12, everyType.stateHash(), FlagAck.Status.FAILED, List.of(),
        "watchdog reset 3 s after applying");
    ack(out, "failed-without-reason", 13, 0x80000000, FlagAck.Status.FAILED, List.of(), "");
    return out.toString();
  }

  /**
   * An ack vector: the bytes the proto classes write, which the extension's decoder takes as this
   * very ack (a device library encoding the same ack must write exactly these bytes).
   */
  private static void ack(StringBuilder out, String name, long revision, int stateHash, FlagAck.Status status,
      List<String> keys, String reason) {
    byte[] payload = FlagAck.newBuilder().setRevision(revision).setStateHash(stateHash).setStatus(status)
        .addAllRejectedKeys(keys).setReason(reason).build().toByteArray();
    FlagAcks.Decoded decoded = FlagAcks.decode(payload);
    assertEquals("", decoded.problem(), name);
    assertEquals(new Ack(revision, stateHash, AckStatus.valueOf(status.name()), keys, reason), decoded.ack(), name);
    out.append("ack ").append(name).append(' ').append(Long.toUnsignedString(revision)).append(' ')
        .append(hash(stateHash)).append(' ').append(status.name()).append(' ')
        .append(keys.isEmpty() ? "-" : String.join(",", keys.stream().map(k -> hex(k.getBytes(UTF_8))).toList()))
        .append(' ').append(hex(reason.getBytes(UTF_8))).append(' ').append(hex(payload)).append('\n');
  }

  private static String manyFlags(int n) {
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      flags.add(
          "\"flag-%02d\": {\"state\": \"ENABLED\", \"variants\": {\"v\": %d}, \"defaultVariant\": \"v\"}"
              .formatted(i, (long) i * i * 1_000_003L - 500));
    }
    return String.join(",\n", flags);
  }

  private static Evaluation evaluate(String flags, DeviceContext device) {
    try {
      FlagSet set =
          new FlagSetCompiler(Limits.DEFAULT)
              .compile(("{\"flags\": {" + flags + "}}").getBytes(UTF_8), FlagSetCompiler.Mode.STRICT);
      return set.evaluate(device, 0);
    } catch (Exception e) {
      throw new AssertionError("vector document does not compile: " + flags, e);
    }
  }

  /** What delivery sends a device that holds {@code held} and should hold {@code target}. */
  private static byte[] delta(FlagUpdates encoder, long revision, Evaluation held, Evaluation target) {
    Map<String, Integer> heldHashes = new LinkedHashMap<>();
    for (int i = 0; i < held.size(); i++) {
      if (held.hasValue(i)) {
        heldHashes.put(held.flag(i).key(), held.flag(i).entryHash(held.variantIndex(i)));
      }
    }
    List<FlagUpdates.FlagValue> changed = new ArrayList<>();
    for (int i = 0; i < target.size(); i++) {
      if (target.hasValue(i)) {
        Flag flag = target.flag(i);
        Integer before = heldHashes.remove(flag.key());
        if (before == null || before != flag.entryHash(target.variantIndex(i))) {
          changed.add(new FlagUpdates.FlagValue(flag, target.variantIndex(i)));
        }
      }
    }
    List<String> removed = new ArrayList<>(heldHashes.keySet());
    assertFalse(changed.isEmpty() && removed.isEmpty(), "a delta vector that changes nothing");
    return encoder.delta(revision, changed, removed, target.stateHash());
  }

  private static void murmur(StringBuilder out, String data) {
    byte[] bytes = data.getBytes(UTF_8);
    out.append("murmur ").append(hex(bytes)).append(' ').append(hash(Murmur3.hash(bytes))).append('\n');
  }

  private static String entry(Flag flag, int variant) {
    byte[] key = flag.key().getBytes(UTF_8);
    byte[] value = valueBytes(flag, variant);
    char tag = tag(flag);
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    entry.writeBytes(key);
    entry.write(0);
    entry.write(tag);
    entry.writeBytes(value);
    int hash = StateHash.entryHash(flag.key(), flag.type(), flag.variantValue(variant));
    // The bytes written here are the extension's entry: they hash to what it computes.
    assertEquals(hash, Murmur3.hash(entry.toByteArray()), flag::key);
    assertEquals(hash, flag.entryHash(variant), flag::key);
    return new StringBuilder("entry ")
        .append(hex(key))
        .append(' ')
        .append(tag)
        .append(' ')
        .append(hex(value))
        .append(' ')
        .append(hex(entry.toByteArray()))
        .append(' ')
        .append(hash(hash))
        .append('\n')
        .toString();
  }

  private static void update(StringBuilder out, String name, String from, byte[] payload, long revision, Evaluation result) {
    try {
      FlagUpdate decoded = FlagUpdate.parseFrom(payload);
      assertEquals(revision, decoded.getRevision(), name);
      assertEquals(result.stateHash(), decoded.getStateHash(), name);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(name, e);
    }
    out.append("update ").append(name).append(' ').append(from).append('\n');
    out.append("payload ").append(hex(payload)).append('\n');
    out.append("revision ").append(revision).append('\n');
    for (int i = 0; i < result.size(); i++) {
      if (result.hasValue(i)) {
        Flag flag = result.flag(i);
        assertTrue(
            flag.key().getBytes(UTF_8).length <= DEFAULT_MAX_KEY_LEN
                && valueBytes(flag, result.variantIndex(i)).length <= DEFAULT_MAX_VALUE_LEN,
            () -> name + ": " + flag.key() + " is over the C library's default limits");
        out.append("flag ")
            .append(hex(flag.key().getBytes(UTF_8)))
            .append(' ')
            .append(tag(flag))
            .append(' ')
            .append(hex(valueBytes(flag, result.variantIndex(i))))
            .append('\n');
      }
    }
    out.append("hash ").append(hash(result.stateHash())).append('\n');
    out.append("end\n");
  }

  private static char tag(Flag flag) {
    return switch (flag.type()) {
      case BOOLEAN -> 'b';
      case INTEGER -> 'i';
      case FLOAT -> 'd';
      case STRING -> 's';
      case OBJECT -> 'j';
    };
  }

  /** A value's bytes in the state hash's entry (README "State hash"). */
  private static byte[] valueBytes(Flag flag, int variant) {
    Object value = flag.variantValue(variant);
    return switch (flag.type()) {
      case BOOLEAN -> new byte[] {(byte) ((Boolean) value ? 1 : 0)};
      case INTEGER -> ByteBuffer.allocate(8).putLong((Long) value).array();
      case FLOAT -> ByteBuffer.allocate(8).putDouble((Double) value).array();
      case STRING -> ((String) value).getBytes(UTF_8);
      case OBJECT -> flag.variantJson(variant);
    };
  }

  private static String hex(byte[] bytes) {
    return bytes.length == 0 ? "-" : HEX.formatHex(bytes);
  }

  private static String hash(int hash) {
    return String.format("%08x", hash);
  }
}
