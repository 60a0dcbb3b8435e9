package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.auth.PublishAuthorizer;
import dev.fleetflags.delivery.LogLimit;
import dev.fleetflags.protocol.Topics;
import com.hivemq.extension.sdk.api.auth.SubscriptionAuthorizer;
import com.hivemq.extension.sdk.api.auth.parameter.PublishAuthorizerInput;
import com.hivemq.extension.sdk.api.auth.parameter.PublishAuthorizerOutput;
import com.hivemq.extension.sdk.api.auth.parameter.SubscriptionAuthorizerInput;
import com.hivemq.extension.sdk.api.auth.parameter.SubscriptionAuthorizerOutput;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.subscribe.SubackReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards FleetFlags' topics and passes every other topic to the broker's other security
 * extensions unchanged. Only operators publish admin requests; only the extension publishes flags
 * (a device may publish to its own {@code resync} and {@code ack} sub-topics, an operator to any
 * device's {@code resync}); a device subscribes only to its own flag topic, and any filter that
 * reaches other devices' flag topics ({@code flags/+}, {@code #}, ...) or the admin topics (answer
 * topics included) is refused to non-operators.
 * Every refusal is logged with the client, the topic and why, at most once per client per minute.
 */
final class TopicAuthorizer implements PublishAuthorizer, SubscriptionAuthorizer {

  private static final Logger log = LoggerFactory.getLogger(TopicAuthorizer.class);

  private final DeviceTopics topics;
  private final String adminPrefix;
  private final LogLimit refusedLog = LogLimit.perMinute();
  private final LogLimit noFlagTopicLog = LogLimit.perMinute();

  TopicAuthorizer(DeviceTopics topics, String adminPrefix) {
    this.topics = topics;
    this.adminPrefix = adminPrefix + "/";
  }

  @Override
  public void authorizePublish(PublishAuthorizerInput input, PublishAuthorizerOutput output) {
    String topic = input.getPublishPacket().getTopic();
    if (!guards(topic)) {
      output.nextExtensionOrDefault();
    } else if (mayPublish(topic, input.getClientInformation().getClientId(),
        Operators.isOperator(input.getConnectionInformation()))) {
      output.authorizeSuccessfully();
    } else if (topic.startsWith(adminPrefix)) {
      refusedAdmin(input.getClientInformation().getClientId(), "publish to", topic);
      output.failAuthorization(AckReasonCode.NOT_AUTHORIZED, "only FleetFlags operators may publish to " + adminPrefix);
    } else {
      String why = "only FleetFlags publishes flags; a device may publish to its own /resync and /ack topics";
      refused(input.getClientInformation().getClientId(), "publish to", topic, why);
      output.failAuthorization(AckReasonCode.NOT_AUTHORIZED, why);
    }
  }

  /** Whether the topic is FleetFlags' to guard: under the admin prefix or in the device topic space. */
  boolean guards(String topic) {
    return topic.startsWith(adminPrefix) || topics.inSpace(topic);
  }

  /**
   * For a topic FleetFlags guards, whether this client may publish to it. The interceptors ask too
   * before they act on a publish: HiveMQ calls inbound interceptors before authorizers, and a
   * publish an interceptor consumes never reaches the authorizer.
   */
  boolean mayPublish(String topic, String clientId, boolean operator) {
    if (topic.startsWith(adminPrefix)) {
      return operator;
    }
    String device = topics.resyncDevice(topic);
    return (device != null && (operator || device.equals(clientId))) || topic.equals(topics.ackTopic(clientId));
  }

  /** What becomes of a subscription: granted, refused (with the reason), or left to the broker. */
  enum Subscribe {
    GRANTED,
    /** Its own flag topic, but its client id cannot form one (e.g. contains '/'). */
    NO_FLAG_TOPIC,
    OTHER_DEVICES,
    ADMIN_TOPICS,
    NOT_OURS
  }

  @Override
  public void authorizeSubscribe(SubscriptionAuthorizerInput input, SubscriptionAuthorizerOutput output) {
    String clientId = input.getClientInformation().getClientId();
    String filter = input.getSubscription().getTopicFilter();
    switch (subscribe(filter, clientId, Operators.isOperator(input.getConnectionInformation()))) {
      case GRANTED -> output.authorizeSuccessfully();
      case NO_FLAG_TOPIC -> {
        String problem = topics.clientIdProblem(clientId);
        LogLimit.Pass pass = noFlagTopicLog.admit(clientId);
        if (pass != null) {
          log.warn("Client '{}' cannot have a flag topic: {}; its subscription to {} is refused{}",
              clientId, problem, filter, pass.note());
        }
        output.failAuthorization(SubackReasonCode.NOT_AUTHORIZED,
            "client id '" + clientId + "' cannot have a flag topic: " + problem + "; connect with another client id");
      }
      case OTHER_DEVICES -> {
        String why = "a device may subscribe only to its own flag topic " + topics.flagTopic(clientId);
        refused(clientId, "subscribe to", filter, why);
        output.failAuthorization(SubackReasonCode.NOT_AUTHORIZED, why);
      }
      case ADMIN_TOPICS -> {
        refusedAdmin(clientId, "subscribe to", filter);
        output.failAuthorization(SubackReasonCode.NOT_AUTHORIZED,
            "only FleetFlags operators may subscribe to " + adminPrefix + " and its answers");
      }
      case NOT_OURS -> output.nextExtensionOrDefault();
    }
  }

  /**
   * The rule for a subscription. A client id that cannot form a flag topic (such as {@code +},
   * whose "own" topic is a filter over every device's) is refused its own topic with that reason;
   * whether a filter reaches other devices is asked before anything is granted.
   */
  Subscribe subscribe(String filter, String clientId, boolean operator) {
    if (operator) {
      return Subscribe.NOT_OURS;
    }
    if (filter.equals(topics.flagTopic(clientId)) && topics.clientIdProblem(clientId) != null) {
      return Subscribe.NO_FLAG_TOPIC;
    }
    if (topics.reachesOtherDevices(filter, clientId)) {
      return Subscribe.OTHER_DEVICES;
    }
    if (filter.equals(topics.flagTopic(clientId))) {
      return Subscribe.GRANTED;
    }
    if (filter.startsWith(adminPrefix)) {
      return Subscribe.ADMIN_TOPICS;
    }
    // Not even its own answer topic: answers go to a client id, and a client that has just taken
    // an operator's id over (before the operator's end is reported) would receive an answer meant
    // for the operator. Nor any filter reaching it (+/responses/<id>).
    if (DeviceTopics.matches(filter, adminPrefix + "responses/" + clientId)) {
      return Subscribe.ADMIN_TOPICS;
    }
    // The progress events are published to every subscriber, so a wildcard over them (+/progress,
    // which need not reach a device's topic) is refused too.
    if (DeviceTopics.matches(filter, adminPrefix + Topics.PROGRESS)) {
      return Subscribe.ADMIN_TOPICS;
    }
    return Subscribe.NOT_OURS;
  }

  private void refusedAdmin(String clientId, String what, String topic) {
    LogLimit.Pass pass = refusedLog.admit(clientId);
    if (pass != null) {
      log.warn("Refused: client '{}', not an operator, may not {} '{}'{}", clientId, what, topic, pass.note());
    }
  }

  /** A device's attempt on other devices' topics: one line per client a minute, as for the admin topics. */
  private void refused(String clientId, String what, String topic, String why) {
    LogLimit.Pass pass = refusedLog.admit(clientId);
    if (pass != null) {
      log.warn("Refused: client '{}' may not {} '{}': {}{}", clientId, what, topic, why, pass.note());
    }
  }
}
