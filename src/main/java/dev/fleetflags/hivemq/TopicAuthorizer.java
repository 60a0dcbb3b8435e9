package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.auth.PublishAuthorizer;
import com.hivemq.extension.sdk.api.auth.SubscriptionAuthorizer;
import com.hivemq.extension.sdk.api.auth.parameter.PublishAuthorizerInput;
import com.hivemq.extension.sdk.api.auth.parameter.PublishAuthorizerOutput;
import com.hivemq.extension.sdk.api.auth.parameter.SubscriptionAuthorizerInput;
import com.hivemq.extension.sdk.api.auth.parameter.SubscriptionAuthorizerOutput;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.subscribe.SubackReasonCode;

/**
 * Guards FleetFlags' topics and passes every other topic to the broker's other security
 * extensions unchanged. Only operators publish admin requests; only the extension publishes flags
 * (a device may publish to its own {@code resync} and {@code ack} sub-topics, an operator to any
 * device's {@code resync}); a device subscribes only to its own flag topic, and any filter that
 * reaches other devices' flag topics ({@code flags/+}, {@code #}, ...) is refused to non-operators.
 */
final class TopicAuthorizer implements PublishAuthorizer, SubscriptionAuthorizer {

  private final DeviceTopics topics;
  private final String adminPrefix;

  TopicAuthorizer(DeviceTopics topics, String adminPrefix) {
    this.topics = topics;
    this.adminPrefix = adminPrefix + "/";
  }

  @Override
  public void authorizePublish(PublishAuthorizerInput input, PublishAuthorizerOutput output) {
    String topic = input.getPublishPacket().getTopic();
    String clientId = input.getClientInformation().getClientId();
    boolean operator = Operators.isOperator(input.getConnectionInformation());
    if (topic.startsWith(adminPrefix)) {
      if (operator) {
        output.authorizeSuccessfully();
      } else {
        output.failAuthorization(AckReasonCode.NOT_AUTHORIZED, "only FleetFlags operators may publish to " + adminPrefix);
      }
    } else if (topics.inSpace(topic)) {
      String device = topics.resyncDevice(topic);
      if ((device != null && (operator || device.equals(clientId))) || topic.equals(topics.ackTopic(clientId))) {
        output.authorizeSuccessfully();
      } else {
        output.failAuthorization(AckReasonCode.NOT_AUTHORIZED,
            "only FleetFlags publishes flags; a device may publish to its own /resync and /ack topics");
      }
    } else {
      output.nextExtensionOrDefault();
    }
  }

  @Override
  public void authorizeSubscribe(SubscriptionAuthorizerInput input, SubscriptionAuthorizerOutput output) {
    String filter = input.getSubscription().getTopicFilter();
    String clientId = input.getClientInformation().getClientId();
    boolean operator = Operators.isOperator(input.getConnectionInformation());
    if (operator) {
      output.nextExtensionOrDefault();
    } else if (filter.equals(topics.flagTopic(clientId))) {
      output.authorizeSuccessfully();
    } else if (topics.reachesOtherDevices(filter, clientId)) {
      output.failAuthorization(SubackReasonCode.NOT_AUTHORIZED,
          "a device may subscribe only to its own flag topic " + topics.flagTopic(clientId));
    } else if (filter.startsWith(adminPrefix) && !filter.equals(adminPrefix + "responses/" + clientId)) {
      output.failAuthorization(SubackReasonCode.NOT_AUTHORIZED,
          "only FleetFlags operators may subscribe to " + adminPrefix + " (others: " + adminPrefix + "responses/<own client id>)");
    } else {
      output.nextExtensionOrDefault();
    }
  }
}
