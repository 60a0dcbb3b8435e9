package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Who may publish to FleetFlags' topics. The interceptors consult the same rule before acting on a
 * publish (HiveMQ calls them before the authorizer), so a non-operator's admin request is refused
 * rather than carried out.
 */
class TopicAuthorizerTest {

  private final TopicAuthorizer authorizer =
      new TopicAuthorizer(new DeviceTopics("flags/{clientId}"), "flags-admin");

  @ParameterizedTest(name = "{0} by {1} (operator: {2}): {3}")
  @CsvSource({
    "flags-admin/flags/apply, dev-1, false, false",
    "flags-admin/flags/apply, ops-1, true, true",
    "flags-admin/query/flags, dev-1, false, false",
    "flags-admin/no/such/topic, dev-1, false, false",
    "flags-admin/no/such/topic, ops-1, true, true",
    "flags/dev-1/resync, dev-1, false, true",
    "flags/dev-2/resync, dev-1, false, false",
    "flags/dev-2/resync, ops-1, true, true",
    "flags/dev-1/ack, dev-1, false, true",
    "flags/dev-2/ack, dev-1, false, false",
    "flags/dev-2/ack, ops-1, true, false",
    "flags/dev-1, dev-1, false, false",
    "flags/dev-1, ops-1, true, false",
    "flags/dev-1/other, dev-1, false, false",
  })
  void mayPublish(String topic, String clientId, boolean operator, boolean allowed) {
    assertTrue(authorizer.guards(topic));
    assertEquals(allowed, authorizer.mayPublish(topic, clientId, operator));
  }

  @Test
  void otherTopicsAreNotFleetFlagsToGuard() {
    assertFalse(authorizer.guards("sensors/dev-1/temperature"));
    assertFalse(authorizer.guards("flags-administration"));
    assertFalse(authorizer.guards("flags"));
  }
}
