package dev.fleetflags.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import dev.fleetflags.etcd.EtcdCluster;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The multi-broker figures of BENCHMARKS.md (issue 15), on this machine, with the packaged zip in
 * broker JVMs of their own and the devices in this JVM:
 *
 * <ul>
 *   <li>from the accepted answer on broker 1 until the last device on brokers 2 and 3 has the
 *       change's delta (p50, p99 over {@code bench.changes} changes, every device affected by
 *       each), against the same on one broker alone with all the devices, in the same run;
 *   <li>how long a broker that missed {@code bench.missed} changes takes to catch up;
 *   <li>bytes per registry record in etcd (database size, defragmented, over {@code
 *       bench.records} records).
 * </ul>
 *
 * Not part of the build's tests: {@code mvn -f integration-tests/pom.xml verify
 * -Dtest=SeveralBrokersBenchmark -Dfleetflags.bench.cluster=true} after {@code mvn package}.
 */
@EnabledIfSystemProperty(named = "fleetflags.bench.cluster", matches = "true")
class SeveralBrokersBenchmark {

  private static final int DEVICES = Integer.getInteger("bench.devices", 1_000);
  private static final int CHANGES = Integer.getInteger("bench.changes", 100);
  private static final int MISSED = Integer.getInteger("bench.missed", 1_000);
  private static final int RECORDS = Integer.getInteger("bench.records", 10_000);
  private static final String FLAG = "bench";
  private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(120);

  private final Map<String, String> results = new LinkedHashMap<>();

  @Test
  void measure() throws Exception {
    try {
      singleBroker();
      severalBrokers();
    } finally {
      System.out.println("\n| figure | value |\n|---|---|");
      results.forEach((k, v) -> System.out.println("| " + k + " | " + v + " |"));
    }
  }

  private void singleBroker() throws Exception {
    try (BrokerJvm single = BrokerJvm.start("single", Scenarios.open(List.of(), LIMITS));
        Operator operator = Operator.mqtt5(single, "bench-ops")) {
      Operator.accepted(operator.replace(document(0)));
      List<TimedDevice> fleet = connect(List.of(single), DEVICES);
      long[] latencies = changes(operator, fleet, fleet);
      results.put("one broker, " + DEVICES + " devices: answer to last delta, p50 / p99 (ms)", percentiles(latencies));
      fleet.forEach(TimedDevice::close);
    }
  }

  private void severalBrokers() throws Exception {
    Path base = Path.of(System.getProperty("fleetflags.brokers", System.getProperty("java.io.tmpdir")));
    try (EtcdCluster etcd = EtcdCluster.start(3, base)) {
      List<BrokerJvm> brokers = new ArrayList<>();
      try {
        for (int b = 1; b <= 3; b++) {
          brokers.add(BrokerJvm.start("broker-" + b, SeveralBrokersTest.setup(etcd.endpoints())));
        }
        try (Operator operator = Operator.mqtt5(brokers.get(0), "bench-ops")) {
          Operator.accepted(operator.replace(document(0)));
          List<TimedDevice> fleet = connect(brokers, DEVICES);
          List<TimedDevice> elsewhere = new ArrayList<>();
          for (int i = 0; i < fleet.size(); i++) {
            if (i % brokers.size() != 0) {
              elsewhere.add(fleet.get(i));
            }
          }
          long[] latencies = changes(operator, fleet, elsewhere);
          results.put("3 brokers, " + DEVICES + " devices in all: answer on broker 1 to last delta on brokers 2 and 3,"
              + " p50 / p99 (ms)", percentiles(latencies));
          fleet.forEach(TimedDevice::close);

          catchUp(operator, brokers.get(2));
          registryBytes(operator, etcd);
        }
      } finally {
        brokers.forEach(BrokerJvm::close);
      }
    }
  }

  /** Broker 3 stopped, {@link #MISSED} changes made, broker 3 started: until it serves the last. */
  private void catchUp(Operator operator, BrokerJvm third) {
    third.stop();
    long last = 0;
    long started = System.nanoTime();
    for (int i = 1; i <= MISSED; i++) {
      last = Operator.accepted(operator.apply(document(1_000_000 + i))).get("revision").asLong();
    }
    double writeSeconds = (System.nanoTime() - started) / 1e9;
    long launched = System.nanoTime();
    third.start();
    long listening = System.nanoTime();
    try (Operator local = Operator.mqtt5(third, "bench-ops-3")) {
      while (local.revision() < last) {
        if (System.nanoTime() - launched > WAIT_NANOS) {
          throw new AssertionError("broker 3 did not catch up");
        }
        sleep(5);
      }
    }
    long caughtUp = System.nanoTime();
    results.put(MISSED + " changes written through broker 1 (one request each)", String.format("%.1f s, %.0f per second",
        writeSeconds, MISSED / writeSeconds));
    results.put("broker 3 that missed them: from its JVM's launch / from listening, until it serves the last (ms)",
        ms(caughtUp - launched) + " / " + ms(caughtUp - listening));
  }

  /** etcd's database grows by this much per registry record (defragmented, before and after). */
  private void registryBytes(Operator operator, EtcdCluster etcd) {
    long before = etcd.databaseBytes(0, true);
    int perRequest = 100;
    for (int r = 0; r < RECORDS / perRequest; r++) {
      Map<String, Map<String, String>> records = new LinkedHashMap<>();
      for (int i = 0; i < perRequest; i++) {
        records.put(String.format("device-%07d", r * perRequest + i),
            Map.of("model", "th-100", "region", "eu-west", "firmware", "2.4.1"));
      }
      Operator.accepted(operator.attributes(records));
    }
    etcd.compact();
    long after = etcd.databaseBytes(0, true);
    results.put("registry records in etcd (e.g. device-0000001: {model, region, firmware})", Integer.toString(RECORDS));
    results.put("etcd database growth per record, defragmented, history entries included (bytes)",
        Long.toString((after - before) / RECORDS));
  }

  private static final String LIMITS = "<limits><admin-requests-per-second>100000</admin-requests-per-second>"
      + "<admin-queries-per-second>100000</admin-queries-per-second></limits>";

  private static String document(long value) {
    return Scenarios.document("""
        "%s": {"state": "ENABLED", "variants": {"v": %d}, "defaultVariant": "v"}""".formatted(FLAG, value));
  }

  /**
   * {@link #CHANGES} changes, one after another, each through {@code operator}; per change, the
   * time from its accepted answer until the last of {@code measured} had its delta.
   */
  private static long[] changes(Operator operator, List<TimedDevice> all, List<TimedDevice> measured) {
    long[] latencies = new long[CHANGES];
    for (int i = 0; i < CHANGES; i++) {
      long value = i + 1;
      JsonNode answer = Operator.accepted(operator.apply(document(value)));
      long answered = System.nanoTime();
      long deadline = answered + WAIT_NANOS;
      for (TimedDevice d : all) {
        while (!d.arrived.containsKey(value)) {
          if (System.nanoTime() > deadline) {
            throw new AssertionError(d.id + " did not get change " + value + " (" + answer + ")");
          }
          sleep(1);
        }
      }
      long last = Long.MIN_VALUE;
      for (TimedDevice d : measured) {
        last = Math.max(last, d.arrived.get(value));
      }
      latencies[i] = last - answered;
    }
    return latencies;
  }

  private static String percentiles(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int p50 = (int) Math.ceil(0.50 * sorted.length) - 1;
    int p99 = (int) Math.ceil(0.99 * sorted.length) - 1;
    return ms(sorted[p50]) + " / " + ms(sorted[p99]);
  }

  private static String ms(long nanos) {
    return String.format("%.1f", nanos / 1e6);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Devices spread over the brokers round-robin, connected and subscribed 100 at a time. */
  private static List<TimedDevice> connect(List<? extends FleetFlagsBroker> brokers, int count) {
    List<TimedDevice> fleet = new ArrayList<>();
    for (int from = 0; from < count; from += 100) {
      List<CompletableFuture<TimedDevice>> batch = new ArrayList<>();
      for (int i = from; i < Math.min(count, from + 100); i++) {
        batch.add(TimedDevice.connect(brokers.get(i % brokers.size()), String.format("bench-%05d", i)));
      }
      batch.forEach(f -> fleet.add(f.join()));
    }
    for (TimedDevice d : fleet) {
      long deadline = System.nanoTime() + WAIT_NANOS;
      while (!d.arrived.containsKey(0L)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(d.id + " got no snapshot");
        }
        sleep(1);
      }
    }
    return fleet;
  }

  /** A device that only notes when each value of the bench flag arrived. */
  private static final class TimedDevice {
    final String id;
    final Mqtt5AsyncClient client;
    final Map<Long, Long> arrived = new ConcurrentHashMap<>();

    private TimedDevice(String id, Mqtt5AsyncClient client) {
      this.id = id;
      this.client = client;
    }

    static CompletableFuture<TimedDevice> connect(FleetFlagsBroker broker, String id) {
      Mqtt5AsyncClient client = MqttClient.builder().identifier(id).serverHost(broker.host()).serverPort(broker.mqttPort())
          .useMqttVersion5().buildAsync();
      TimedDevice device = new TimedDevice(id, client);
      client.publishes(MqttGlobalPublishFilter.ALL, publish -> {
        long now = System.nanoTime();
        try {
          for (Flag flag : FlagUpdate.parseFrom(publish.getPayloadAsBytes()).getFlagsList()) {
            if (flag.getKey().equals(FLAG)) {
              device.arrived.putIfAbsent(flag.getInt(), now);
            }
          }
        } catch (InvalidProtocolBufferException e) {
          throw new AssertionError(e);
        }
      });
      return client.connect()
          .thenCompose(ack -> client.subscribeWith().topicFilter("flags/" + id).qos(MqttQos.AT_LEAST_ONCE).send())
          .thenApply(ack -> device);
    }

    void close() {
      client.disconnect();
    }
  }
}
