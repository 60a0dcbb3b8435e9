package dev.fleetflags.replication;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Where FleetFlags' state lives in etcd, below the key prefix {@code P}:
 *
 * <ul>
 *   <li>{@code P/head}: written by every change, so its mod revision is the revision of the state
 *       (a write is guarded on it);
 *   <li>{@code P/flags/<key>}, {@code P/evaluators/<name>}: flagd JSON of one flag or evaluator;
 *   <li>{@code P/metadata}: the document metadata;
 *   <li>{@code P/devices/<id>}: one device's registry attributes;
 *   <li>{@code P/plans/<id>}: one rollout's or scheduled change's state;
 *   <li>{@code P/history/<R>}: the audit entry of the change made to the state at revision R (20
 *       digits, so keys sort by revision). Only one write can be based on R, and the entry's own
 *       revision is its mod revision: its key needs nothing the transaction does not know yet.
 * </ul>
 *
 * Values are UTF-8 JSON.
 */
final class EtcdLayout {

  static final String HEAD = "head";
  static final String FLAGS = "flags/";
  static final String EVALUATORS = "evaluators/";
  static final String METADATA = "metadata";
  static final String DEVICES = "devices/";
  static final String HISTORY = "history/";
  static final String PLANS = "plans/";

  private final String prefix;

  /** @param prefix the key prefix, e.g. {@code /fleetflags} */
  EtcdLayout(String prefix) {
    this.prefix = prefix + "/";
  }

  /** Every key of the state starts with this. */
  ByteSequence all() {
    return bytes(prefix);
  }

  /** The first key after every key of the state. */
  ByteSequence end() {
    return bytes(prefix.substring(0, prefix.length() - 1) + "0"); // '0' follows '/'
  }

  ByteSequence key(String kind, String name) {
    return bytes(prefix + kind + name);
  }

  ByteSequence head() {
    return key(HEAD, "");
  }

  ByteSequence history(long basedOn) {
    return key(HISTORY, historyName(basedOn));
  }

  static String historyName(long basedOn) {
    return String.format("%020d", basedOn);
  }

  /** A key of the state as kind and name, e.g. ({@code flags/}, {@code ota}); null if not one. */
  @Nullable Key parse(ByteSequence key) {
    String k = key.toString(StandardCharsets.UTF_8);
    if (!k.startsWith(prefix)) {
      return null;
    }
    String rest = k.substring(prefix.length());
    for (String kind : new String[] {FLAGS, EVALUATORS, DEVICES, HISTORY, PLANS}) {
      if (rest.startsWith(kind) && rest.length() > kind.length()) {
        return new Key(kind, rest.substring(kind.length()));
      }
    }
    if (rest.equals(HEAD) || rest.equals(METADATA)) {
      return new Key(rest, "");
    }
    return null;
  }

  record Key(String kind, String name) {}

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
