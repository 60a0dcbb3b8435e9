package dev.fleetflags.delivery;

/** What delivery counts; the hivemq package backs this with the broker's MetricRegistry. */
public interface DeliveryMetrics {

  void snapshot(int bytes);

  void delta(int bytes);

  void confirmed(int bytes);

  void failed();

  /** A fan-out finished: the queue drained after {@code messages} updates in {@code nanos}. */
  void fanOutCompleted(long nanos, long messages);

  DeliveryMetrics NONE = new DeliveryMetrics() {
    @Override
    public void snapshot(int bytes) {}

    @Override
    public void delta(int bytes) {}

    @Override
    public void confirmed(int bytes) {}

    @Override
    public void failed() {}

    @Override
    public void fanOutCompleted(long nanos, long messages) {}
  };
}
