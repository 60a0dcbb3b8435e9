package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fleetflags.it.Device.Protocol;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Rapid reconnect storms with real clients: each of 24 devices (MQTT 5 and 3.1.1) opens three
 * connections at once, again and again, each subscribing as soon as it is connected, as a device
 * that reconnects and reboots in quick succession does. HiveMQ takes each client id over
 * connection by connection, and reports the lifecycle events of different connections in no
 * particular order (the C library's end-to-end test saw a later connection's start before an
 * earlier one's). After every storm: exactly the live connections are indexed ({@code
 * fleetflags.devices.indexed}), each holds the set {@code query/evaluate} gives it, and a change
 * reaches every one of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReconnectStormTest {

  private static final int DEVICES = 24;
  private static final int CONNECTIONS_AT_ONCE = 3;
  private static final int STORMS = 6;
  private static final String[] MODELS = {"th-100", "th-200", "gw-1"};

  private EmbeddedBroker broker;
  private Operator operator;
  private ExtensionMetrics metrics;
  private final List<Device> opened = new ArrayList<>();

  private static String flag(String key, String model, boolean on) {
    return """
        "%s": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "%s",
               "targeting": {"if": [{"==": [{"var": "model"}, "%s"]}, "%s", null]}}"""
        .formatted(key, on ? "on" : "off", model, on ? "off" : "on");
  }

  @BeforeAll
  void start() {
    broker = EmbeddedBroker.start(Fleet.setup(Scenarios.document(flag("storm", "th-100", false)), ""));
    operator = Operator.mqtt5(broker, "ops-storm");
    metrics = new ExtensionMetrics(broker);
  }

  @AfterAll
  void stop() {
    List<AutoCloseable> all = new ArrayList<>(opened);
    all.add(operator);
    all.add(broker);
    Scenarios.close(all.toArray(AutoCloseable[]::new));
  }

  @Test
  void afterEveryStormEachLiveConnectionIsIndexedAndServed() throws Exception {
    List<Device.Spec> specs = new ArrayList<>();
    for (int i = 0; i < DEVICES; i++) {
      specs.add(i % 4 == 3
          ? new Device.Spec("storm-%02d".formatted(i), Protocol.MQTT3, Map.of())
          : new Device.Spec("storm-%02d".formatted(i), Protocol.MQTT5, Map.of("model", MODELS[i % MODELS.length])));
    }
    ExecutorService pool = Executors.newFixedThreadPool(DEVICES * CONNECTIONS_AT_ONCE, r -> {
      Thread t = new Thread(r, "storm");
      t.setDaemon(true);
      return t;
    });
    try {
      for (int storm = 0; storm < STORMS; storm++) {
        List<Future<Device>> connecting = new ArrayList<>();
        List<AtomicReference<String>> steps = new ArrayList<>();
        for (Device.Spec spec : specs) {
          for (int c = 0; c < CONNECTIONS_AT_ONCE; c++) {
            AtomicReference<String> step = new AtomicReference<>("waiting for a thread");
            steps.add(step);
            connecting.add(pool.submit(() -> connectAndSubscribe(spec, step)));
          }
        }
        List<Device> round = new ArrayList<>();
        for (int i = 0; i < connecting.size(); i++) {
          Device d;
          try {
            d = connecting.get(i).get(MqttDevice.WAIT.toMillis(), TimeUnit.MILLISECONDS);
          } catch (TimeoutException e) {
            throw new AssertionError("a connection of " + specs.get(i / CONNECTIONS_AT_ONCE).clientId()
                + " neither connected and subscribed nor was taken over within " + MqttDevice.WAIT + ": it was "
                + steps.get(i).get(), e);
          }
          if (d != null) {
            round.add(d);
          }
        }
        Map<String, Device> live = survivors(specs, round);
        metrics.awaitIndexed(DEVICES);
        int stormNumber = storm + 1;
        for (Device d : live.values()) {
          try {
            d.awaitReceived(1);
          } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + state(d), e);
          }
          assertServed(d, "after storm " + stormNumber);
        }
        // A change reaches every live connection, as a one-flag delta to the devices it affects.
        accepted(operator.apply(Scenarios.document(flag("storm", MODELS[storm % MODELS.length], storm % 2 == 0))));
        metrics.awaitIdle();
        for (Device d : live.values()) {
          assertServed(d, "after the change following storm " + stormNumber);
        }
        assertEquals(DEVICES, metrics.gauge("fleetflags.devices.indexed"));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Connects and subscribes at once, as a device does on every connection; null if the connection
   * was taken over (or refused for the takeover) before it got that far.
   */
  private Device connectAndSubscribe(Device.Spec spec, AtomicReference<String> step) {
    Device d;
    step.set("waiting for its CONNACK");
    try {
      d = Device.connect(broker, spec, new HeldFlags(), null);
    } catch (RuntimeException takenOver) {
      step.set("refused or taken over before its CONNACK");
      return null;
    }
    synchronized (opened) {
      opened.add(d);
    }
    step.set("connected, waiting for its SUBACK");
    try {
      d.subscribe();
      step.set("subscribed");
    } catch (RuntimeException | AssertionError takenOver) {
      // the next connection took the client id over first
      step.set("taken over before its SUBACK");
    }
    return d;
  }

  /**
   * Waits until each client id has exactly one connection left (the others were taken over by
   * the broker), and returns those.
   */
  private Map<String, Device> survivors(List<Device.Spec> specs, List<Device> round) throws InterruptedException {
    long deadline = System.nanoTime() + MqttDevice.WAIT.toNanos();
    while (true) {
      Map<String, List<Device>> connected = new LinkedHashMap<>();
      synchronized (opened) {
        for (Device d : opened) {
          if (d.connected()) {
            connected.computeIfAbsent(d.clientId(), id -> new ArrayList<>()).add(d);
          }
        }
      }
      boolean settled = connected.size() == specs.size()
          && connected.values().stream().allMatch(l -> l.size() == 1);
      if (settled) {
        Map<String, Device> live = new LinkedHashMap<>();
        connected.forEach((id, l) -> live.put(id, l.get(0)));
        assertTrue(round.containsAll(live.values()), "each survivor is of the latest storm");
        return live;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the connections did not settle to one per client id within " + MqttDevice.WAIT
            + ": " + connected);
      }
      Thread.sleep(10);
    }
  }

  /** What a failure needs to say: the connection, the extension's view and what the broker logged about it. */
  private String state(Device d) {
    StringBuilder lines = new StringBuilder();
    for (String line : broker.log().split("\n")) {
      if (line.contains("'" + d.clientId() + "'") || line.contains(" " + d.clientId() + " ")) {
        lines.append("\n  ").append(line);
      }
    }
    return d + (d.connected() ? " is connected" : " is not connected") + "; subscriptions lost: "
        + metrics.counter("fleetflags.subscriptions.lost") + "; " + listed(d) + "; the broker logged about it:" + lines;
  }

  /** What FleetFlags' device query says of the device (no revision: it was sent nothing). */
  private String listed(Device d) {
    try {
      for (JsonNode listed : operator.send("query/devices", "{\"limit\": 1000}").path("devices")) {
        if (listed.path("clientId").asText().equals(d.clientId())) {
          return "FleetFlags lists it as " + listed;
        }
      }
      return "FleetFlags does not list it";
    } catch (RuntimeException e) {
      return "FleetFlags' list could not be read: " + e;
    }
  }

  /** The device holds what query/evaluate gives it, with the hash the extension states. */
  private void assertServed(Device d, String when) {
    Operator.Evaluated evaluated = operator.evaluated(d.clientId());
    try {
      d.awaitHeld(held -> held.stateHashText().equals(evaluated.stateHash()), "its set " + when);
    } catch (AssertionError e) {
      throw new AssertionError(d + " is not served " + when + ": " + e.getMessage(), e);
    }
    d.assertHolds(evaluated);
  }
}
