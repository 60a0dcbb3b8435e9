package dev.fleetflags.delivery;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** A compliance tracker whose answers the test sets. */
public record FedCompliance(FleetCompliance.RevisionCompliance revision, List<FleetCompliance.Departure> departed, int departedSince,
    int connected) implements FleetCompliance {

  @Override
  public List<RevisionCompliance> revisions() {
    return List.of(revision);
  }

  @Override
  public @Nullable RevisionCompliance revision(long r) {
    return r == revision.revision() ? revision : null;
  }

  @Override
  public @Nullable RevisionCompliance latest() {
    return revision;
  }

  @Override
  public List<RevisionCompliance> forFlag(String key) {
    return List.of(revision);
  }

  @Override
  public List<Departure> departedAfterApplying(long r) {
    return departed;
  }

  @Override
  public int departedSince(Instant since) {
    return departedSince;
  }

  @Override
  public int connectedDevices() {
    return connected;
  }

  @Override
  public CompletableFuture<FlagHoldings> holdings(String key) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException());
  }

  @Override
  public Clock clock() {
    return Clock.systemUTC();
  }
}
