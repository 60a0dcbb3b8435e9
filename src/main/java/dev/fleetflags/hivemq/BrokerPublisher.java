package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.publish.PublishService;
import com.hivemq.extension.sdk.api.services.publish.PublishToClientResult;
import com.hivemq.extension.sdk.api.services.session.ClientService;
import com.hivemq.extension.sdk.api.services.subscription.SubscriptionStore;
import dev.fleetflags.delivery.ConnectionFacts;
import dev.fleetflags.delivery.DevicePublisher;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** Publishes flag updates to one device's flag topic through the broker's PublishService, QoS 1. */
final class BrokerPublisher implements DevicePublisher {

  /** MQTT 5's largest packet: a CONNECT that states no maximum packet size means this. */
  static final long NO_PACKET_LIMIT = 268_435_460L;

  /**
   * What a PUBLISH of an update takes besides its topic and payload, at most: fixed header (1 byte
   * and up to 4 of remaining length), topic length (2), packet identifier (2), properties length
   * (up to 4) and properties the broker might add: message expiry interval (5), payload format
   * indicator (2), topic alias (3), two subscription identifiers (5 each). HiveMQ CE 2025.5 sends
   * none of these properties today (measured); the allowance keeps the limit safe if it does.
   */
  static final int PUBLISH_OVERHEAD = 1 + 4 + 2 + 2 + 4 + 5 + 2 + 3 + 2 * 5;

  private final PublishService publishService;
  private final ClientService clientService;
  private final SubscriptionStore subscriptionStore;
  private final DeviceTopics topics;

  BrokerPublisher(PublishService publishService, ClientService clientService, SubscriptionStore subscriptionStore,
      DeviceTopics topics) {
    this.publishService = publishService;
    this.clientService = clientService;
    this.subscriptionStore = subscriptionStore;
    this.topics = topics;
  }

  /**
   * The payload bytes an update to the device may take when its CONNECT states {@code
   * maximumPacketSize}: {@link ConnectionFacts#NO_LIMIT} if it states none.
   */
  static int payloadLimit(long maximumPacketSize, String flagTopic) {
    if (maximumPacketSize >= NO_PACKET_LIMIT) {
      return ConnectionFacts.NO_LIMIT;
    }
    long limit = maximumPacketSize - PUBLISH_OVERHEAD - flagTopic.getBytes(StandardCharsets.UTF_8).length;
    return (int) Math.max(0, Math.min(limit, ConnectionFacts.NO_LIMIT - 1));
  }

  @Override
  public CompletableFuture<Boolean> publish(String clientId, byte[] payload) {
    var publish = Builders.publish()
        .topic(topics.flagTopic(clientId))
        .qos(Qos.AT_LEAST_ONCE)
        .payload(ByteBuffer.wrap(payload))
        .build();
    return publishService.publishToClient(publish, clientId)
        .thenApply(result -> result == PublishToClientResult.SUCCESSFUL);
  }

  @Override
  public CompletableFuture<Boolean> restoreSubscription(String clientId) {
    var subscription = Builders.topicSubscription()
        .topicFilter(topics.flagTopic(clientId))
        .qos(Qos.AT_LEAST_ONCE)
        .build();
    // Fails (NoSuchClientIdException) if the broker holds no session for the client id any more.
    return subscriptionStore.addSubscription(clientId, subscription).thenApply(added -> true);
  }

  @Override
  public CompletableFuture<Boolean> holdsSubscription(String clientId) {
    String flagTopic = topics.flagTopic(clientId);
    return subscriptionStore.getSubscriptions(clientId)
        .thenApply(subscriptions -> subscriptions.stream().anyMatch(s -> s.getTopicFilter().equals(flagTopic)));
  }

  @Override
  public void reconnect(String clientId, String reason) {
    // Its will is not sent: the device did nothing wrong, and is expected back at once.
    clientService.disconnectClient(clientId, true, DisconnectReasonCode.ADMINISTRATIVE_ACTION, reason);
  }
}
