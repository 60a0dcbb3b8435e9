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

  /** A CONNECT user property was not made an attribute: over the length or count limit. */
  default void attributeIgnored() {}

  /** A fan-out finished: the queue drained after {@code messages} updates in {@code nanos}. */
  default void fanOutCompleted(long nanos, long messages) {}

  DeliveryMetrics NONE = new DeliveryMetrics() {};
}
