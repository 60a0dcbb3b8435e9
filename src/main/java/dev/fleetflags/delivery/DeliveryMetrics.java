package dev.fleetflags.delivery;

/**
 * What delivery counts; the hivemq package backs this with the broker's MetricRegistry. Every
 * count is ignored unless overridden, so a test or benchmark records only what it looks at.
 */
public interface DeliveryMetrics {

  default void snapshot(int bytes) {}

  default void delta(int bytes) {}

  default void confirmed(int bytes) {}

  default void failed() {}

  /**
   * A device was given up on: its update could not be worked out or published, also when retried.
   * It gets its set when it resubscribes, asks for a resync, or a later change affects it.
   */
  default void deliveryFailed() {}

  /**
   * The broker held no subscription for a device whose own subscription it had acknowledged (a
   * reconnect raced the clean-up of its previous session): the device was asked to connect again.
   */
  default void subscriptionLost() {}

  /** An update went in {@code parts} updates, each within the device's maximum packet size. */
  default void split(int parts) {}

  /** {@code flags} values were left out of a device's update: they cannot fit its maximum packet size. */
  default void leftOut(int flags) {}

  /** A CONNECT user property was not made an attribute: over the length or count limit. */
  default void attributeIgnored() {}

  /** A fan-out finished: the queue drained after {@code messages} updates in {@code nanos}. */
  default void fanOutCompleted(long nanos, long messages) {}

  /** A device's ack was counted. */
  default void acknowledged(AckStatus status) {}

  /**
   * A device's ack was dropped: not a well-formed ack within its bounds, for a revision never sent
   * to it, or beyond its rate ({@code rateLimited}).
   */
  default void ackDropped(boolean rateLimited) {}

  DeliveryMetrics NONE = new DeliveryMetrics() {};
}
