package dev.fleetflags.mqtt;

import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One device's link to the broker over an MQTT client. The provider drives it from one thread;
 * what happens on the connection comes back through the {@link Listener}, on the client's threads.
 */
public interface BrokerLink {

  /** What happens on the connection. Called on the MQTT client's threads: hand off, quickly. */
  interface Listener {

    /** A connection is up (CONNACK received): present the hash if not done, then subscribe. */
    void connected();

    /** The connection that was up is gone. */
    void disconnected(Throwable cause);

    /** A message arrived on the device's flag topic. */
    void received(byte[] payload);
  }

  /** Starts reporting to the listener; whether the client is connected already. */
  boolean start(Listener listener);

  /** Whether the link connects and reconnects itself, or the application does. */
  boolean ownsConnection();

  /**
   * Connects (only if it {@link #ownsConnection() owns} the connection). Completes once the broker
   * accepted it, exceptionally if it did not; success is also reported to {@link Listener#connected}.
   *
   * @param stateHash the hash to present in the CONNECT, or null; used only if {@link
   *     #presentsHashOnConnect()}
   */
  CompletableFuture<?> connect(@Nullable String stateHash);

  /**
   * Whether {@link #connect} presents the state hash in the CONNECT (MQTT 5 user property); if not,
   * the device publishes it to its resync topic before subscribing.
   */
  boolean presentsHashOnConnect();

  /** Publishes to the device's resync topic, QoS 1: a state hash as text, or nothing. */
  CompletableFuture<?> resync(String payload);

  /** Publishes an encoded {@code FlagAck} to the device's ack topic, QoS 1, not retained. */
  CompletableFuture<?> ack(byte[] payload);

  /** Subscribes to the device's flag topic, QoS 1; completes with whether the broker granted it. */
  CompletableFuture<Boolean> subscribe();

  /** Stops reporting; disconnects if it owns the connection. */
  void close();
}
