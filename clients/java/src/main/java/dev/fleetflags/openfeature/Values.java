package dev.fleetflags.openfeature;

import dev.openfeature.sdk.ImmutableStructure;
import dev.openfeature.sdk.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Plain JSON values (as {@code JsonText} reads them) as OpenFeature values. */
final class Values {

  private Values() {}

  static Value of(@Nullable Object json) {
    if (json == null) {
      return new Value();
    }
    if (json instanceof Map<?, ?> members) {
      Map<String, Value> structure = new LinkedHashMap<>();
      members.forEach((k, v) -> structure.put((String) k, of(v)));
      return new Value(new ImmutableStructure(structure));
    }
    if (json instanceof List<?> elements) {
      List<Value> list = new ArrayList<>(elements.size());
      elements.forEach(e -> list.add(of(e)));
      return new Value(list);
    }
    if (json instanceof String s) {
      return new Value(s);
    }
    if (json instanceof Boolean b) {
      return new Value(b);
    }
    if (json instanceof Long l) {
      return new Value(l);
    }
    if (json instanceof Double d) {
      return new Value(d);
    }
    throw new IllegalArgumentException("not a JSON value: " + json.getClass());
  }
}
