package dev.fleetflags.it;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.exceptions.MqttClientStateException;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.Mqtt3ConnectBuilder;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** An MQTT 3.1.1 client (a device or an operator) on a {@link FleetFlagsBroker}. */
public final class Mqtt3Device implements AutoCloseable {

  private final String clientId;
  private final Mqtt3BlockingClient client;
  private final Mqtt3BlockingClient.Mqtt3Publishes publishes;
  private final Mqtt3ConnAck connAck;

  private Mqtt3Device(
      String clientId,
      Mqtt3BlockingClient client,
      Mqtt3BlockingClient.Mqtt3Publishes publishes,
      Mqtt3ConnAck connAck) {
    this.clientId = clientId;
    this.client = client;
    this.publishes = publishes;
    this.connAck = connAck;
  }

  public static Mqtt3Device connect(FleetFlagsBroker broker, String clientId) {
    return connect(broker, clientId, null, null);
  }

  /**
   * Connects with a clean session; username and password may be null.
   *
   * @throws com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException when refused
   */
  public static Mqtt3Device connect(
      FleetFlagsBroker broker, String clientId, String username, String password) {
    Mqtt3BlockingClient client =
        Mqtt3Client.builder()
            .identifier(clientId)
            .serverHost(broker.host())
            .serverPort(broker.mqttPort())
            .buildBlocking();
    Mqtt3BlockingClient.Mqtt3Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL);
    Mqtt3ConnectBuilder.Send<Mqtt3ConnAck> connect = client.connectWith().cleanSession(true);
    if (username != null) {
      connect =
          connect
              .simpleAuth()
              .username(username)
              .password(password.getBytes(StandardCharsets.UTF_8))
              .applySimpleAuth();
    }
    try {
      return new Mqtt3Device(clientId, client, publishes, connect.send());
    } catch (RuntimeException e) {
      publishes.close();
      throw e;
    }
  }

  public String clientId() {
    return clientId;
  }

  public Mqtt3ConnAck connAck() {
    return connAck;
  }

  /** Subscribes with QoS 1; returns the broker's return code (granted or failure). */
  public Mqtt3SubAckReturnCode subscribe(String topicFilter) {
    try {
      return client
          .subscribeWith()
          .topicFilter(topicFilter)
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .getReturnCodes()
          .get(0);
    } catch (Mqtt3SubAckException refused) {
      // The blocking client reports a SUBACK of nothing but failures as an exception.
      return refused.getMqttMessage().getReturnCodes().get(0);
    }
  }

  public void publish(String topic, byte[] payload) {
    client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
  }

  public void publish(String topic, String payload) {
    publish(topic, payload.getBytes(StandardCharsets.UTF_8));
  }

  /** The next message received, within {@link Mqtt5Device#WAIT}, or an assertion failure. */
  public Mqtt3Publish awaitMessage() {
    return nextMessage(Mqtt5Device.WAIT)
        .orElseThrow(
            () -> new AssertionError(clientId + " received nothing within " + Mqtt5Device.WAIT));
  }

  public Optional<Mqtt3Publish> nextMessage(Duration within) {
    try {
      return publishes.receive(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  @Override
  public void close() {
    publishes.close();
    if (client.getState().isConnected()) {
      try {
        client.disconnect();
      } catch (MqttClientStateException closed) {
        // The broker closed the connection since the check (as it does after refusing a publish).
      }
    }
  }
}
