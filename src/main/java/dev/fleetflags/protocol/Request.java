package dev.fleetflags.protocol;

import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** An admin request: the topic it is published to (below the admin prefix) and its JSON. */
public sealed interface Request
    permits DocumentWrite, DeleteRequest, AttributesWrite, RevertRequest, EvaluateQuery, FlagsQuery, HistoryQuery,
        DevicesQuery, ComplianceQuery, PlanRequest {

  /** The topic below the admin prefix, e.g. {@code flags/apply}. */
  String topic();

  /** The request as JSON (as {@code Json} reads and writes it). */
  Map<String, Object> toJson();

  /**
   * A request's payload as the JSON object every request is; malformed JSON (by line and column),
   * a limit exceeded, an empty payload or anything but an object is thrown with its problem.
   */
  static Map<String, Object> object(byte[] payload, Limits limits) throws InvalidDocumentException {
    return Members.object(payload, limits);
  }

  /** The payload to publish. */
  default byte[] payload() {
    return Json.write(toJson()).getBytes(StandardCharsets.UTF_8);
  }
}
