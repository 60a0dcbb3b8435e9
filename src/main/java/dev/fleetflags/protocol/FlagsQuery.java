package dev.fleetflags.protocol;

import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** {@code query/flags}: definitions of the given flags, or of all when {@code flags} is null. */
public record FlagsQuery(@Nullable List<String> flags) implements Request {

  public FlagsQuery {
    flags = flags == null ? null : List.copyOf(flags);
  }

  @Override
  public String topic() {
    return Topics.FLAGS;
  }

  @Override
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    if (flags != null) {
      json.put("flags", flags);
    }
    return json;
  }

  public static Read<FlagsQuery> read(Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    Members.unknown(root, Set.of("flags"), problems);
    List<String> keys = root.containsKey("flags") ? Members.names(root, "flags", null, "flag", problems) : null;
    return new Read<>(new FlagsQuery(keys), problems);
  }
}
