package dev.fleetflags.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import io.reactivex.Flowable;
import io.reactivex.disposables.Disposable;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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

  /** A message as either protocol's client received it. */
  record Message(String topic, byte[] payload) {}

  final DeviceTopics topics;
  private final MqttClient client;
  private final boolean owned;
  private final ClientEvents events;
  private volatile @Nullable Listener listener;
  /** Whether a connection is up as far as the client's listeners said. */
  private volatile boolean up;
  private volatile boolean closed;

  private @Nullable Disposable flow;

  MqttLink(MqttClient client, DeviceTopics topics, boolean owned, ClientEvents events) {
    this.client = client;
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

  @Override
  public CompletableFuture<?> resync(String payload) {
    return publish(topics.resyncTopic(), payload.getBytes(StandardCharsets.US_ASCII));
  }

  @Override
  public CompletableFuture<?> ack(byte[] payload) {
    return publish(topics.ackTopic(), payload);
  }

  @Override
  public CompletableFuture<Boolean> subscribe() {
    return subscribeFlagTopic().handle((granted, failure) -> {
      if (failure == null) {
        return granted;
      }
      Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
      if (cause instanceof Mqtt5SubAckException || cause instanceof Mqtt3SubAckException) {
        return false; // the broker refused it
      }
      throw new CompletionException(cause);
    });
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
    flow = received().filter(m -> m.topic().equals(topics.flagTopic())).subscribe(
        m -> {
          Listener l = listener;
          if (l != null) {
            l.received(m.payload());
          }
        },
        ended -> {
          // The session ended: the next connection opens a new flow.
        });
  }

  /** Everything the client receives (its global publish flow). */
  abstract Flowable<Message> received();

  /** Publishes with QoS 1. */
  abstract CompletableFuture<?> publish(String topic, byte[] payload);

  /** Subscribes to the flag topic with QoS 1: whether granted (or a SUBACK exception). */
  abstract CompletableFuture<Boolean> subscribeFlagTopic();

  final boolean isConnected() {
    return client.getState().isConnected();
  }

  /** Disconnects an owned client; completes when done (or when there was nothing to end). */
  abstract CompletableFuture<?> disconnect();

  /** Unsubscribes the flag topic on the application's client, which stays connected. */
  abstract CompletableFuture<?> unsubscribe();

  /**
   * Stops reporting and ends the link: an owned client disconnects, the application's client
   * unsubscribes from the flag topic. The flow stays open until then, so that what still arrives
   * is taken (and dropped) rather than warned about by the client. An owned client's disconnect
   * ends the flow with its session (its error handler takes that): disposing of it as well would
   * race the session's end, whose error then reaches RxJava's global handler (a stack trace, or
   * worse, in the application).
   */
  @Override
  public void close() {
    closed = true;
    listener = null;
    events.detach(this);
    if (owned && isConnected()) {
      disconnect();
      return;
    }
    CompletableFuture<?> ended =
        owned ? disconnect() : isConnected() ? unsubscribe() : CompletableFuture.completedFuture(null);
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
