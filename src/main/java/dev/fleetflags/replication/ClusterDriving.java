package dev.fleetflags.replication;

import dev.fleetflags.delivery.FleetCompliance;
import dev.fleetflags.rollout.FleetFigures;
import dev.fleetflags.rollout.Leadership;
import dev.fleetflags.rollout.WaveFigures;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which broker drives the rollouts and scheduled changes, and the whole fleet's figures for the
 * gates, through etcd, with several brokers:
 *
 * <ul>
 *   <li><b>One driver.</b> Every broker holds a lease of {@value #LEASE_SECONDS} s, kept alive every
 *       second. The key {@code <prefix>-live/driver} is created, with its creator's lease, by
 *       whichever broker finds it absent; that broker drives until its lease ends (it stops, or
 *       loses etcd for longer than the lease), when the key goes with it and another takes over. A
 *       broker that has not renewed its lease for half its time stops driving at once, so two
 *       never drive together; every write a driver makes is guarded on the revision it decided on
 *       besides.
 *   <li><b>The whole fleet's figures.</b> Every broker publishes its own figures of the waves being
 *       watched to {@code <prefix>-live/figures/<broker>}, under its lease, at every check; the
 *       driver adds the others' latest to its own. A broker that stops takes its figures with it.
 * </ul>
 *
 * These keys are outside the prefix the brokers watch (and hold no flag state): they change every
 * second and would otherwise wake every broker's watch.
 */
public final class ClusterDriving implements Leadership, FleetFigures, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ClusterDriving.class);
  static final long LEASE_SECONDS = 5;
  private static final Duration RENEW_EVERY = Duration.ofSeconds(1);
  private static final Limits READ = new Limits(Integer.MAX_VALUE, 64, Integer.MAX_VALUE, 1000, 256, 1000);

  private final Client client;
  private final KV kv;
  private final String broker;
  private final FleetCompliance compliance;
  private final Duration timeout;
  private final Clock clock;
  private final ByteSequence driverKey;
  private final String figuresPrefix;
  private final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "fleetflags-cluster-driving");
    t.setDaemon(true);
    return t;
  });

  // The renewer's, read anywhere.
  private volatile long lease;
  private volatile boolean driver;
  private volatile long renewedAtMillis;

  ClusterDriving(Client client, String keyPrefix, String broker, FleetCompliance compliance, Duration timeout, Clock clock) {
    this.client = client;
    this.kv = client.getKVClient();
    this.broker = broker;
    this.compliance = compliance;
    this.timeout = timeout;
    this.clock = clock;
    this.driverKey = EtcdLayout.bytes(keyPrefix + "-live/driver");
    this.figuresPrefix = keyPrefix + "-live/figures/";
  }

  /** Starts renewing the lease and contending for the driver's key, every second. */
  public void start() {
    renewer.scheduleWithFixedDelay(this::renew, 0, RENEW_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** This broker's name among the others. */
  public String broker() {
    return broker;
  }

  @Override
  public boolean drives() {
    return driver && clock.millis() - renewedAtMillis < LEASE_SECONDS * 1000 / 2;
  }

  private void renew() {
    try {
      if (lease == 0) {
        lease = await(client.getLeaseClient().grant(LEASE_SECONDS)).getID();
      } else {
        try {
          await(client.getLeaseClient().keepAliveOnce(lease));
        } catch (ReplicationFailure e) {
          if (driver) {
            log.warn("This broker's lease in the cluster store ended ({}): it no longer drives rollouts and scheduled changes",
                e.getMessage());
          }
          driver = false;
          lease = await(client.getLeaseClient().grant(LEASE_SECONDS)).getID();
        }
      }
      renewedAtMillis = clock.millis();
      ByteSequence me = EtcdLayout.bytes(broker);
      TxnResponse txn = await(kv.txn()
          .If(new Cmp(driverKey, Cmp.Op.EQUAL, CmpTarget.version(0)))
          .Then(Op.put(driverKey, me, PutOption.builder().withLeaseId(lease).build()))
          .Else(Op.get(driverKey, GetOption.DEFAULT))
          .commit());
      boolean drives = txn.isSucceeded();
      if (!drives) {
        List<KeyValue> holder = txn.getGetResponses().get(0).getKvs();
        drives = !holder.isEmpty() && holder.get(0).getLease() == lease && holder.get(0).getValue().equals(me);
      }
      if (drives != driver) {
        log.info(drives ? "This broker ({}) drives the rollouts and scheduled changes of the cluster"
            : "This broker ({}) no longer drives the rollouts and scheduled changes: another does", broker);
      }
      driver = drives;
    } catch (ReplicationFailure e) {
      log.debug("Renewing this broker's lease in the cluster store failed: {}", e.getMessage());
    } catch (RuntimeException e) {
      log.warn("Renewing this broker's lease in the cluster store failed", e);
    }
  }

  // --- figures ---------------------------------------------------------------------------------

  @Override
  public void share(Collection<Watched> waves) {
    long held = lease;
    if (waves.isEmpty() || held == 0) {
      return;
    }
    Map<String, Object> json = new LinkedHashMap<>();
    for (Watched w : waves) {
      json.put(Long.toString(w.revision()), FleetFigures.local(compliance, w).toJson());
    }
    ByteSequence value = ByteSequence.from(Json.write(json), StandardCharsets.UTF_8);
    // Not awaited: the next check publishes again; the driver reads whatever is there.
    kv.put(EtcdLayout.bytes(figuresPrefix + broker), value, PutOption.builder().withLeaseId(held).build())
        .exceptionally(e -> {
          log.debug("Publishing this broker's rollout figures failed: {}", e.toString());
          return null;
        });
  }

  /** This broker's figures now, plus every other broker's latest for the same wave. */
  @Override
  public WaveFigures figures(Watched wave) {
    WaveFigures sum = FleetFigures.local(compliance, wave);
    ByteSequence prefix = EtcdLayout.bytes(figuresPrefix);
    List<KeyValue> published;
    try {
      published = await(kv.get(prefix, GetOption.builder().isPrefix(true).build())).getKvs();
    } catch (ReplicationFailure e) {
      throw new IllegalStateException("cannot read the other brokers' figures from the cluster store: " + e.getMessage(), e);
    }
    String own = figuresPrefix + broker;
    for (KeyValue kv : published) {
      if (kv.getKey().toString(StandardCharsets.UTF_8).equals(own)) {
        continue;
      }
      Map<?, ?> figures = object(kv);
      if (figures != null && figures.get(Long.toString(wave.revision())) instanceof Map<?, ?> one) {
        sum = sum.plus(WaveFigures.fromJson(one));
      }
    }
    return sum;
  }

  private static @Nullable Map<?, ?> object(KeyValue kv) {
    try {
      return Json.parse(kv.getValue().getBytes(), READ) instanceof Map<?, ?> m ? m : null;
    } catch (InvalidDocumentException e) {
      return null;
    }
  }

  private <T> T await(CompletableFuture<T> future) throws ReplicationFailure {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new ReplicationFailure("no answer within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      throw new ReplicationFailure(String.valueOf(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplicationFailure("interrupted");
    }
  }

  /** A request to etcd that failed, with why. */
  private static final class ReplicationFailure extends Exception {
    private static final long serialVersionUID = 1L;

    ReplicationFailure(String message) {
      super(message, null, false, false);
    }
  }

  /** Stops renewing and gives the lease back, so that another broker drives at once and this one's figures go. */
  @Override
  public void close() {
    renewer.shutdownNow();
    driver = false;
    long held = lease;
    if (held != 0) {
      try {
        client.getLeaseClient().revoke(held).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        log.debug("Giving back this broker's lease failed; it ends by itself within {} s", LEASE_SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
