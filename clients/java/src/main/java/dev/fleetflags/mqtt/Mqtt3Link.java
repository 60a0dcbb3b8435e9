package dev.fleetflags.mqtt;

import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.connect.Mqtt3ConnectBuilder;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import io.reactivex.Flowable;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A device's link over an MQTT 3.1.1 client. MQTT 3.1.1 has no CONNECT user properties: the device
 * presents its hash by publishing it to its resync topic before it subscribes, and has no
 * self-reported attributes (registry attributes still apply).
 */
public final class Mqtt3Link extends MqttLink {

  private final Mqtt3Client client;
  private final @Nullable String username;
  private final byte @Nullable [] password;

  private Mqtt3Link(Mqtt3Client client, DeviceTopics topics, boolean owned, ClientEvents events,
      @Nullable String username, byte @Nullable [] password) {
    super(client, topics, owned, events);
    this.client = client;
    this.username = username;
    this.password = password == null ? null : password.clone();
  }

  /** A link that connects by itself, with a clean session each time (see {@link Mqtt5Link#connecting}). */
  public static Mqtt3Link connecting(MqttClientBuilder builder, DeviceTopics topics, @Nullable String username,
      byte @Nullable [] password) {
    ClientEvents events = new ClientEvents();
    Mqtt3Client client = builder.addConnectedListener(events).addDisconnectedListener(events).useMqttVersion3().build();
    return new Mqtt3Link(client, topics, true, events, username, password);
  }

  /** A link on the application's client, which connects it; {@code events} are on its builder. */
  public static Mqtt3Link following(Mqtt3Client client, ClientEvents events, DeviceTopics topics) {
    return new Mqtt3Link(client, topics, false, events, null, null);
  }

  @Override
  public CompletableFuture<Mqtt3ConnAck> connect(@Nullable String stateHash) {
    if (!ownsConnection()) {
      throw new IllegalStateException("the application connects its client");
    }
    listen();
    Mqtt3ConnectBuilder.Send<CompletableFuture<Mqtt3ConnAck>> connect = client.toAsync().connectWith().cleanSession(true);
    if (username != null) {
      var auth = connect.simpleAuth().username(username);
      connect = (password == null ? auth : auth.password(password)).applySimpleAuth();
    }
    return connect.send();
  }

  @Override
  public boolean presentsHashOnConnect() {
    return false;
  }

  @Override
  CompletableFuture<?> publish(String topic, byte[] payload) {
    return client.toAsync().publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
  }

  @Override
  CompletableFuture<Boolean> subscribeFlagTopic() {
    return client.toAsync().subscribeWith().topicFilter(topics.flagTopic()).qos(MqttQos.AT_LEAST_ONCE).send()
        .thenApply(ack -> ack.getReturnCodes().get(0) != Mqtt3SubAckReturnCode.FAILURE);
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
