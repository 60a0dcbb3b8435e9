package dev.fleetflags.device;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy of its flag set a device keeps in a file, to start from it after a restart while the
 * broker is out of reach. The file holds the set as a snapshot {@code FlagUpdate} (revision, flags
 * with their variants, state hash), so {@code protoc --decode fleetflags.v1.FlagUpdate} reads it.
 * It is written whole beside the file, forced to the device, then renamed over it: a crash leaves
 * the old file or the new one, never a mix. A file that cannot be read, is not a snapshot, or whose
 * flags do not hash to its state hash is ignored with a log line.
 */
public final class SavedSet {

  private static final Logger LOG = LoggerFactory.getLogger(SavedSet.class);

  private final Path file;
  private final Path temporary;

  public SavedSet(Path file) {
    this.file = file.toAbsolutePath();
    this.temporary = this.file.resolveSibling(this.file.getFileName() + ".tmp");
  }

  public Path file() {
    return file;
  }

  /** The saved set, or null if there is none or it is damaged (logged). */
  public @Nullable FlagSet read() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException absent) {
      return null;
    } catch (IOException e) {
      LOG.warn("FleetFlags: cannot read the saved flag set {}, starting without it: {}", file, e.toString());
      return null;
    }
    try {
      return FlagSet.fromSnapshot(FlagUpdate.parseFrom(bytes));
    } catch (InvalidProtocolBufferException | UpdateRefused e) {
      LOG.warn("FleetFlags: ignoring the saved flag set {}, it is damaged: {}", file, e.getMessage());
      return null;
    }
  }

  /** Replaces the saved set with this one, atomically. */
  public void write(FlagSet set) throws IOException {
    Files.createDirectories(file.getParent());
    try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bytes = ByteBuffer.wrap(set.toSnapshot().toByteArray());
      while (bytes.hasRemaining()) {
        out.write(bytes);
      }
      out.force(true);
    }
    try {
      Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
