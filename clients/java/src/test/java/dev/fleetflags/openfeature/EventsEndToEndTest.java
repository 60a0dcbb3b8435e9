package dev.fleetflags.openfeature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import dev.fleetflags.device.FlagSet;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.ProviderEvent;
import dev.openfeature.sdk.ProviderState;
import dev.openfeature.sdk.Reason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider's events on a real broker with the packaged zip, as an application's handlers get
 * them: ready with the first set, configuration changed with the changed keys, stale while the
 * broker is gone, ready again once back and confirmed; and a restart from the saved set while the
 * broker is down.
 */
class EventsEndToEndTest {

  private static final OpenFeatureAPI API = OpenFeatureAPI.getInstance();

  @TempDir Path dir;
  private Broker broker;
  private Operator operator;
  private FleetFlagsProvider provider;

  @AfterEach
  void close() {
    if (provider != null) {
      provider.shutdown();
    }
    if (operator != null) {
      operator.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  private FleetFlagsProvider provider(Path saved) {
    return FleetFlagsProvider.builder().clientId("ev-1").server(broker.host(), broker.port()).savedSet(saved)
        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(200)).build();
  }

  @Test
  void readyChangedStaleReadyAndARestartFromTheSavedSet() throws Exception {
    broker = Broker.start("""
        {"flags": {
          "ota": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
          "level": {"state": "ENABLED", "variants": {"low": 1, "high": 9}, "defaultVariant": "low"}
        }}""");
    operator = new Operator(broker, "ops-events");
    Path saved = dir.resolve("ev-1.pb");
    provider = provider(saved);
    Client client = API.getClient("events");
    EventLog events = new EventLog(client);

    API.setProviderAndWait("events", provider);
    events.await(ProviderEvent.PROVIDER_READY);
    FlagEvaluationDetails<Integer> level = client.getIntegerDetails("level", 0);
    assertEquals(1, level.getValue());
    assertEquals("low", level.getVariant());
    assertEquals(Reason.CACHED.toString(), level.getReason());

    operator.accepted("flags/apply", """
        {"flags": {"level": {"state": "ENABLED", "variants": {"low": 1, "high": 9}, "defaultVariant": "high"}}}""");
    assertEquals(List.of("level"), events.await(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED).flagsChanged());
    assertEquals(9, client.getIntegerValue("level", 0));

    // Thrown out by another connection with its client id, and a change meanwhile: it comes back
    // presenting its hash and is ready with the change (whichever came first).
    Intruder intruder = new Intruder(broker, "ev-1");
    try {
      events.await(ProviderEvent.PROVIDER_STALE);
      operator.accepted("flags/delete", "{\"flags\": [\"ota\"]}");
    } finally {
      intruder.close();
    }
    events.await(ProviderEvent.PROVIDER_READY);
    assertEquals(List.of("ota"), events.await(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED).flagsChanged());
    assertTrue(events.others().isEmpty(), () -> "nothing else: " + events.others());
    assertEquals(true, client.getBooleanValue("ota", true), "gone from the set: the default");
    FlagSet before = provider.flagSet();

    // The broker goes away: stale, and the last set still answers.
    broker.stop();
    events.await(ProviderEvent.PROVIDER_STALE);
    assertEquals(ProviderState.STALE, client.getProviderState());
    assertEquals(9, client.getIntegerValue("level", 0));

    // A restart meanwhile: ready from the saved set at once, then stale.
    provider.shutdown();
    provider = provider(saved);
    API.setProviderAndWait("events", provider);
    assertEquals(before.flags(), provider.flagSet().flags());
    assertEquals(before.stateHash(), provider.flagSet().stateHash());
    events.await(ProviderEvent.PROVIDER_READY);
    events.await(ProviderEvent.PROVIDER_STALE);
    assertEquals(9, client.getIntegerValue("level", 0));

    // The broker is back: ready once confirmed.
    broker.start();
    operator.reconnect();
    events.await(ProviderEvent.PROVIDER_READY);
    assertEquals(ProviderState.READY, client.getProviderState());
    assertTrue(events.others().isEmpty(), () -> "nothing else: " + events.others());
    assertEquals(operator.evaluate("ev-1").stateHash(), String.format("%08x", provider.flagSet().stateHash()));
  }

  /** Another client connecting with a device's client id: the broker ends the device's connection. */
  static final class Intruder implements AutoCloseable {
    private final Mqtt5BlockingClient client;

    Intruder(Broker broker, String clientId) {
      client = MqttClient.builder().identifier(clientId).serverHost(broker.host()).serverPort(broker.port())
          .useMqttVersion5().buildBlocking();
      try {
        client.connect();
      } catch (RuntimeException takenOverAgain) {
        // the device came back and took its id over before this connection was acknowledged
      }
    }

    /** Throws the device out and leaves at once: the device comes back after its reconnect delay. */
    static void kick(Broker broker, String clientId) {
      new Intruder(broker, clientId).close();
    }

    @Override
    public void close() {
      try {
        client.disconnect();
      } catch (RuntimeException takenOverAgain) {
        // the device came back first
      }
    }
  }
}
