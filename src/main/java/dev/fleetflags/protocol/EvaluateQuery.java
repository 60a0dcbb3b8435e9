package dev.fleetflags.protocol;

import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code query/evaluate}: a device's flag set, with "what if" registry attributes.
 *
 * @param device the device's client id
 * @param attributes attributes to assume over its registry record, or null
 */
public record EvaluateQuery(String device, @Nullable Map<String, Object> attributes) implements Request {

  public EvaluateQuery {
    attributes = attributes == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
  }

  @Override
  public String topic() {
    return Topics.EVALUATE;
  }

  @Override
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("device", device);
    if (attributes != null) {
      json.put("attributes", attributes);
    }
    return json;
  }

  public static Read<EvaluateQuery> read(Map<String, Object> root, Limits limits) {
    List<Problem> problems = new ArrayList<>();
    Members.unknown(root, Set.of("device", "attributes"), problems);
    Object device = root.get("device");
    if (!(device instanceof String id) || id.isEmpty()) {
      problems.add(new Problem("device", device == null ? "missing; give the device's client id" : "must be a non-empty client id"));
      return new Read<>(new EvaluateQuery("", null), problems);
    }
    Members.name("device", "device id", id, limits, problems);
    Object whatIf = root.get("attributes");
    Map<String, Object> assumed = null;
    if (whatIf instanceof Map<?, ?> given) {
      assumed = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : given.entrySet()) {
        String name = (String) e.getKey();
        Members.name(Json.path("attributes", name), "attribute name", name, limits, problems);
        if (e.getValue() != null) {
          Members.attributeValue(e.getValue(), Json.path("attributes", name), limits, problems);
        }
        assumed.put(name, e.getValue());
      }
    } else if (whatIf != null) {
      problems.add(new Problem("attributes", "must be an object of attributes to assume, found " + Json.kind(whatIf)));
    }
    return new Read<>(new EvaluateQuery(id, assumed), problems);
  }
}
