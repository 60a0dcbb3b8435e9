package dev.fleetflags.delivery;

import java.util.concurrent.CompletableFuture;

/** Hands a {@code FlagUpdate} to the broker for one device's flag topic, QoS 1. */
@FunctionalInterface
public interface DevicePublisher {

  /**
   * Publishes {@code payload} to the device's flag topic; completes with true once the broker has
   * taken it for the device's session, false if the device has no subscription to the topic.
   */
  CompletableFuture<Boolean> publish(String clientId, byte[] payload);

  /**
   * Subscribes the device to its flag topic again, as it had (QoS 1), on the broker's side: the
   * broker acknowledged its subscription but holds none for it any more. Completes with whether
   * the broker holds one now; the device itself notices nothing.
   */
  default CompletableFuture<Boolean> restoreSubscription(String clientId) {
    return CompletableFuture.completedFuture(false);
  }

  /**
   * Whether the broker holds the device's subscription to its flag topic now. Asked when a
   * connection's start is reported after a SUBACK of its client id that no indexed connection
   * could take (see {@link FlagDelivery#connected}).
   */
  default CompletableFuture<Boolean> holdsSubscription(String clientId) {
    return CompletableFuture.completedFuture(false);
  }

  /**
   * Asks the device to connect again, the broker closing its connection with {@code reason}: the
   * broker acknowledged its subscription to its flag topic but holds none for it any more, even
   * after {@link #restoreSubscription}, so it would wait for updates forever. A device connects
   * again and subscribes (the device protocol).
   */
  default void reconnect(String clientId, String reason) {}
}
