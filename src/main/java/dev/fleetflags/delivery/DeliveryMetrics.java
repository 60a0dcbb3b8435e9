package dev.fleetflags.delivery;

/** What delivery counts; the hivemq package backs this with the broker's MetricRegistry. */
public interface DeliveryMetrics {

  void snapshot(int bytes);

  void delta(int bytes);

  void confirmed(int bytes);

  void failed();

  void rejected();

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
    public void rejected() {}
  };
}
