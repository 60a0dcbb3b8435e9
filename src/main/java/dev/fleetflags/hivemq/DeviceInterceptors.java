package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.client.ClientContext;
import com.hivemq.extension.sdk.api.client.parameter.InitializerInput;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.suback.SubackOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.suback.parameter.SubackOutboundInput;
import com.hivemq.extension.sdk.api.interceptor.suback.parameter.SubackOutboundOutput;
import com.hivemq.extension.sdk.api.interceptor.subscribe.SubscribeInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.subscribe.parameter.SubscribeInboundInput;
import com.hivemq.extension.sdk.api.interceptor.subscribe.parameter.SubscribeInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.unsubscribe.UnsubscribeInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.unsubscribe.parameter.UnsubscribeInboundInput;
import com.hivemq.extension.sdk.api.interceptor.unsubscribe.parameter.UnsubscribeInboundOutput;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.subscribe.ModifiableSubscription;
import com.hivemq.extension.sdk.api.packets.subscribe.RetainHandling;
import com.hivemq.extension.sdk.api.packets.subscribe.SubackReasonCode;
import com.hivemq.extension.sdk.api.packets.subscribe.Subscription;
import com.hivemq.extension.sdk.api.services.intializer.ClientInitializer;
import dev.fleetflags.delivery.FlagDelivery;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The extension's interceptors, one shared instance for all clients: a device's SUBACK for its own
 * flag topic triggers delivery of its set; a publish to its resync topic asks for it again, one to
 * its ack topic is counted for compliance; publishes under the admin prefix go to the admin
 * endpoint. Each callback only hands off.
 *
 * <p>A client's subscriptions that reach its own topics in FleetFlags' space (its flag topic and
 * sub-topics, its admin answer topic) never get retained messages: nothing there is retained by
 * FleetFlags, so a retained message there was planted while FleetFlags was not running (it is
 * cleared at start too; this holds if it is not, or not yet). Set on the SUBSCRIBE, so it costs
 * fan-out nothing, and HiveMQ honours it for MQTT 3.1.1 clients as well.
 */
final class DeviceInterceptors
    implements ClientInitializer, SubscribeInboundInterceptor, SubackOutboundInterceptor,
        UnsubscribeInboundInterceptor, PublishInboundInterceptor {

  private final DeviceTopics topics;
  private final String adminPrefix;
  private final FlagDelivery delivery;
  private final AdminEndpoint admin;
  private final TopicAuthorizer authorizer;
  /**
   * SUBSCRIBEs for a client's own flag topic awaiting their SUBACK, to the index of that topic in
   * each, oldest first. Overlapping connections of one client id (a device reconnecting in quick
   * succession) each send their first SUBSCRIBE with packet id 1, and HiveMQ does not order the
   * events of different connections: each SUBACK takes one entry, so every connection's SUBACK
   * counts. A connection taken over before its SUBACK leaves its entry, which the next SUBSCRIBE
   * with that packet id without the flag topic removes, or the device's end removes ({@link
   * #deviceGone}).
   */
  private final ConcurrentMap<PendingSubscribe, List<Integer>> pending = new ConcurrentHashMap<>();

  private record PendingSubscribe(String clientId, int packetId) {}

  DeviceInterceptors(DeviceTopics topics, String adminPrefix, FlagDelivery delivery, AdminEndpoint admin,
      TopicAuthorizer authorizer) {
    this.topics = topics;
    this.adminPrefix = adminPrefix + "/";
    this.delivery = delivery;
    this.admin = admin;
    this.authorizer = authorizer;
  }

  @Override
  public void initialize(InitializerInput input, ClientContext context) {
    context.addSubscribeInboundInterceptor(this);
    context.addSubackOutboundInterceptor(this);
    context.addUnsubscribeInboundInterceptor(this);
    context.addPublishInboundInterceptor(this);
  }

  @Override
  public void onInboundSubscribe(SubscribeInboundInput input, SubscribeInboundOutput output) {
    String clientId = input.getClientInformation().getClientId();
    String own = topics.flagTopic(clientId);
    int packetId = input.getSubscribePacket().getPacketId();
    List<? extends Subscription> subscriptions = input.getSubscribePacket().getSubscriptions();
    if (!Operators.isOperator(input.getConnectionInformation())) {
      List<ModifiableSubscription> modifiable = output.getSubscribePacket().getSubscriptions();
      for (ModifiableSubscription s : modifiable) {
        if (reachesOwnTopics(s.getTopicFilter(), clientId, own)) {
          s.setRetainHandling(RetainHandling.DO_NOT_SEND);
        }
      }
    }
    for (int i = 0; i < subscriptions.size(); i++) {
      if (subscriptions.get(i).getTopicFilter().equals(own)) {
        Integer index = i;
        pending.merge(new PendingSubscribe(clientId, packetId), List.of(index), DeviceInterceptors::append);
        return;
      }
    }
    if (!pending.isEmpty()) {
      // The packet id may be that of an earlier SUBSCRIBE whose SUBACK never came: not this one's.
      pending.remove(new PendingSubscribe(clientId, packetId));
    }
  }

  @Override
  public void onOutboundSuback(SubackOutboundInput input, SubackOutboundOutput output) {
    if (pending.isEmpty()) {
      return;
    }
    String clientId = input.getClientInformation().getClientId();
    int[] taken = {-1};
    pending.computeIfPresent(new PendingSubscribe(clientId, input.getSubackPacket().getPacketIdentifier()),
        (key, indexes) -> {
          taken[0] = indexes.get(0);
          return indexes.size() == 1 ? null : List.copyOf(indexes.subList(1, indexes.size()));
        });
    int index = taken[0];
    if (index < 0) {
      return;
    }
    List<SubackReasonCode> codes = input.getSubackPacket().getReasonCodes();
    if (index < codes.size() && granted(codes.get(index))) {
      delivery.subscribed(clientId);
    }
  }

  @Override
  public void onInboundUnsubscribe(UnsubscribeInboundInput input, UnsubscribeInboundOutput output) {
    String clientId = input.getClientInformation().getClientId();
    if (input.getUnsubscribePacket().getTopicFilters().contains(topics.flagTopic(clientId))) {
      delivery.unsubscribed(clientId);
    }
  }

  @Override
  public void onInboundPublish(PublishInboundInput input, PublishInboundOutput output) {
    String topic = input.getPublishPacket().getTopic();
    if (!authorizer.guards(topic)) {
      return;
    }
    if (!authorizer.mayPublish(topic, input.getClientInformation().getClientId(),
        Operators.isOperator(input.getConnectionInformation()))) {
      // Untouched, it goes on to the authorizer, which refuses it with the reason: HiveMQ calls
      // interceptors first, and a publish consumed here would never be authorized.
      return;
    }
    if (topic.startsWith(adminPrefix)) {
      admin.handle(input, output);
      return;
    }
    // Only the extension publishes flags; what devices send here is for the extension alone.
    output.preventPublishDelivery(AckReasonCode.SUCCESS);
    String device = topics.resyncDevice(topic);
    ByteBuffer payload = input.getPublishPacket().getPayload().orElse(ByteBuffer.allocate(0));
    if (device != null) {
      delivery.resync(device, StateHashText.parse(payload));
    } else {
      // What else a device may publish here is its own ack topic (the authorizer's rule).
      String clientId = input.getClientInformation().getClientId();
      if (topic.equals(topics.ackTopic(clientId))) {
        delivery.compliance().offer(clientId, payload);
      }
    }
  }

  /** Whether a client's filter matches its flag topic, the sub-topics devices use, or its answer topic. */
  private boolean reachesOwnTopics(String filter, String clientId, String flagTopic) {
    return DeviceTopics.matches(filter, flagTopic) || DeviceTopics.matches(filter, flagTopic + "/resync")
        || DeviceTopics.matches(filter, flagTopic + "/ack")
        || DeviceTopics.matches(filter, adminPrefix + "responses/" + clientId);
  }

  /**
   * Forgets the SUBSCRIBEs of a device whose last connection ended before their SUBACK. Rare, and
   * the map holds only SUBSCRIBEs in flight, so the scan is short.
   */
  void deviceGone(String clientId) {
    if (!pending.isEmpty()) {
      pending.keySet().removeIf(k -> k.clientId().equals(clientId));
    }
  }

  private static List<Integer> append(List<Integer> earlier, List<Integer> one) {
    List<Integer> all = new ArrayList<>(earlier);
    all.addAll(one);
    return List.copyOf(all);
  }

  private static boolean granted(SubackReasonCode code) {
    return code == SubackReasonCode.GRANTED_QOS_0 || code == SubackReasonCode.GRANTED_QOS_1
        || code == SubackReasonCode.GRANTED_QOS_2;
  }
}
