package dev.fleetflags.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.DeviceContext;
import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.eval.Resolution;
import dev.fleetflags.rules.FlagType;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import io.cucumber.datatable.DataTable;
import io.cucumber.java.Before;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.opentest4j.TestAbortedException;

/**
 * Step definitions of the flagd evaluator conformance suite, bound to FleetFlags' engine. Cucumber
 * makes one instance per scenario.
 */
public class EvaluatorSteps {

  /** Any fixed time: no conformance flag reads {@code $flagd.timestamp}. */
  private static final long NOW = 1_767_225_600L;

  /** The flag file compiled once per path: every scenario reads the same document. */
  private static final Map<Path, FlagSet> FLAG_SETS = new ConcurrentHashMap<>();

  private @Nullable FlagSet flagSet;
  private String key = "";
  private FlagType type = FlagType.STRING;
  private @Nullable Object fallback;
  private @Nullable String targetingKey;
  private final Map<String, Object> attributes = new LinkedHashMap<>();
  private @Nullable Resolution details;

  @Before("@fractional-v1")
  public void skipLegacyFractional() {
    // v1 is the legacy bucketing; the specification (and FleetFlags) use v2.
    throw new TestAbortedException("@fractional-v1 describes the legacy fractional bucketing; FleetFlags implements v2");
  }

  @Given("an evaluator")
  public void anEvaluator() {
    flagSet = FLAG_SETS.computeIfAbsent(SharedData.conformanceFlags(), EvaluatorSteps::load);
  }

  private static FlagSet load(Path file) {
    try {
      // The file holds deliberately broken flags: serve it as flagd does, not as an admin write.
      return new FlagSetCompiler(Limits.DEFAULT).compile(Files.readAllBytes(file), FlagSetCompiler.Mode.LENIENT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InvalidDocumentException e) {
      throw new AssertionError("conformance flag file rejected: " + e.problems(), e);
    }
  }

  @Given("a {word}-flag with key {string} and a fallback value {string}")
  public void aFlag(String typeName, String key, String fallback) {
    this.type = flagType(typeName);
    this.key = key;
    this.fallback = typed(type, fallback);
  }

  @Given("a context containing a key {string}, with type {string} and with value {string}")
  public void aContextKey(String name, String typeName, String value) {
    attributes.put(name, typed(flagType(typeName), value));
  }

  @Given("a context containing a targeting key with value {string}")
  public void aTargetingKey(String value) {
    targetingKey = value;
  }

  @Given("a context containing a nested property with outer key {string} and inner key {string}, with value {string}")
  public void aNestedProperty(String outer, String inner, String value) {
    Object existing = attributes.get(outer);
    Map<String, Object> nested = new LinkedHashMap<>();
    if (existing instanceof Map<?, ?> map) {
      map.forEach((k, v) -> nested.put(String.valueOf(k), v));
    }
    nested.put(inner, value);
    attributes.put(outer, nested);
  }

  @When("the flag was evaluated with details")
  public void evaluated() {
    FlagSet set = flagSet;
    assertNotNull(set, "no evaluator: the scenario lacks \"Given an evaluator\"");
    details = set.resolve(key, type, fallback, new DeviceContext(targetingKey, attributes), NOW);
  }

  @Then("the resolved details value should be {string}")
  public void valueShouldBe(String expected) {
    Object want = typed(type, expected);
    Object got = details().value();
    if (want instanceof Double w && got instanceof Number g) {
      assertEquals(w, g.doubleValue(), 0.0, () -> "value of " + key + " in " + details());
    } else {
      assertEquals(want, got, () -> "value of " + key + " in " + details());
    }
  }

  @Then("the reason should be {string}")
  public void reasonShouldBe(String expected) {
    assertEquals(expected, details().reason().name(), () -> "reason of " + key + " in " + details());
  }

  @Then("the error-code should be {string}")
  public void errorCodeShouldBe(String expected) {
    var code = details().errorCode();
    assertEquals(expected, code == null ? "" : code.name(), () -> "error code of " + key + " in " + details());
  }

  @Then("the variant should be {string}")
  public void variantShouldBe(String expected) {
    String variant = details().variant();
    assertEquals(expected, variant == null ? "" : variant, () -> "variant of " + key + " in " + details());
  }

  @Then("the resolved metadata should contain")
  public void metadataShouldContain(DataTable table) {
    Map<String, Object> metadata = details().metadata();
    for (Map<String, String> row : table.asMaps()) {
      String name = row.get("key");
      Object want = typed(flagType(row.get("metadata_type")), row.get("value"));
      assertTrue(metadata.containsKey(name), () -> "metadata of " + key + " lacks \"" + name + "\": " + metadata);
      Object got = metadata.get(name);
      if (want instanceof Double w && got instanceof Number g) {
        assertEquals(w, g.doubleValue(), 0.0, () -> "metadata \"" + name + "\" of " + key);
      } else {
        assertEquals(want, got, () -> "metadata \"" + name + "\" of " + key);
      }
    }
  }

  @Then("the resolved metadata is empty")
  public void metadataIsEmpty() {
    assertEquals(Map.of(), details().metadata(), () -> "metadata of " + key);
  }

  private Resolution details() {
    Resolution r = details;
    assertNotNull(r, "the flag was not evaluated");
    return r;
  }

  private static FlagType flagType(@Nullable String name) {
    return switch (String.valueOf(name)) {
      case "Boolean" -> FlagType.BOOLEAN;
      case "String" -> FlagType.STRING;
      case "Integer", "Long" -> FlagType.INTEGER;
      case "Float", "Double" -> FlagType.FLOAT;
      case "Object" -> FlagType.OBJECT;
      default -> throw new IllegalArgumentException("unknown type in the suite: " + name);
    };
  }

  /** The suite's text as a value of {@code type}, as the engine represents it. */
  private static @Nullable Object typed(FlagType type, @Nullable String text) {
    String s = String.valueOf(text);
    return switch (type) {
      case BOOLEAN -> Boolean.valueOf(s);
      case STRING -> s;
      case INTEGER -> Long.valueOf(s);
      case FLOAT -> Double.valueOf(s);
      case OBJECT -> parseJson(s);
    };
  }

  private static @Nullable Object parseJson(String text) {
    try {
      return Json.parse(text, Limits.DEFAULT);
    } catch (InvalidDocumentException e) {
      throw new IllegalArgumentException("not JSON in the suite: " + text, e);
    }
  }
}
