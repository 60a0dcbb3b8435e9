package dev.fleetflags.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The answer to {@code query/evaluate}.
 *
 * @param device the client id
 * @param connected whether it is connected to the broker that answered
 * @param revision the revision evaluated
 * @param stateHash the state hash of its set (8 hex digits)
 * @param attributes the attributes targeting saw
 * @param flags every flag's result, by key
 */
public record EvaluateAnswer(String device, boolean connected, long revision, String stateHash, Map<String, Object> attributes,
    Map<String, Result> flags) {

  /** One flag's result: a null value means the device uses its built-in default. */
  public record Result(@Nullable Object value, @Nullable String variant, String reason, @Nullable String errorCode) {}

  public static EvaluateAnswer of(Answer answer) {
    var body = answer.body();
    Map<String, Result> flags = new LinkedHashMap<>();
    Answer.object(body, "flags").forEach((key, r) -> {
      Map<?, ?> result = r instanceof Map<?, ?> m ? m : Map.of();
      flags.put(key, new Result(result.get("value"), Answer.string(result, "variant"), String.valueOf(result.get("reason")),
          Answer.string(result, "errorCode")));
    });
    return new EvaluateAnswer(String.valueOf(body.get("device")), Boolean.TRUE.equals(body.get("connected")), answer.revision(),
        String.valueOf(body.get("stateHash")), Answer.object(body, "attributes"), flags);
  }
}
