package dev.fleetflags.store;

import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/** Building blocks shared by the store tests. */
final class StoreFixtures {

  static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
  static final Actor OPERATOR = new Actor("ops-console", "alice");

  private StoreFixtures() {}

  static StoreSettings settings(int registryCacheSize, int historyLimit) {
    return new StoreSettings(registryCacheSize, historyLimit, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  static StoreSettings settings() {
    return settings(1_000, 100);
  }

  /** One flag definition from its flagd JSON. */
  static FlagDefinition flag(String key, String json) {
    try {
      var result = new FlagDocumentParser(Limits.DEFAULT)
          .parse(("{\"flags\": {\"" + key + "\": " + json + "}}").getBytes(StandardCharsets.UTF_8));
      if (!result.problems().isEmpty()) {
        throw new IllegalArgumentException(result.problems().toString());
      }
      return result.document().flags().get(key);
    } catch (InvalidDocumentException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** A boolean flag whose default variant is {@code on} or {@code off}. */
  static FlagDefinition toggle(String key, boolean on) {
    return flag(key, "{\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \""
        + (on ? "on" : "off") + "\"}");
  }

  /** A flag with one numeric variant, {@code v}, of the given value. */
  static FlagDefinition counter(String key, long value) {
    return flag(key, "{\"state\": \"ENABLED\", \"variants\": {\"v\": " + value + "}, \"defaultVariant\": \"v\"}");
  }

  static @Nullable Object json(String text) {
    try {
      return Json.parse(text, Limits.DEFAULT);
    } catch (InvalidDocumentException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(String text) {
    return (Map<String, Object>) json(text);
  }

  static StoreWrite flags(Map<String, @Nullable FlagDefinition> flags) {
    return new StoreWrite(null, "apply", OPERATOR, flags, Map.of(), null, Map.of());
  }

  static StoreWrite flag(FlagDefinition flag) {
    return flags(Map.of(flag.key(), flag));
  }

  static StoreWrite deleteFlag(String key) {
    Map<String, @Nullable FlagDefinition> flags = new LinkedHashMap<>();
    flags.put(key, null);
    return new StoreWrite(null, "delete", OPERATOR, flags, Map.of(), null, Map.of());
  }

  static StoreWrite devices(String id, @Nullable Map<String, Object> attributes) {
    Map<String, @Nullable Map<String, Object>> devices = new LinkedHashMap<>();
    devices.put(id, attributes);
    return new StoreWrite(null, "devices/attributes", OPERATOR, Map.of(), Map.of(), null, devices);
  }

  /** Every file under {@code dir} by relative name, with a digest of its bytes. */
  static Map<String, String> files(Path dir) {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        if (Files.isRegularFile(p)) {
          byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
          files.put(dir.relativize(p).toString(), HexFormat.of().formatHex(digest));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return files;
  }
}
