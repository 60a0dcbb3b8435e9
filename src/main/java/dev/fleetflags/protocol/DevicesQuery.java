package dev.fleetflags.protocol;

import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code query/devices}: the devices connected to this broker, by client id, a page at a time.
 *
 * @param flag only devices whose set holds this flag (with {@code value}: with that value)
 * @param value with {@code flag}, the value the flag must have for the device; null for any
 * @param limit devices in one page
 * @param cursor the {@code nextCursor} of the previous page; null for the first
 */
public record DevicesQuery(@Nullable String flag, @Nullable Object value, int limit, @Nullable String cursor)
    implements Request {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  @Override
  public String topic() {
    return Topics.DEVICES;
  }

  @Override
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    if (flag != null) {
      json.put("flag", flag);
    }
    if (value != null) {
      json.put("value", value);
    }
    json.put("limit", (long) limit);
    if (cursor != null) {
      json.put("cursor", cursor);
    }
    return json;
  }

  public static Read<DevicesQuery> read(Map<String, Object> root, Limits limits) {
    List<Problem> problems = new ArrayList<>();
    Members.unknown(root, Set.of("flag", "value", "limit", "cursor"), problems);
    String flag = null;
    Object f = root.get("flag");
    if (f instanceof String key) {
      Members.name("flag", "flag key", key, limits, problems);
      flag = key;
    } else if (f != null) {
      problems.add(new Problem("flag", "must be a flag key, found " + Json.kind(f)));
    }
    Object value = root.get("value");
    if (value != null && flag == null && f == null) {
      problems.add(new Problem("value", "needs \"flag\": the value is that flag's"));
    }
    int limit = Members.whole(root, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT, problems);
    String cursor = null;
    Object c = root.get("cursor");
    if (c instanceof String s) {
      cursor = s;
    } else if (c != null) {
      problems.add(new Problem("cursor", "must be the nextCursor of the previous page, found " + Json.kind(c)));
    }
    return new Read<>(new DevicesQuery(flag, value, limit, cursor), problems);
  }
}
