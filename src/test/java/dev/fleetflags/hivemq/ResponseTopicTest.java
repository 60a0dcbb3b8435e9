package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Response topics an answer cannot be published to are named, and answered on the default topic. */
class ResponseTopicTest {

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "$SYS/answers", "$share/g/x", "answers/+", "answers/#", "#", "a\u0000b"})
  void unusable(String topic) {
    assertNotNull(AdminEndpoint.unusableResponseTopic(topic));
  }

  @Test
  void usable() {
    assertNull(AdminEndpoint.unusableResponseTopic("flags-admin/responses/ops-1"));
    assertNull(AdminEndpoint.unusableResponseTopic("ops/answers/$1"));
  }
}
