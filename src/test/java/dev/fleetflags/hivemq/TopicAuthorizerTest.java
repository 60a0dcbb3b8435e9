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

  @ParameterizedTest(name = "{0} by {1} (operator: {2}): {3}")
  @CsvSource({
    "flags/dev-1, dev-1, false, GRANTED",
    "flags/dev-2, dev-1, false, OTHER_DEVICES",
    "flags/+, dev-1, false, OTHER_DEVICES",
    "flags/#, dev-1, false, OTHER_DEVICES",
    // found by DeviceInputFuzzTest: these clients' own flag topics are filters over every device's
    "flags/+, +, false, NO_FLAG_TOPIC",
    "flags/#, #, false, NO_FLAG_TOPIC",
    "$share/g/flags/+, +, false, OTHER_DEVICES",
    "flags/+, ops-1, true, NOT_OURS",
    // An answer topic is an operator's, even the client's own: a client that took an operator's id
    // over would get the operator's answers (AdminIsolationTest found it).
    "flags-admin/responses/dev-1, dev-1, false, ADMIN_TOPICS",
    "flags-admin/+/dev-1, dev-1, false, ADMIN_TOPICS",
    "+/responses/dev-1, dev-1, false, OTHER_DEVICES",
    "flags-admin/responses/dev-1, dev-1, true, NOT_OURS",
    "flags-admin/responses/dev-2, dev-1, false, ADMIN_TOPICS",
    "sensors/#, dev-1, false, NOT_OURS",
  })
  void subscribe(String filter, String clientId, boolean operator, TopicAuthorizer.Subscribe expected) {
    assertEquals(expected, authorizer.subscribe(filter, clientId, operator));
  }

  /**
   * The progress events go to every subscriber, the answers to a client id: no filter of a
   * non-operator may reach either.
   */
  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({
    "flags-admin/progress, ADMIN_TOPICS",
    "+/progress, ADMIN_TOPICS",
    "$share/g/+/progress, ADMIN_TOPICS",
    "flags-admin/#, ADMIN_TOPICS",
    "flags-admin/responses/dev-1, ADMIN_TOPICS",
    "+/responses/dev-1, ADMIN_TOPICS",
    "+/other, NOT_OURS",
    "devices/dev-1/flags, GRANTED",
  })
  void progressEventsAreOperatorsOnly(String filter, TopicAuthorizer.Subscribe expected) {
    TopicAuthorizer elsewhere = new TopicAuthorizer(new DeviceTopics("devices/{clientId}/flags"), "flags-admin");
    assertEquals(expected, elsewhere.subscribe(filter, "dev-1", false));
    assertEquals(TopicAuthorizer.Subscribe.NOT_OURS, elsewhere.subscribe(filter, "ops-1", true));
  }

  @Test
  void aClientIdWithALineBreakHasItsTopicsGuarded() {
    // found by DeviceInputFuzzTest: '.' in the topic pattern stopped at line terminators
    for (String id : new String[] {"dev\n1", "dev\r1", "dev\u20281", "dev\u00851"}) {
      assertTrue(authorizer.guards("flags/" + id), id);
      assertTrue(authorizer.mayPublish("flags/" + id + "/resync", id, false), id);
      assertFalse(authorizer.mayPublish("flags/" + id, "dev-2", false), id);
    }
  }

  @Test
  void otherTopicsAreNotFleetFlagsToGuard() {
    assertFalse(authorizer.guards("sensors/dev-1/temperature"));
    assertFalse(authorizer.guards("flags-administration"));
    assertFalse(authorizer.guards("flags"));
  }
}
