package dev.fleetflags.it;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.Mqtt3ConnectBuilder;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import java.nio.charset.StandardCharsets;

/** An MQTT 3.1.1 client (a device or an operator) on a {@link FleetFlagsBroker}. */
public final class Mqtt3Device extends MqttDevice<Mqtt3Publish> {

  private final Mqtt3BlockingClient client;
  private Mqtt3ConnAck connAck;

  private Mqtt3Device(String clientId, Mqtt3BlockingClient client) {
    super(clientId);
    this.client = client;
    // Before CONNECT, so nothing sent right after the CONNACK is missed.
    client.toAsync().publishes(MqttGlobalPublishFilter.ALL, this::arrived);
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
    return connect(broker, clientId, username, password, true);
  }

  /**
   * Connects with a clean session or, if {@code cleanSession} is false, asking for a persistent
   * one; username and password may be null.
   */
  public static Mqtt3Device connect(
      FleetFlagsBroker broker,
      String clientId,
      String username,
      String password,
      boolean cleanSession) {
    Mqtt3Device device =
        new Mqtt3Device(clientId, builder(broker, clientId).useMqttVersion3().buildBlocking());
    Mqtt3ConnectBuilder.Send<Mqtt3ConnAck> connect =
        device.client.connectWith().cleanSession(cleanSession);
    if (username != null) {
      connect =
          connect
              .simpleAuth()
              .username(username)
              .password(password.getBytes(StandardCharsets.UTF_8))
              .applySimpleAuth();
    }
    device.connAck = connect.send();
    return device;
  }

  /** The broker's answer to the CONNECT. */
  public Mqtt3ConnAck connAck() {
    return connAck;
  }

  @Override
  public String topic(Mqtt3Publish message) {
    return message.getTopic().toString();
  }

  @Override
  public byte[] payload(Mqtt3Publish message) {
    return message.getPayloadAsBytes();
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

  @Override
  public boolean subscribeGranted(String topicFilter) {
    return subscribe(topicFilter) != Mqtt3SubAckReturnCode.FAILURE;
  }

  /** Publishes with QoS 1; MQTT 3.1.1 has no negative PUBACK: a refused publish disconnects. */
  @Override
  public void publish(String topic, byte[] payload) {
    client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
  }

  @Override
  boolean connected() {
    return client.getState().isConnected();
  }

  @Override
  void disconnect() {
    client.disconnect();
  }
}
