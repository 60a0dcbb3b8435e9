package dev.fleetflags.delivery;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.Flag;
import java.io.IOException;
import java.util.Collection;
import java.util.List;

/**
 * Encodes {@code fleetflags.v1.FlagUpdate} messages: a device's whole set (snapshot), the flags
 * that changed (delta), or an empty delta that confirms the device is current. Variant names are
 * included only when configured: devices act on values, and the names would double a small delta.
 *
 * <p>Written field by field into one array of the exact size, as the generated code would write
 * the message (fields in number order, proto3 defaults left out, oneof values and the optional
 * state hash always written): building the message first costs a builder and a message per flag,
 * which was most of a fan-out's CPU per device once evaluation was cheap.
 */
public final class FlagUpdates {

  /**
   * The most an update takes besides its flags and removed keys: revision (tag and a varint of up
   * to 10 bytes), snapshot (2) and state hash (tag and 4 bytes).
   */
  static final int MAX_HEADER_BYTES = 11 + 2 + 5;

  private static final int FLAGS = 3;
  private static final int REMOVED = 4;
  private static final int STATE_HASH = 5;

  private final boolean includeVariants;

  public FlagUpdates(boolean includeVariants) {
    this.includeVariants = includeVariants;
  }

  /** Whether variant names are sent (and so a change of name alone is a change to deliver). */
  public boolean includesVariants() {
    return includeVariants;
  }

  /** Every flag the device has a value for. */
  public byte[] snapshot(long revision, Evaluation evaluation) {
    int size = header(revision, true);
    for (int i = 0; i < evaluation.size(); i++) {
      int variant = evaluation.variantIndex(i);
      if (variant >= 0) {
        size += size(evaluation.flag(i), variant);
      }
    }
    byte[] out = new byte[size];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      writeHeader(o, revision, true);
      for (int i = 0; i < evaluation.size(); i++) {
        int variant = evaluation.variantIndex(i);
        if (variant >= 0) {
          writeFlag(o, evaluation.flag(i), variant);
        }
      }
      o.writeFixed32(STATE_HASH, evaluation.stateHash());
    } catch (IOException e) {
      throw new IllegalStateException("an update outgrew the size computed for it", e);
    }
    o.checkNoSpaceLeft();
    return out;
  }

  /** The flags set or changed and the keys removed, with the device's resulting state hash. */
  public byte[] delta(long revision, Collection<FlagValue> changed, Collection<String> removed, int stateHash) {
    return update(revision, false, changed, removed, stateHash);
  }

  /** An empty delta: the device's set, with this hash, is current at this revision. */
  public byte[] current(long revision, int stateHash) {
    return update(revision, false, List.of(), List.of(), stateHash);
  }

  /** Any update: a snapshot of {@code flags}, or a delta setting them and removing {@code removed}. */
  byte[] update(long revision, boolean snapshot, Collection<FlagValue> flags, Collection<String> removed, int stateHash) {
    int size = header(revision, snapshot);
    for (FlagValue v : flags) {
      size += size(v.flag(), v.variant());
    }
    for (String key : removed) {
      size += removedSize(key);
    }
    byte[] out = new byte[size];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      writeHeader(o, revision, snapshot);
      for (FlagValue v : flags) {
        writeFlag(o, v.flag(), v.variant());
      }
      for (String key : removed) {
        o.writeString(REMOVED, key);
      }
      o.writeFixed32(STATE_HASH, stateHash);
    } catch (IOException e) {
      throw new IllegalStateException("an update outgrew the size computed for it", e);
    }
    o.checkNoSpaceLeft();
    return out;
  }

  /** The bytes one flag's value takes in an update. */
  int size(Flag flag, int variant) {
    int message = flagSize(flag, variant);
    return CodedOutputStream.computeTagSize(FLAGS) + CodedOutputStream.computeUInt32SizeNoTag(message) + message;
  }

  /** The bytes one removed key takes in an update. */
  static int removedSize(String key) {
    return CodedOutputStream.computeStringSize(REMOVED, key);
  }

  /** The bytes an update takes besides its flags and removed keys (state hash counted even if 0). */
  static int headerSize(long revision, boolean snapshot) {
    return CodedOutputStream.computeUInt64Size(1, revision) + (snapshot ? CodedOutputStream.computeBoolSize(2, true) : 0)
        + CodedOutputStream.computeFixed32Size(STATE_HASH, 0);
  }

  /** One flag's value for a device: the compiled flag and the index of its variant. */
  public record FlagValue(Flag flag, int variant) {}

  /** Revision and snapshot as proto3 writes them (left out when 0 and false), and the state hash. */
  private static int header(long revision, boolean snapshot) {
    return (revision == 0 ? 0 : CodedOutputStream.computeUInt64Size(1, revision))
        + (snapshot ? CodedOutputStream.computeBoolSize(2, true) : 0)
        + CodedOutputStream.computeFixed32Size(STATE_HASH, 0);
  }

  private static void writeHeader(CodedOutputStream o, long revision, boolean snapshot) throws IOException {
    if (revision != 0) {
      o.writeUInt64(1, revision);
    }
    if (snapshot) {
      o.writeBool(2, true);
    }
  }

  /** A {@code fleetflags.v1.Flag}: key, the value of its type (a oneof: always written), variant name. */
  private int flagSize(Flag flag, int variant) {
    int size = flag.key().isEmpty() ? 0 : CodedOutputStream.computeStringSize(1, flag.key());
    Object value = flag.variantValue(variant);
    size += switch (flag.type()) {
      case BOOLEAN -> CodedOutputStream.computeBoolSize(2, (Boolean) value);
      case INTEGER -> CodedOutputStream.computeSInt64Size(3, (Long) value);
      case FLOAT -> CodedOutputStream.computeDoubleSize(4, (Double) value);
      case STRING -> CodedOutputStream.computeStringSize(5, (String) value);
      case OBJECT -> CodedOutputStream.computeByteArraySize(6, flag.variantJson(variant));
    };
    if (includeVariants && !flag.variantName(variant).isEmpty()) {
      size += CodedOutputStream.computeStringSize(7, flag.variantName(variant));
    }
    return size;
  }

  private void writeFlag(CodedOutputStream o, Flag flag, int variant) throws IOException {
    o.writeTag(FLAGS, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    o.writeUInt32NoTag(flagSize(flag, variant));
    if (!flag.key().isEmpty()) {
      o.writeString(1, flag.key());
    }
    Object value = flag.variantValue(variant);
    switch (flag.type()) {
      case BOOLEAN -> o.writeBool(2, (Boolean) value);
      case INTEGER -> o.writeSInt64(3, (Long) value);
      case FLOAT -> o.writeDouble(4, (Double) value);
      case STRING -> o.writeString(5, (String) value);
      case OBJECT -> o.writeByteArray(6, flag.variantJson(variant));
    }
    if (includeVariants && !flag.variantName(variant).isEmpty()) {
      o.writeString(7, flag.variantName(variant));
    }
  }
}
