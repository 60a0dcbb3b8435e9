package dev.fleetflags.protocol;

import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An answer as the operator receives it: {@code status} ({@code accepted}, {@code rejected},
 * {@code ok} or {@code error}) and the members that follow it. The typed views ({@link
 * WriteAnswer}, {@link EvaluateAnswer}, ...) read the members of each kind of answer.
 */
public record Answer(String status, Map<String, Object> body) {

  public static final String ACCEPTED = "accepted";
  public static final String REJECTED = "rejected";
  public static final String OK = "ok";
  public static final String ERROR = "error";

  public Answer {
    body = Collections.unmodifiableMap(new LinkedHashMap<>(body));
  }

  /**
   * Reads an answer's JSON.
   *
   * @throws InvalidDocumentException if it is not JSON or not an object with a status
   */
  public static Answer read(byte[] json) throws InvalidDocumentException {
    Object value = Json.parse(json, Limits.DEFAULT);
    if (!(value instanceof Map<?, ?> map) || !(map.get("status") instanceof String status)) {
      throw new InvalidDocumentException(new Problem("status", "an answer is a JSON object with a status, found " + Json.kind(value)));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    map.forEach((k, v) -> {
      if (!"status".equals(k)) {
        body.put((String) k, v);
      }
    });
    return new Answer(status, body);
  }

  /** The problems of a rejection, each with its location. */
  public List<Problem> problems() {
    List<Problem> problems = new ArrayList<>();
    if (body.get("problems") instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> p) {
          problems.add(new Problem(String.valueOf(p.get("location")), String.valueOf(p.get("reason"))));
        }
      }
    }
    return problems;
  }

  /** The reason of an error. */
  public @Nullable String reason() {
    return string(body, "reason");
  }

  public @Nullable String note() {
    return string(body, "note");
  }

  /** The revision the answer names (the new one of a write, the current one otherwise), or -1. */
  public long revision() {
    return number(body, "revision", -1);
  }

  static @Nullable String string(Map<?, ?> json, String member) {
    return json.get(member) instanceof String s ? s : null;
  }

  static long number(Map<?, ?> json, String member, long otherwise) {
    return json.get(member) instanceof Number n ? n.longValue() : otherwise;
  }

  static List<String> strings(Map<?, ?> json, String member) {
    List<String> list = new ArrayList<>();
    if (json.get(member) instanceof List<?> items) {
      for (Object item : items) {
        list.add(String.valueOf(item));
      }
    }
    return list;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Map<?, ?> json, String member) {
    return json.get(member) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }
}
