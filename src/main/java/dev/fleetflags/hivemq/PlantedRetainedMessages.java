package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retained messages in FleetFlags' topics (device topic space, admin prefix): FleetFlags retains
 * nothing and refuses others' publishes there, so any were planted while it was not running, and a
 * device must never get one.
 */
final class PlantedRetainedMessages {

  private static final Logger log = LoggerFactory.getLogger(PlantedRetainedMessages.class);

  private PlantedRetainedMessages() {}

  /**
   * Removes them. HiveMQ iterates its retained store in chunks on its own threads, so a large store
   * does not hold up the start; devices' subscriptions to their own topics get no retained messages
   * meanwhile ({@link DeviceInterceptors}).
   */
  static void remove(TopicAuthorizer authorizer) {
    RetainedMessageStore retained = Services.retainedMessageStore();
    AtomicInteger removed = new AtomicInteger();
    List<String> examples = new CopyOnWriteArrayList<>();
    retained.iterateAllRetainedMessages((context, message) -> {
      String topic = message.getTopic();
      if (authorizer.guards(topic)) {
        retained.remove(topic);
        if (removed.getAndIncrement() < 5) {
          examples.add(topic);
        }
      }
    }).whenComplete((done, failure) -> {
      if (failure != null) {
        log.error("Could not clear retained messages from FleetFlags' topics: {}; subscriptions to their own"
            + " topics still get none", failure.toString());
      } else if (removed.get() > 0) {
        log.warn("Removed {} retained messages from FleetFlags' topics ({}{}): they were published while FleetFlags"
            + " was not running; see the README on keeping its topics closed meanwhile",
            removed.get(), String.join(", ", examples), removed.get() > examples.size() ? ", ..." : "");
      } else {
        log.info("No retained messages in FleetFlags' topics.");
      }
    });
  }
}
