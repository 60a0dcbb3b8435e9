package dev.fleetflags.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.delivery.FedCompliance;
import dev.fleetflags.delivery.FleetCompliance;
import dev.fleetflags.etcd.EtcdCluster;
import dev.fleetflags.rollout.FleetFigures;
import dev.fleetflags.rollout.WaveFigures;
import io.etcd.jetcd.Client;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several brokers on a real etcd (one member of the {@code etcd} binary): exactly one drives the
 * rollouts, another takes over when it stops, and the driver's figures of a wave are every
 * broker's summed.
 */
class ClusterDrivingTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static EtcdCluster etcd;
  private final List<AutoCloseable> opened = new ArrayList<>();

  @BeforeAll
  static void startEtcd(@TempDir Path base) {
    String missing = EtcdCluster.unavailableReason();
    Assumptions.assumeTrue(missing == null, missing);
    etcd = EtcdCluster.start(1, base);
  }

  @AfterAll
  static void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  @AfterEach
  void close() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
  }

  private ClusterDriving broker(String prefix, String name, FleetCompliance compliance) {
    Client client = Client.builder().endpoints(etcd.endpoint(0)).build();
    opened.add(client);
    ClusterDriving driving = new ClusterDriving(client, prefix, name, compliance, Duration.ofSeconds(2), Clock.systemUTC());
    opened.add(driving);
    driving.start();
    return driving;
  }

  private static FleetCompliance fed(long revision, long targeted, long applied, long failed, int connected) {
    return new FedCompliance(new FleetCompliance.RevisionCompliance(revision, Instant.now(), Set.of("ota"), Set.of(), targeted, 0,
        applied, 0, failed, 0, 0, Map.of()), List.of(), 0, connected);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waited " + WAIT + " for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void exactlyOneBrokerDrivesAndAnotherTakesOverWhenItStops(TestInfo test) throws Exception {
    String prefix = "/" + test.getTestMethod().orElseThrow().getName();
    ClusterDriving a = broker(prefix, "a", fed(1, 0, 0, 0, 0));
    ClusterDriving b = broker(prefix, "b", fed(1, 0, 0, 0, 0));
    ClusterDriving c = broker(prefix, "c", fed(1, 0, 0, 0, 0));
    List<ClusterDriving> all = List.of(a, b, c);
    await(() -> all.stream().filter(ClusterDriving::drives).count() == 1, "one driver");
    for (int i = 0; i < 20; i++) {
      assertEquals(1, all.stream().filter(ClusterDriving::drives).count(), "never two");
      Thread.sleep(50);
    }
    ClusterDriving first = all.stream().filter(ClusterDriving::drives).findFirst().orElseThrow();
    first.close();
    assertFalse(first.drives());
    List<ClusterDriving> rest = all.stream().filter(d -> d != first).toList();
    await(() -> rest.stream().filter(ClusterDriving::drives).count() == 1, "another driver once the first gave its lease back");
  }

  @Test
  void theDriversFiguresAreEveryBrokersSummed(TestInfo test) throws Exception {
    String prefix = "/" + test.getTestMethod().orElseThrow().getName();
    ClusterDriving a = broker(prefix, "a", fed(42, 100, 90, 1, 1_000));
    ClusterDriving b = broker(prefix, "b", fed(42, 50, 40, 2, 500));
    ClusterDriving c = broker(prefix, "c", fed(41, 7, 7, 0, 300));
    FleetFigures.Watched wave = new FleetFigures.Watched(42, 0, 0);
    await(() -> a.drives() || b.drives() || c.drives(), "a driver");
    WaveFigures expected = new WaveFigures(150, 130, 0, 3, 0, 1_800, 0);
    await(() -> {
      for (ClusterDriving d : List.of(a, b, c)) {
        d.share(List.of(wave));
      }
      ClusterDriving driver = List.of(a, b, c).stream().filter(ClusterDriving::drives).findFirst().orElse(a);
      return driver.figures(wave).equals(expected);
    }, "the driver to see " + expected);
    assertTrue(a.figures(new FleetFigures.Watched(7, 0, 0)).targeted() == 0, "a revision nobody tracks targeted nobody");
  }
}
