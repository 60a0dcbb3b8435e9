package dev.fleetflags.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a flag service's stream sends its SDKs for the changes the harness makes, to set beside
 * FleetFlags' bytes.
 *
 * <p>LaunchDarkly's server-side stream (server-sent events) sends, on connect, a {@code put} event
 * with every flag's whole definition and, on a change, a {@code patch} event carrying the changed
 * flag's whole definition: {@code event: patch\ndata: {"path":"/flags/<key>","data":<flag>}}. The
 * flag JSON here follows LaunchDarkly's flag data model with the members and order its stream
 * sends (key, on, prerequisites, targets, contextTargets, rules, fallthrough, offVariation,
 * variations, clientSideAvailability, clientSide, salt, trackEvents, trackEventsFallthrough,
 * debugEventsUntilDate, version, deleted), translated from the flagd flag: variants become
 * {@code variations} in order; {@code defaultVariant} the {@code offVariation} and, without
 * targeting, the fallthrough; {@code fractional} a percentage rollout (weights in thousandths of a
 * percent); {@code if} with {@code in} / {@code sem_ver ">="} / {@code and} a rule with clauses
 * ({@code in}; {@code semVerLessThan} negated); its else branch the fallthrough. Optional members
 * LaunchDarkly may add (clause context kinds, rollout bucketBy and seed) are left out, which favours
 * LaunchDarkly. Salts and rule ids are 32 hex digits and a UUID, as LaunchDarkly makes them.
 *
 * <p>flagd's sync stream ({@code flagd.sync.v1.FlagSyncService/SyncFlags}) sends the whole flag
 * configuration as one JSON string on every change; counted here is that JSON, compact, without
 * the few bytes of gRPC framing.
 */
final class FlagServiceMessages {

  private static final ObjectMapper JSON = new ObjectMapper();

  private FlagServiceMessages() {}

  /** LaunchDarkly's {@code patch} event for a changed flag, as sent on the stream. */
  static String launchDarklyPatch(String key, JsonNode flagdFlag, int version) {
    ObjectNode data = JSON.createObjectNode();
    data.put("path", "/flags/" + key);
    data.set("data", launchDarklyFlag(key, flagdFlag, version));
    return "event: patch\ndata: " + text(data) + "\n\n";
  }

  /** LaunchDarkly's {@code put} event with every flag of a flagd document, as sent on connect. */
  static String launchDarklyPut(JsonNode flagdDocument, int version) {
    ObjectNode data = JSON.createObjectNode();
    data.put("path", "/");
    ObjectNode all = data.putObject("data");
    ObjectNode flags = all.putObject("flags");
    for (Iterator<Map.Entry<String, JsonNode>> it = flagdDocument.get("flags").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      flags.set(f.getKey(), launchDarklyFlag(f.getKey(), f.getValue(), version));
    }
    all.putObject("segments");
    return "event: put\ndata: " + text(data) + "\n\n";
  }

  /** What flagd's sync stream sends for any change: the whole configuration, compact JSON. */
  static String flagdSync(JsonNode flagdDocument) {
    return text(flagdDocument);
  }

  static int bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }

  /** The LaunchDarkly flag equivalent to a flagd flag of the shapes the harness uses. */
  static ObjectNode launchDarklyFlag(String key, JsonNode flagd, int version) {
    List<String> variants = new ArrayList<>();
    flagd.get("variants").fieldNames().forEachRemaining(variants::add);
    int defaultVariation = variants.indexOf(flagd.get("defaultVariant").asText());
    ObjectNode ld = JSON.createObjectNode();
    ld.put("key", key);
    ld.put("on", flagd.path("state").asText("ENABLED").equals("ENABLED"));
    ld.putArray("prerequisites");
    ld.putArray("targets");
    ld.putArray("contextTargets");
    ArrayNode rules = ld.putArray("rules");
    JsonNode targeting = flagd.get("targeting");
    JsonNode fallthrough;
    if (targeting == null || targeting.isEmpty()) {
      fallthrough = variation(defaultVariation);
    } else if (targeting.has("if")) {
      JsonNode branches = targeting.get("if");
      if (branches.size() != 3) {
        throw unsupported(key, targeting);
      }
      ObjectNode rule = rules.addObject();
      rule.put("id", UUID.nameUUIDFromBytes((key + "/rule/0").getBytes(StandardCharsets.UTF_8))
          .toString());
      rule.put("variation", variants.indexOf(branches.get(1).asText()));
      ArrayNode clauses = rule.putArray("clauses");
      JsonNode condition = branches.get(0);
      for (JsonNode c : condition.has("and") ? condition.get("and") : List.of(condition)) {
        clauses.add(clause(key, c));
      }
      rule.put("trackEvents", false);
      fallthrough = serve(key, branches.get(2), variants);
    } else {
      fallthrough = serve(key, targeting, variants);
    }
    ld.set("fallthrough", fallthrough);
    ld.put("offVariation", defaultVariation);
    ArrayNode variations = ld.putArray("variations");
    for (String v : variants) {
      variations.add(flagd.get("variants").get(v));
    }
    ObjectNode availability = ld.putObject("clientSideAvailability");
    availability.put("usingMobileKey", false);
    availability.put("usingEnvironmentId", false);
    ld.put("clientSide", false);
    ld.put(
        "salt",
        UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString().replace("-", ""));
    ld.put("trackEvents", false);
    ld.put("trackEventsFallthrough", false);
    ld.putNull("debugEventsUntilDate");
    ld.put("version", version);
    ld.put("deleted", false);
    return ld;
  }

  /** A variant name, or a {@code fractional} split as a percentage rollout. */
  private static JsonNode serve(String key, JsonNode branch, List<String> variants) {
    if (branch.isTextual()) {
      return variation(variants.indexOf(branch.asText()));
    }
    if (!branch.has("fractional")) {
      throw unsupported(key, branch);
    }
    JsonNode split = branch.get("fractional");
    int total = 0;
    for (JsonNode bucket : split) {
      total += bucket.get(1).asInt();
    }
    ObjectNode serve = JSON.createObjectNode();
    ArrayNode weighted = serve.putObject("rollout").putArray("variations");
    for (JsonNode bucket : split) {
      ObjectNode v = weighted.addObject();
      v.put("variation", variants.indexOf(bucket.get(0).asText()));
      v.put("weight", bucket.get(1).asInt() * 100_000 / total);
    }
    return serve;
  }

  private static ObjectNode clause(String key, JsonNode condition) {
    ObjectNode clause = JSON.createObjectNode();
    if (condition.has("in")) {
      JsonNode in = condition.get("in");
      clause.put("attribute", in.get(0).get("var").asText());
      clause.put("op", "in");
      clause.set("values", in.get(1));
      clause.put("negate", false);
    } else if (condition.has("sem_ver") && condition.get("sem_ver").get(1).asText().equals(">=")) {
      JsonNode semVer = condition.get("sem_ver");
      clause.put("attribute", semVer.get(0).get("var").asText());
      clause.put("op", "semVerLessThan");
      clause.putArray("values").add(semVer.get(2));
      clause.put("negate", true);
    } else {
      throw unsupported(key, condition);
    }
    return clause;
  }

  private static ObjectNode variation(int index) {
    return JSON.createObjectNode().put("variation", index);
  }

  private static IllegalArgumentException unsupported(String key, JsonNode targeting) {
    return new IllegalArgumentException(
        "flag " + key + ": no LaunchDarkly translation here for " + targeting);
  }

  private static String text(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
