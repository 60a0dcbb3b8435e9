package dev.fleetflags.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The device test vectors shared with the C library ({@code clients/testvectors/vectors.txt},
 * generated from the extension's own encoder and evaluator; its header gives the format): MurmurHash3
 * values, state-hash entries, chains of updates with the revision, flags and state hash a
 * device holds after each, and acks with the bytes a device encodes them to. Skipped, saying so,
 * where the file is not in the checkout.
 */
class SharedVectorsTest {

  private static final HexFormat HEX = HexFormat.of();

  @Test
  void theSharedVectorsHold() throws Exception {
    Path file = Path.of(System.getProperty("fleetflags.vectors", "../testvectors/vectors.txt"));
    assumeTrue(Files.isRegularFile(file), () -> "no shared test vectors at " + file.toAbsolutePath()
        + " (-Dfleetflags.vectors=<path to clients/testvectors/vectors.txt>)");
    Map<String, FlagSet> after = new HashMap<>();
    int murmurs = 0;
    int entries = 0;
    int acks = 0;
    List<String> updates = new ArrayList<>();
    List<String[]> lines = read(file);
    for (int i = 0; i < lines.size(); i++) {
      String[] w = lines.get(i);
      switch (w[0]) {
        case "murmur" -> {
          assertEquals(w[2], StateHash.text(Murmur3.hash(bytes(w[1]))), () -> String.join(" ", w));
          murmurs++;
        }
        case "entry" -> {
          HeldFlag flag = flag(w[1], w[2], w[3]);
          assertEquals(w[4], HEX.formatHex(StateHash.entry(flag)), () -> String.join(" ", w));
          assertEquals(w[5], StateHash.text(StateHash.entryHash(flag)), () -> String.join(" ", w));
          entries++;
        }
        case "update" -> {
          String name = w[1];
          FlagSet held = w[2].equals("-") ? null : after.get(w[2]);
          assertTrue(w[2].equals("-") || held != null, () -> name + " applies to " + w[2] + ", not read before it");
          byte[] payload = null;
          long revision = -1;
          String hash = null;
          Set<String> flags = new TreeSet<>();
          for (i++; !lines.get(i)[0].equals("end"); i++) {
            String[] f = lines.get(i);
            switch (f[0]) {
              case "payload" -> payload = bytes(f[1]);
              case "revision" -> revision = Long.parseLong(f[1]);
              case "flag" -> flags.add(String.join(" ", f[1], f[2], f[3]));
              case "hash" -> hash = f[1];
              default -> throw new AssertionError("unknown line in update " + name + ": " + String.join(" ", f));
            }
          }
          FlagSet set = FlagSet.apply(held, payload).set();
          assertEquals(revision, set.revision(), name);
          assertEquals(hash, StateHash.text(set.stateHash()), name);
          assertEquals(flags, described(set), name);
          after.put(name, set);
          updates.add(name);
        }
        case "ack" -> {
          // ack <name> <revision> <state hash> <status> <rejected keys> <reason hex> <FlagAck hex>
          long revision = Long.parseUnsignedLong(w[2]);
          int hash = Integer.parseUnsignedInt(w[3], 16);
          String reason = new String(bytes(w[6]), StandardCharsets.UTF_8);
          byte[] ack = switch (w[4]) {
            case "APPLIED" -> Acks.applied(revision, hash);
            case "REJECTED" -> Acks.rejected(revision, hash, keys(w[5]), reason);
            case "FAILED" -> Acks.failed(revision, hash, reason);
            default -> throw new AssertionError("unknown status " + w[4]);
          };
          assertEquals(w[7], HEX.formatHex(ack), () -> "ack " + w[1]);
          acks++;
        }
        default -> throw new AssertionError("unknown record: " + String.join(" ", w));
      }
    }
    assertTrue(murmurs > 0 && entries > 0 && !updates.isEmpty() && acks > 0, "the file holds every kind of record");
    System.out.printf("shared vectors: %d murmur, %d entries, %d updates applied (%s), %d acks encoded%n", murmurs,
        entries, updates.size(), updates, acks);
  }

  private static List<String[]> read(Path file) throws IOException {
    List<String[]> lines = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank() && !line.startsWith("#")) {
        lines.add(line.strip().split(" "));
      }
    }
    return lines;
  }

  /** Rejected keys: UTF-8 hex separated by commas, "-" for none. */
  private static List<String> keys(String hexes) {
    return hexes.equals("-") ? List.of()
        : Arrays.stream(hexes.split(",")).map(h -> new String(bytes(h), StandardCharsets.UTF_8)).toList();
  }

  private static byte[] bytes(String hex) {
    return hex.equals("-") ? new byte[0] : HEX.parseHex(hex);
  }

  private static HeldFlag flag(String keyHex, String tag, String valueHex) {
    String key = new String(bytes(keyHex), StandardCharsets.UTF_8);
    byte[] v = bytes(valueHex);
    return switch (tag) {
      case "b" -> new HeldFlag(key, ValueType.BOOLEAN, v[0] != 0, null);
      case "i" -> new HeldFlag(key, ValueType.INTEGER, ByteBuffer.wrap(v).getLong(), null);
      case "d" -> new HeldFlag(key, ValueType.DOUBLE, ByteBuffer.wrap(v).getDouble(), null);
      case "s" -> new HeldFlag(key, ValueType.STRING, new String(v, StandardCharsets.UTF_8), null);
      case "j" -> new HeldFlag(key, ValueType.JSON, new String(v, StandardCharsets.UTF_8), null);
      default -> throw new AssertionError("unknown tag " + tag);
    };
  }

  /** The flags of a set as the vectors write them: key hex, tag, value hex. */
  private static Set<String> described(FlagSet set) {
    Set<String> flags = new TreeSet<>();
    for (HeldFlag f : set.flags().values()) {
      byte[] entry = StateHash.entry(f);
      byte[] key = f.key().getBytes(StandardCharsets.UTF_8);
      byte[] value = Arrays.copyOfRange(entry, key.length + 2, entry.length);
      flags.add(String.join(" ", HEX.formatHex(key), String.valueOf((char) entry[key.length + 1]),
          value.length == 0 ? "-" : HEX.formatHex(value)));
    }
    return flags;
  }
}
