package dev.fleetflags.mqtt;

import io.reactivex.Flowable;
import java.util.concurrent.CompletableFuture;
import io.reactivex.disposables.Disposable;
import org.jspecify.annotations.Nullable;

/**
 * What the MQTT 5 and 3.1.1 links share: the connection state as the client's listeners report it,
 * and one listener on everything the client receives that keeps what arrives on the flag topic.
 * That listener is the client's global publish flow, not a callback on the subscription: a client
 * that re-subscribes by itself after a reconnect (the application's, with automatic reconnect)
 * would otherwise deliver each update twice. The client ends global flows with its session; a new
 * one is opened before each connect and on each connection.
 */
abstract sealed class MqttLink implements BrokerLink permits Mqtt5Link, Mqtt3Link {

  final DeviceTopics topics;
  private final boolean owned;
  private final ClientEvents events;
  private volatile @Nullable Listener listener;
  /** Whether a connection is up as far as the client's listeners said. */
  private volatile boolean up;
  private volatile boolean closed;

  private @Nullable Disposable flow;

  MqttLink(DeviceTopics topics, boolean owned, ClientEvents events) {
    this.topics = topics;
    this.owned = owned;
    this.events = events;
  }

  @Override
  public boolean start(Listener listener) {
    this.listener = listener;
    events.attach(this);
    listen();
    up = isConnected();
    return up;
  }

  @Override
  public boolean ownsConnection() {
    return owned;
  }

  /** A connection is up (the client's connected listener). */
  final void up() {
    if (closed) {
      if (owned) {
        disconnect(); // a connect still in flight when the link closed
      }
      return;
    }
    up = true;
    listen();
    Listener l = listener;
    if (l != null) {
      l.connected();
    }
  }

  /** The client lost its connection or failed to connect (the disconnected listener). */
  final void down(Throwable cause) {
    if (!up) {
      return; // a failed attempt: the connect future says so
    }
    up = false;
    Listener l = listener;
    if (l != null) {
      l.disconnected(cause);
    }
  }

  /** Opens the flow of flag-topic messages unless one is open. */
  final synchronized void listen() {
    if (listener == null || (flow != null && !flow.isDisposed())) {
      return;
    }
    flow = flagTopicPayloads().subscribe(
        payload -> {
          Listener l = listener;
          if (l != null) {
            l.received(payload);
          }
        },
        ended -> {
          // The session ended: the next connection opens a new flow.
        });
  }

  /** The payloads of everything the client receives on the flag topic. */
  abstract Flowable<byte[]> flagTopicPayloads();

  abstract boolean isConnected();

  /** Disconnects an owned client; completes when done (or when there was nothing to end). */
  abstract CompletableFuture<?> disconnect();

  /** Unsubscribes the flag topic on the application's client, which stays connected. */
  abstract CompletableFuture<?> unsubscribe();

  /**
   * Stops reporting and ends the link: an owned client disconnects, the application's client
   * unsubscribes from the flag topic. The flow stays open until then, so that what still arrives
   * is taken (and dropped) rather than warned about by the client.
   */
  @Override
  public void close() {
    closed = true;
    listener = null;
    events.detach(this);
    CompletableFuture<?> ended = owned ? disconnect() : isConnected() ? unsubscribe() : CompletableFuture.completedFuture(null);
    ended.whenComplete((done, failure) -> {
      synchronized (this) {
        if (flow != null) {
          flow.dispose();
          flow = null;
        }
      }
    });
  }
}
