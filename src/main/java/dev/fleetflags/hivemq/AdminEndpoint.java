package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import dev.fleetflags.delivery.LogLimit;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.publish.PayloadFormatIndicator;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.publish.PublishService;
import dev.fleetflags.admin.AdminAction;
import dev.fleetflags.admin.AdminRequest;
import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.admin.FlagAdmin;
import dev.fleetflags.protocol.ProgressEvent;
import dev.fleetflags.protocol.Topics;
import dev.fleetflags.rules.Json;
import java.nio.charset.StandardCharsets;
import dev.fleetflags.store.Actor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin requests as they arrive over MQTT: the publish is kept from other subscribers, checked for
 * size and for its operator's rate on the broker thread, handed to the single admin thread, and
 * answered on the MQTT 5 response topic with the correlation data, or on {@code
 * <prefix>/responses/<clientId>}. The answer goes to the connection that asked only: if another
 * connection has its client id by then, or none, the answer is dropped (and logged).
 */
final class AdminEndpoint {

  private static final Logger log = LoggerFactory.getLogger(AdminEndpoint.class);

  private final FlagAdmin admin;
  private final ExecutorService adminThread;
  private final PublishService publishService;
  private final String prefix;
  private final int maxPayloadBytes;
  private final AdminRateLimit rateLimit;
  private final BrokerMetrics metrics;
  private final OperatorConnections askers;
  private final LogLimit rateLog = LogLimit.perMinute();
  private final LogLimit droppedLog = LogLimit.perMinute();
  private final LogLimit responseTopicLog = LogLimit.perMinute();
  private final LogLimit progressLog = LogLimit.perMinute();
  /** Requests rejected or not carried out for what they are (the rate and the response topic have their own). */
  private final LogLimit rejectedLog = LogLimit.perMinute();
  /** Problems of a rejected request that its log line names; the rest are counted. */
  static final int PROBLEMS_LOGGED = 3;

  AdminEndpoint(FlagAdmin admin, ExecutorService adminThread, PublishService publishService, String prefix, int maxPayloadBytes,
      AdminRateLimit rateLimit, BrokerMetrics metrics, OperatorConnections askers) {
    this.admin = admin;
    this.adminThread = adminThread;
    this.publishService = publishService;
    this.prefix = prefix;
    this.maxPayloadBytes = maxPayloadBytes;
    this.rateLimit = rateLimit;
    this.metrics = metrics;
    this.askers = askers;
  }

  /**
   * Why an answer cannot be published to a response topic, or null if it can: a topic with a
   * wildcard or none at all is no topic, and one starting with '$' is the broker's ($SYS/...).
   */
  static @Nullable String unusableResponseTopic(String topic) {
    if (topic.isEmpty()) {
      return "is empty";
    }
    if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) {
      return "contains a wildcard ('+' or '#'), which a topic to publish to cannot";
    }
    if (topic.startsWith("$")) {
      return "starts with '$': such topics are the broker's, and answers are not published there";
    }
    if (topic.indexOf('\u0000') >= 0) {
      return "contains the character U+0000, which MQTT forbids in topics";
    }
    return null;
  }

  /** The topic on which MQTT 3.1.1 clients (and MQTT 5 clients without a response topic) get answers. */
  String responsesTopic(String clientId) {
    return prefix + "/responses/" + clientId;
  }

  void handle(PublishInboundInput input, PublishInboundOutput output) {
    PublishPacket publish = input.getPublishPacket();
    String clientId = input.getClientInformation().getClientId();
    String suffix = publish.getTopic().substring(prefix.length() + 1);
    if (suffix.startsWith("responses/")) {
      return; // an answer topic; nothing for us to do
    }
    output.preventPublishDelivery(AckReasonCode.SUCCESS);
    String responseTopic = publish.getResponseTopic().orElse(null);
    String unusable = responseTopic == null ? null : unusableResponseTopic(responseTopic);
    Reply reply = new Reply(clientId, askers.current(clientId), unusable == null && responseTopic != null ? responseTopic : responsesTopic(clientId),
        publish.getCorrelationData().orElse(null));
    if (unusable != null) {
      LogLimit.Pass pass = responseTopicLog.admit(clientId);
      if (pass != null) {
        log.warn("Admin client '{}' asked for its answer on '{}', which {}; refused on {}{}", clientId, responseTopic,
            unusable, reply.topic, pass.note());
      }
      answer(reply, AdminResponse.rejected("responseTopic", "the response topic \"" + responseTopic + "\" " + unusable
          + "; nothing was carried out (this answer goes to " + reply.topic + ")"));
      return;
    }
    AdminAction action = AdminAction.forSuffix(suffix);
    String username = Operators.username(input.getConnectionInformation());
    // An unknown topic costs an answer, as a query does.
    AdminRateLimit.Kind kind = action != null && action.isWrite() ? AdminRateLimit.Kind.WRITES : AdminRateLimit.Kind.QUERIES;
    if (!rateLimit.tryAcquire(username != null ? "username " + username : "client " + clientId, kind)) {
      metrics.adminRejectedByRate();
      LogLimit.Pass pass = rateLog.admit(clientId);
      if (pass != null) {
        log.warn("Admin {} of client '{}' refused: over its operator's limit of {} per second ({}){}", kind.words(), clientId,
            rateLimit.perSecond(kind), kind.setting(), pass.note());
      }
      answer(reply, AdminResponse.rejected("", "too many admin " + kind.words() + " from this operator: the limit is "
          + rateLimit.perSecond(kind) + " per second per operator (" + kind.setting() + "); retry shortly"));
      return;
    }
    if (action == null) {
      List<String> known = new ArrayList<>();
      for (AdminAction a : AdminAction.values()) {
        known.add(prefix + "/" + a.suffix());
      }
      rejected(reply, username, publish.getTopic(), AdminResponse.rejected("topic", "unknown admin topic \""
          + publish.getTopic() + "\"; the admin topics are " + String.join(", ", known)));
      return;
    }
    ByteBuffer buffer = publish.getPayload().orElse(ByteBuffer.allocate(0));
    if (buffer.remaining() > maxPayloadBytes) {
      rejected(reply, username, publish.getTopic(), AdminResponse.rejected("", "the request is " + buffer.remaining()
          + " bytes, more than the limit of " + maxPayloadBytes + " bytes (limits/max-document-bytes)"));
      return;
    }
    byte[] payload = new byte[buffer.remaining()];
    buffer.duplicate().get(payload);
    Actor actor = new Actor(clientId, username);
    AdminRequest request = new AdminRequest(action, payload, actor);
    try {
      adminThread.execute(() -> {
        long started = System.nanoTime();
        // A write's answer may come later, from delivery's planner: the admin thread goes on.
        admin.handleAsync(request).whenComplete((response, failure) -> {
          AdminResponse answer = response != null ? response
              : AdminResponse.error("the extension failed to handle the request: " + failure);
          metrics.adminRequest(action, answer, System.nanoTime() - started);
          if (answer.status().equals("rejected")) {
            logRejected(reply.clientId, username, publish.getTopic(), answer);
          }
          answer(reply, answer);
        });
      });
    } catch (RejectedExecutionException e) {
      rejected(reply, username, publish.getTopic(),
          AdminResponse.error("the admin queue is full; nothing was changed; retry shortly"));
    }
  }

  /**
   * Publishes a fan-out's progress on {@code <prefix>/progress}, where only operators may
   * subscribe (QoS 1, never retained). Called on delivery's threads; the publish is asynchronous.
   */
  void progress(ProgressEvent event) {
    String topic = prefix + "/" + Topics.PROGRESS;
    var publish = Builders.publish()
        .topic(topic)
        .qos(Qos.AT_LEAST_ONCE)
        .payload(ByteBuffer.wrap(Json.write(event.toJson()).getBytes(StandardCharsets.UTF_8)))
        .contentType("application/json")
        .payloadFormatIndicator(PayloadFormatIndicator.UTF_8)
        .build();
    publishService.publish(publish).whenComplete((result, failure) -> {
      if (failure != null) {
        LogLimit.Pass pass = progressLog.admit(topic);
        if (pass != null) {
          log.warn("Could not publish fan-out progress on '{}': {}{}", topic, failure.toString(), pass.note());
        }
      }
    });
  }

  /** Answers a request that is not carried out, and logs it (at most once per client a minute). */
  private void rejected(Reply reply, @Nullable String username, String topic, AdminResponse response) {
    logRejected(reply.clientId, username, topic, response);
    answer(reply, response);
  }

  /**
   * Logs who was refused what and why, at most once per client a minute (with how many were held
   * back): a client that sends bad requests in a loop cannot fill the log.
   */
  private void logRejected(String clientId, @Nullable String username, String topic, AdminResponse response) {
    LogLimit.Pass pass = rejectedLog.admit(clientId);
    if (pass != null) {
      log.warn("Admin request of client '{}'{} to '{}' {}: {}{}", clientId, username == null ? "" : " (user '" + username + "')",
          topic, response.status().equals("rejected") ? "rejected" : "not carried out", why(response), pass.note());
    }
  }

  /** The answer's problems as a line (the first {@link #PROBLEMS_LOGGED}, then how many more), or its reason. */
  static String why(AdminResponse response) {
    if (!(response.body().get("problems") instanceof List<?> problems)) {
      return String.valueOf(response.body().getOrDefault("reason", response.status()));
    }
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < Math.min(problems.size(), PROBLEMS_LOGGED); i++) {
      if (problems.get(i) instanceof Map<?, ?> problem) {
        Object location = problem.get("location");
        line.append(i > 0 ? "; " : "")
            .append(location == null || location.toString().isEmpty() ? "" : location + ": ")
            .append(problem.get("reason"));
      }
    }
    if (problems.size() > PROBLEMS_LOGGED) {
      line.append("; and ").append(problems.size() - PROBLEMS_LOGGED).append(" more problems");
    }
    return line.toString();
  }

  private void answer(Reply reply, AdminResponse response) {
    if (reply.asker == null || askers.current(reply.clientId) != reply.asker) {
      // Published to the client id, it would reach whichever connection has the id now.
      metrics.adminAnswerDropped();
      LogLimit.Pass pass = droppedLog.admit(reply.clientId);
      if (pass != null) {
        log.info("Answer to admin client '{}' dropped: the connection that asked has ended{}", reply.clientId, pass.note());
      }
      return;
    }
    var builder = Builders.publish()
        .topic(reply.topic)
        .qos(Qos.AT_LEAST_ONCE)
        .payload(ByteBuffer.wrap(response.toJson()))
        .contentType("application/json")
        .payloadFormatIndicator(PayloadFormatIndicator.UTF_8);
    if (reply.correlation != null) {
      builder.correlationData(reply.correlation);
    }
    publishService.publishToClient(builder.build(), reply.clientId).whenComplete((result, failure) -> {
      if (failure != null) {
        log.warn("Could not answer admin client '{}' on '{}': {}", reply.clientId, reply.topic, failure.toString());
      }
    });
  }

  /** Where an answer goes; {@code asker} is the asking connection, null if it had ended already. */
  private record Reply(String clientId, @Nullable Object asker, String topic, @Nullable ByteBuffer correlation) {}
}
