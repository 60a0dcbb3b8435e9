package dev.fleetflags.openfeature;

import dev.fleetflags.mqtt.BrokerLink;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fleetflags.proto.v1.FlagAck;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.io.IOException;
import java.net.ConnectException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * A broker link the test plays the broker's part of: it records what the provider asks (connect
 * with a hash, resync, subscribe) and delivers what the test says, so the provider's protocol and
 * events can be checked step by step without a broker. The real link is tested end to end.
 */
final class ScriptedLink implements BrokerLink {

  private final boolean owns;
  private final boolean presents;
  private final List<String> asked = new CopyOnWriteArrayList<>();
  private volatile @Nullable Listener listener;
  private volatile boolean reachable;
  private volatile boolean up;

  /**
   * @param owns whether the provider connects (else: the application's client)
   * @param presents whether the CONNECT carries the hash (MQTT 5)
   */
  ScriptedLink(boolean owns, boolean presents) {
    this.owns = owns;
    this.presents = presents;
  }

  /** Whether the provider's next connect succeeds. */
  void reachable(boolean reachable) {
    this.reachable = reachable;
  }

  /**
   * What the provider asked, in order: {@code connect <hash>}, {@code resync <payload>}, {@code
   * subscribe}, {@code ack ...} (see {@link #ack}).
   */
  List<String> asked() {
    return List.copyOf(asked);
  }

  void deliver(FlagUpdate update) {
    deliver(update.toByteArray());
  }

  void deliver(byte[] payload) {
    Objects.requireNonNull(listener).received(payload);
  }

  /** The connection drops (the provider reconnects if it owns it). */
  void drop() {
    up = false;
    Objects.requireNonNull(listener).disconnected(new IOException("connection reset"));
  }

  /** The application's client connected. */
  void applicationConnected() {
    up = true;
    Objects.requireNonNull(listener).connected();
  }

  @Override
  public boolean start(Listener listener) {
    this.listener = listener;
    return up;
  }

  @Override
  public boolean ownsConnection() {
    return owns;
  }

  @Override
  public CompletableFuture<?> connect(@Nullable String stateHash) {
    asked.add("connect " + stateHash);
    if (!reachable) {
      return CompletableFuture.failedFuture(new ConnectException("Connection refused"));
    }
    up = true;
    Objects.requireNonNull(listener).connected();
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public boolean presentsHashOnConnect() {
    return presents;
  }

  @Override
  public CompletableFuture<?> resync(String payload) {
    asked.add("resync " + payload);
    return CompletableFuture.completedFuture(null);
  }

  /** An ack as {@code ack <status> <revision> <state hash> <rejected keys> <reason>}. */
  @Override
  public CompletableFuture<?> ack(byte[] payload) {
    try {
      FlagAck ack = FlagAck.parseFrom(payload);
      asked.add(String.join(" ", "ack", ack.getStatus().name(), Long.toString(ack.getRevision()),
          String.format("%08x", ack.getStateHash()), ack.getRejectedKeysList().toString(), ack.getReason()).strip());
    } catch (InvalidProtocolBufferException e) {
      asked.add("ack that is no FlagAck: " + e.getMessage());
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Boolean> subscribe() {
    asked.add("subscribe");
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public void close() {
    asked.add("close");
  }
}
