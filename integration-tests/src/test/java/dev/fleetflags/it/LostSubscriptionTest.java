package dev.fleetflags.it;

import static dev.fleetflags.it.Operator.accepted;
import static dev.fleetflags.it.Scenarios.document;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.extension.sdk.api.services.Services;
import dev.fleetflags.it.Device.Protocol;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A device whose acknowledged subscription the broker loses (as HiveMQ's late clean-up of the
 * client id's previous clean session can remove it) keeps getting its flags, and its connection
 * is left alone: FleetFlags adds the subscription again. The subscription is removed here by
 * another extension on the running broker, through HiveMQ's subscription store. MQTT 5 and 3.1.1
 * devices, real broker, packaged zip.
 */
class LostSubscriptionTest {

  private static String flag(String variant) {
    return document("""
        "mode": {"state": "ENABLED", "variants": {"eco": "eco", "boost": "boost"}, "defaultVariant": "%s"}"""
        .formatted(variant));
  }

  @Test
  void aDeviceWhoseSubscriptionTheBrokerLostKeepsGettingItsFlagsOnItsConnection() throws Exception {
    ExtensionSetup setup = Scenarios.open(List.of(), "<seed-file>" + ExtensionSetup.SEED_FILE + "</seed-file>")
        .withSeedFlags(flag("eco"));
    try (EmbeddedBroker broker = EmbeddedBroker.startAlongside(setup, AlongsideExtension.embedded());
        Operator operator = Operator.mqtt5(broker, "ops-lost");
        Device mqtt5 = Device.online(broker, new Device.Spec("lost-5", Protocol.MQTT5, Map.of()));
        Device mqtt3 = Device.online(broker, new Device.Spec("lost-3", Protocol.MQTT3, Map.of()))) {
      assertTrue(broker.extensionStarted(), broker::log);
      ExtensionMetrics metrics = new ExtensionMetrics(broker);
      for (Device d : List.of(mqtt5, mqtt3)) {
        Services.subscriptionStore().removeSubscription(d.clientId(), "flags/" + d.clientId()).get(30, TimeUnit.SECONDS);
      }

      accepted(operator.apply(flag("boost")));
      for (Device d : List.of(mqtt5, mqtt3)) {
        d.awaitHeld(h -> "boost".equals(h.values().get("mode")), "mode = boost, with its subscription lost");
        d.assertHolds(operator.evaluated(d.clientId()));
        assertTrue(d.connected(), d + " keeps its connection");
        assertEquals(1, Services.subscriptionStore().getSubscriptions(d.clientId()).get(30, TimeUnit.SECONDS).size(),
            () -> d + ": its subscription is back");
      }
      assertEquals(2, metrics.counter("fleetflags.subscriptions.lost"));
      assertTrue(broker.log().contains("Device 'lost-5' subscribed to its flag topic and the broker acknowledged it"),
          broker::log);

      // And the next change reaches them as any other.
      accepted(operator.apply(flag("eco")));
      for (Device d : List.of(mqtt5, mqtt3)) {
        d.awaitHeld(h -> "eco".equals(h.values().get("mode")), "mode = eco");
        d.assertHolds(operator.evaluated(d.clientId()));
      }
      assertEquals(2, metrics.counter("fleetflags.subscriptions.lost"));
    }
  }
}
