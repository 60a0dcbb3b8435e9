package dev.fleetflags.delivery;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.fleetflags.eval.Evaluation;
import dev.fleetflags.eval.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.util.Collection;

/**
 * Encodes {@code fleetflags.v1.FlagUpdate} messages: a device's whole set (snapshot), the flags
 * that changed (delta), or an empty delta that confirms the device is current. Variant names are
 * included only when configured: devices act on values, and the names would double a small delta.
 */
public final class FlagUpdates {

  /**
   * The most an update takes besides its flags and removed keys: revision (tag and a varint of up
   * to 10 bytes), snapshot (2) and state hash (tag and 4 bytes).
   */
  static final int MAX_HEADER_BYTES = 11 + 2 + 5;

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
    FlagUpdate.Builder update = FlagUpdate.newBuilder().setRevision(revision).setSnapshot(true);
    for (int i = 0; i < evaluation.size(); i++) {
      int variant = evaluation.variantIndex(i);
      if (variant >= 0) {
        update.addFlags(flag(evaluation.flag(i), variant));
      }
    }
    return update.setStateHash(evaluation.stateHash()).build().toByteArray();
  }

  /** The flags set or changed and the keys removed, with the device's resulting state hash. */
  public byte[] delta(long revision, Collection<FlagValue> changed, Collection<String> removed, int stateHash) {
    FlagUpdate.Builder update = FlagUpdate.newBuilder().setRevision(revision);
    for (FlagValue v : changed) {
      update.addFlags(flag(v.flag(), v.variant()));
    }
    update.addAllRemoved(removed);
    return update.setStateHash(stateHash).build().toByteArray();
  }

  /** An empty delta: the device's set, with this hash, is current at this revision. */
  public byte[] current(long revision, int stateHash) {
    return FlagUpdate.newBuilder().setRevision(revision).setStateHash(stateHash).build().toByteArray();
  }

  /** Any update: a snapshot of {@code flags}, or a delta setting them and removing {@code removed}. */
  byte[] update(long revision, boolean snapshot, Collection<FlagValue> flags, Collection<String> removed, int stateHash) {
    FlagUpdate.Builder update = FlagUpdate.newBuilder().setRevision(revision).setSnapshot(snapshot);
    for (FlagValue v : flags) {
      update.addFlags(flag(v.flag(), v.variant()));
    }
    update.addAllRemoved(removed);
    return update.setStateHash(stateHash).build().toByteArray();
  }

  /** The bytes one flag's value takes in an update. */
  int size(Flag flag, int variant) {
    return CodedOutputStream.computeMessageSize(3, flag(flag, variant));
  }

  /** The bytes one removed key takes in an update. */
  static int removedSize(String key) {
    return CodedOutputStream.computeStringSize(4, key);
  }

  /** The bytes an update takes besides its flags and removed keys (state hash counted even if 0). */
  static int headerSize(long revision, boolean snapshot) {
    return CodedOutputStream.computeUInt64Size(1, revision) + (snapshot ? CodedOutputStream.computeBoolSize(2, true) : 0)
        + CodedOutputStream.computeFixed32Size(5, 0);
  }

  /** One flag's value for a device: the compiled flag and the index of its variant. */
  public record FlagValue(Flag flag, int variant) {}

  private dev.fleetflags.proto.v1.Flag flag(Flag flag, int variant) {
    dev.fleetflags.proto.v1.Flag.Builder b = dev.fleetflags.proto.v1.Flag.newBuilder().setKey(flag.key());
    Object value = flag.variantValue(variant);
    switch (flag.type()) {
      case BOOLEAN -> b.setBool((Boolean) value);
      case INTEGER -> b.setInt((Long) value);
      case FLOAT -> b.setDouble((Double) value);
      case STRING -> b.setString((String) value);
      case OBJECT -> b.setJson(ByteString.copyFrom(flag.variantJson(variant)));
    }
    if (includeVariants) {
      b.setVariant(flag.variantName(variant));
    }
    return b.build();
  }
}
