package dev.fleetflags.conformance;

import dev.fleetflags.rules.FlagType;
import dev.openfeature.contrib.providers.flagd.Config;
import dev.openfeature.contrib.providers.flagd.FlagdOptions;
import dev.openfeature.contrib.providers.flagd.FlagdProvider;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.ImmutableStructure;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.Value;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The flagd Java provider, in-process on an offline flag file (FILE mode), behind the OpenFeature
 * SDK as an application would use it; answers are turned into plain values comparable with
 * FleetFlags' (integers as Long, objects as maps).
 */
final class FlagdJavaProvider implements AutoCloseable {

  /** A provider's resolution details, normalized. */
  record Answer(@Nullable Object value, @Nullable String variant, @Nullable String reason, @Nullable String errorCode) {}

  private final OpenFeatureAPI api = OpenFeatureAPI.getInstance();
  private final Client client;

  FlagdJavaProvider(Path flagFile, String domain) {
    FlagdOptions options =
        FlagdOptions.builder()
            .resolverType(Config.Resolver.FILE)
            .offlineFlagSourcePath(flagFile.toString())
            // Generous: the machine is shared; a slow start must not fail the test.
            .deadline(60_000)
            .build();
    api.setProviderAndWait(domain, new FlagdProvider(options));
    this.client = api.getClient(domain);
  }

  Answer resolve(String key, FlagType type, Object fallback, @Nullable String targetingKey, Map<String, Object> attributes) {
    EvaluationContext context = new ImmutableContext(targetingKey, values(attributes));
    FlagEvaluationDetails<?> d =
        switch (type) {
          case BOOLEAN -> client.getBooleanDetails(key, (Boolean) fallback, context);
          case STRING -> client.getStringDetails(key, (String) fallback, context);
          case INTEGER -> client.getIntegerDetails(key, Math.toIntExact((Long) fallback), context);
          case FLOAT -> client.getDoubleDetails(key, (Double) fallback, context);
          case OBJECT -> client.getObjectDetails(key, value(fallback), context);
        };
    return new Answer(plain(d.getValue()), d.getVariant(), d.getReason(), d.getErrorCode() == null ? null : d.getErrorCode().name());
  }

  @Override
  public void close() {
    api.shutdown();
  }

  private static Map<String, Value> values(Map<String, Object> attributes) {
    Map<String, Value> out = new LinkedHashMap<>();
    attributes.forEach((k, v) -> out.put(k, value(v)));
    return out;
  }

  private static Value value(@Nullable Object v) {
    if (v == null) {
      return new Value();
    }
    if (v instanceof String s) {
      return new Value(s);
    }
    if (v instanceof Boolean b) {
      return new Value(b);
    }
    if (v instanceof Long l) {
      // As an int where it fits: a Long attribute makes the provider fail every targeted flag with
      // ERROR/GENERAL (found by this test), which would drown the comparison of evaluation itself.
      return l == l.intValue() ? new Value(l.intValue()) : new Value(l);
    }
    if (v instanceof Integer i) {
      return new Value(i);
    }
    if (v instanceof Double d) {
      return new Value(d);
    }
    if (v instanceof List<?> list) {
      List<Value> out = new ArrayList<>();
      list.forEach(e -> out.add(value(e)));
      return new Value(out);
    }
    if (v instanceof Map<?, ?> map) {
      Map<String, Value> out = new LinkedHashMap<>();
      map.forEach((k, e) -> out.put(String.valueOf(k), value(e)));
      return new Value(new ImmutableStructure(out));
    }
    throw new IllegalArgumentException("no OpenFeature value for " + v.getClass());
  }

  /** Plain Java values: Boolean, String, Long, Double, List, Map. */
  static @Nullable Object plain(@Nullable Object v) {
    if (v instanceof Value value) {
      if (value.isNull()) {
        return null;
      }
      if (value.isStructure()) {
        Map<String, Object> out = new LinkedHashMap<>();
        value.asStructure().asMap().forEach((k, e) -> out.put(k, plain(e)));
        return out;
      }
      if (value.isList()) {
        List<Object> out = new ArrayList<>();
        value.asList().forEach(e -> out.add(plain(e)));
        return out;
      }
      return plain(value.asObject());
    }
    if (v instanceof Integer || v instanceof Long || v instanceof Short) {
      return ((Number) v).longValue();
    }
    if (v instanceof Float f) {
      return f.doubleValue();
    }
    if (v instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, e) -> out.put(String.valueOf(k), plain(e)));
      return out;
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(e -> out.add(plain(e)));
      return out;
    }
    return v;
  }
}
