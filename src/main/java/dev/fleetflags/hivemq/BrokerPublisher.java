package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.publish.PublishService;
import com.hivemq.extension.sdk.api.services.publish.PublishToClientResult;
import dev.fleetflags.delivery.DevicePublisher;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** Publishes flag updates to one device's flag topic through the broker's PublishService, QoS 1. */
final class BrokerPublisher implements DevicePublisher {

  private final PublishService publishService;
  private final DeviceTopics topics;

  BrokerPublisher(PublishService publishService, DeviceTopics topics) {
    this.publishService = publishService;
    this.topics = topics;
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
}
