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
 * {@code devices/attributes}: upsert registry attributes.
 *
 * @param devices by device id, the attributes to set (a null value removes that attribute), or
 *     null to remove the device's record
 */
public record AttributesWrite(Map<String, @Nullable Map<String, @Nullable Object>> devices, @Nullable Long expectedRevision,
    boolean dryRun) implements Request {

  /** Devices one request may name. */
  public static final int MAX_DEVICES = 10_000;
  /** Attribute names the registry may not hold: the targeting key is the client id. */
  public static final Set<String> RESERVED = Set.of("targetingKey", "$flagd");

  public AttributesWrite {
    Map<String, @Nullable Map<String, @Nullable Object>> copy = new LinkedHashMap<>();
    devices.forEach((id, attributes) -> copy.put(id, attributes == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(attributes))));
    devices = Collections.unmodifiableMap(copy);
  }

  @Override
  public String topic() {
    return Topics.DEVICE_ATTRIBUTES;
  }

  @Override
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("devices", devices);
    Writes.options(json, expectedRevision, dryRun);
    return json;
  }

  public static Read<AttributesWrite> read(Map<String, Object> root, Limits limits) {
    List<Problem> problems = new ArrayList<>();
    Long expected = Members.expectedRevision(root, problems);
    boolean dryRun = Members.dryRun(root, problems);
    Members.unknown(root, Set.of("devices", "expectedRevision", "dryRun"), problems);
    Object devicesJson = root.get("devices");
    Map<String, @Nullable Map<String, @Nullable Object>> devices = new LinkedHashMap<>();
    if (!(devicesJson instanceof Map<?, ?> given) || given.isEmpty()) {
      problems.add(new Problem("devices", devicesJson == null
          ? "missing; give attributes by device id, e.g. {\"devices\": {\"dev-1\": {\"model\": \"th-100\"}}}"
          : "must be a non-empty object of attributes by device id, found " + Json.kind(devicesJson)));
    } else if (given.size() > MAX_DEVICES) {
      problems.add(new Problem("devices", "has " + given.size() + " devices, more than the limit of " + MAX_DEVICES + " per request"));
    } else {
      for (Map.Entry<?, ?> e : given.entrySet()) {
        String id = (String) e.getKey();
        String path = Json.path("devices", id);
        Members.name(path, "device id", id, limits, problems);
        Object update = e.getValue();
        if (update == null) {
          devices.put(id, null);
        } else if (!(update instanceof Map<?, ?> attributes)) {
          problems.add(new Problem(path, "must be an object of attributes, or null to remove the device, found " + Json.kind(update)));
        } else {
          Map<String, @Nullable Object> kept = new LinkedHashMap<>();
          for (Map.Entry<?, ?> a : attributes.entrySet()) {
            String name = (String) a.getKey();
            String attributePath = Json.path(path, name);
            Members.name(attributePath, "attribute name", name, limits, problems);
            if (RESERVED.contains(name)) {
              problems.add(new Problem(attributePath, Json.quote(name) + " is reserved; the targeting key is the client id"));
            } else if (a.getValue() == null || Members.attributeValue(a.getValue(), attributePath, limits, problems)) {
              kept.put(name, a.getValue());
            }
          }
          devices.put(id, kept);
        }
      }
    }
    return new Read<>(new AttributesWrite(devices, expected, dryRun), problems);
  }
}
