package dev.fleetflags.device;

import static dev.fleetflags.device.Updates.flag;
import static dev.fleetflags.device.Updates.json;
import static dev.fleetflags.device.Updates.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.fleetflags.proto.v1.FlagUpdate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SavedSetTest {

  @TempDir Path dir;

  @Test
  void whatIsWrittenIsReadBackAndReplacedWhole() throws Exception {
    SavedSet saved = new SavedSet(dir.resolve("sub/flags.pb"));
    assertNull(saved.read());
    FlagSet first = FlagSet.apply(null, snapshot(3, flag("ota", true, "on"), json("cfg", "{\"a\":1}")).toByteArray()).set();
    saved.write(first);
    FlagSet second = FlagSet.apply(null, snapshot(4, flag("mode", "eco")).toByteArray()).set();
    saved.write(second);
    FlagSet back = saved.read();
    assertNotNull(back);
    assertEquals(second.flags(), back.flags());
    assertEquals(4, back.revision());
    assertEquals(second.stateHash(), back.stateHash());
    assertFalse(Files.exists(dir.resolve("sub/flags.pb.tmp")), "the temporary file is renamed, not left");
    // the file is a FlagUpdate snapshot, for any protobuf tool
    assertEquals(second.toSnapshot(), FlagUpdate.parseFrom(Files.readAllBytes(saved.file())));
  }

  @Test
  void aDamagedFileIsIgnored() throws Exception {
    Path file = dir.resolve("flags.pb");
    SavedSet saved = new SavedSet(file);
    byte[] good = snapshot(9, flag("ota", true), flag("level", 3L)).toByteArray();
    List<byte[]> damaged = List.of(
        Arrays.copyOf(good, good.length - 1), // truncated
        Arrays.copyOf(good, good.length / 2),
        "not protobuf at all".getBytes(),
        new byte[0], // no snapshot
        snapshot(9, flag("ota", true)).toBuilder().setStateHash(1).build().toByteArray(),
        snapshot(9, flag("ota", true)).toBuilder().setSnapshot(false).build().toByteArray());
    for (byte[] bytes : damaged) {
      Files.write(file, bytes);
      assertNull(saved.read(), () -> Arrays.toString(bytes));
    }
    Files.write(file, good);
    assertNotNull(saved.read());
    Files.delete(file);
    Files.createDirectory(file);
    assertNull(saved.read(), "a folder where the file should be");
  }
}
