package dev.fleetflags.mqtt;

import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import io.reactivex.Flowable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** A device's link over an MQTT 5 client. */
public final class Mqtt5Link extends MqttLink {

  private final Mqtt5Client client;
  private final String stateProperty;
  private final Map<String, String> attributes;
  private final @Nullable String username;
  private final byte @Nullable [] password;

  private Mqtt5Link(Mqtt5Client client, DeviceTopics topics, boolean owned, ClientEvents events,
      String stateProperty, Map<String, String> attributes, @Nullable String username, byte @Nullable [] password) {
    super(client, topics, owned, events);
    this.client = client;
    this.stateProperty = stateProperty;
    this.attributes = new LinkedHashMap<>(attributes);
    this.username = username;
    this.password = password == null ? null : password.clone();
  }

  /**
   * A link that connects by itself, with a clean start each time, on a client built from {@code
   * builder} (identifier, server and transport set; without automatic reconnect).
   *
   * @param stateProperty the CONNECT user property that carries the state hash (FleetFlags'
   *     {@code <state-user-property>})
   * @param attributes further CONNECT user properties: attributes on the broker's allow-list
   */
  public static Mqtt5Link connecting(MqttClientBuilder builder, DeviceTopics topics, String stateProperty,
      Map<String, String> attributes, @Nullable String username, byte @Nullable [] password) {
    ClientEvents events = new ClientEvents();
    Mqtt5Client client = builder.addConnectedListener(events).addDisconnectedListener(events).useMqttVersion5().build();
    return new Mqtt5Link(client, topics, true, events, stateProperty, attributes, username, password);
  }

  /** A link on the application's client, which connects it; {@code events} are on its builder. */
  public static Mqtt5Link following(Mqtt5Client client, ClientEvents events, DeviceTopics topics) {
    return new Mqtt5Link(client, topics, false, events, "", Map.of(), null, null);
  }

  @Override
  public CompletableFuture<Mqtt5ConnAck> connect(@Nullable String stateHash) {
    if (!ownsConnection()) {
      throw new IllegalStateException("the application connects its client");
    }
    listen();
    Mqtt5ConnectBuilder.Send<CompletableFuture<Mqtt5ConnAck>> connect = client.toAsync().connectWith().cleanStart(true);
    if (stateHash != null || !attributes.isEmpty()) {
      var properties = connect.userProperties();
      if (stateHash != null) {
        properties.add(stateProperty, stateHash);
      }
      attributes.forEach(properties::add);
      connect = properties.applyUserProperties();
    }
    if (username != null) {
      var auth = connect.simpleAuth().username(username);
      connect = (password == null ? auth : auth.password(password)).applySimpleAuth();
    }
    return connect.send();
  }

  @Override
  public boolean presentsHashOnConnect() {
    return ownsConnection();
  }

  @Override
  CompletableFuture<?> publish(String topic, byte[] payload) {
    return client.toAsync().publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
  }

  @Override
  CompletableFuture<Boolean> subscribeFlagTopic() {
    return client.toAsync().subscribeWith().topicFilter(topics.flagTopic()).qos(MqttQos.AT_LEAST_ONCE).send()
        .thenApply(ack -> !ack.getReasonCodes().get(0).isError());
  }

  @Override
  Flowable<Message> received() {
    return client.toRx().publishes(MqttGlobalPublishFilter.ALL)
        .map(p -> new Message(p.getTopic().toString(), p.getPayloadAsBytes()));
  }

  @Override
  CompletableFuture<?> disconnect() {
    return client.toAsync().disconnect().exceptionally(notConnected -> null);
  }

  @Override
  CompletableFuture<?> unsubscribe() {
    return client.toAsync().unsubscribeWith().topicFilter(topics.flagTopic()).send().exceptionally(gone -> null);
  }
}
