package dev.fleetflags.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads a flagd document and checks its structure: the document's members, each flag's state,
 * variants (one type), default variant and metadata. Targeting is checked where it is compiled.
 *
 * <p>A flag with a structural problem is left out of the parsed document and its key is reported as
 * broken, so the caller decides whether one broken flag rejects everything (admin writes) or only
 * itself (flagd's own behaviour, used when serving a file as flagd would).
 */
public final class FlagDocumentParser {

  private static final Set<String> DOCUMENT_MEMBERS = Set.of("$schema", "flags", "$evaluators", "metadata");
  private static final Set<String> FLAG_MEMBERS =
      Set.of("state", "variants", "defaultVariant", "targeting", "metadata");

  /** What parsing found: the well-formed part, the keys of broken flags, and every problem. */
  public record Result(FlagDocument document, Set<String> brokenFlags, List<Problem> problems) {}

  private final Limits limits;

  public FlagDocumentParser(Limits limits) {
    this.limits = limits;
  }

  /** Parses JSON text; malformed JSON and exceeded limits are thrown, everything else collected. */
  public Result parse(byte[] json) throws InvalidDocumentException {
    return parse(Json.parse(json, limits));
  }

  public Result parse(@Nullable Object json) {
    List<Problem> problems = new ArrayList<>();
    Map<String, FlagDefinition> flags = new LinkedHashMap<>();
    Set<String> broken = new LinkedHashSet<>();
    Map<String, Object> evaluators = new LinkedHashMap<>();
    Map<String, Object> metadata = Map.of();

    if (!(json instanceof Map<?, ?> root)) {
      problems.add(new Problem("", "a flag document must be a JSON object, found " + Json.kind(json)));
      return new Result(FlagDocument.EMPTY, broken, problems);
    }
    for (Object member : root.keySet()) {
      if (!DOCUMENT_MEMBERS.contains(member)) {
        problems.add(
            new Problem(
                (String) member,
                "unknown member; a flag document has flags, $evaluators, metadata and $schema"));
      }
    }
    Object flagsJson = root.get("flags");
    if (flagsJson == null) {
      problems.add(new Problem("flags", "missing; a flag document needs a \"flags\" object"));
    } else if (!(flagsJson instanceof Map<?, ?> flagMap)) {
      problems.add(new Problem("flags", "must be an object of flags by key, found " + Json.kind(flagsJson)));
    } else {
      if (flagMap.size() > limits.maxFlags()) {
        problems.add(
            new Problem(
                "flags",
                "has " + flagMap.size() + " flags, more than the limit of " + limits.maxFlags()));
      }
      for (Map.Entry<?, ?> e : flagMap.entrySet()) {
        String key = (String) e.getKey();
        int before = problems.size();
        FlagDefinition flag = parseFlag(key, e.getValue(), problems);
        if (flag != null && problems.size() == before) {
          flags.put(key, flag);
        } else {
          broken.add(key);
        }
      }
    }
    Object evaluatorsJson = root.get("$evaluators");
    if (evaluatorsJson != null) {
      if (evaluatorsJson instanceof Map<?, ?> evaluatorMap) {
        for (Map.Entry<?, ?> e : evaluatorMap.entrySet()) {
          String name = (String) e.getKey();
          checkName(Json.path("$evaluators", name), "evaluator name", name, problems);
          evaluators.put(name, e.getValue());
        }
      } else {
        problems.add(
            new Problem("$evaluators", "must be an object of rules by name, found " + Json.kind(evaluatorsJson)));
      }
    }
    if (root.containsKey("metadata")) {
      metadata = parseMetadata("metadata", root.get("metadata"), problems);
    }
    return new Result(new FlagDocument(flags, evaluators, metadata), broken, problems);
  }

  private @Nullable FlagDefinition parseFlag(String key, @Nullable Object json, List<Problem> problems) {
    String path = Json.path("flags", key);
    checkName(path, "flag key", key, problems);
    if (!(json instanceof Map<?, ?> flag)) {
      problems.add(new Problem(path, "a flag must be an object, found " + Json.kind(json)));
      return null;
    }
    for (Object member : flag.keySet()) {
      if (!FLAG_MEMBERS.contains(member)) {
        problems.add(
            new Problem(
                Json.path(path, (String) member),
                "unknown member; a flag has state, variants, defaultVariant, targeting and metadata"));
      }
    }

    FlagState state = null;
    Object stateJson = flag.get("state");
    if (stateJson == null) {
      problems.add(new Problem(Json.path(path, "state"), "missing; must be \"ENABLED\" or \"DISABLED\""));
    } else if ("ENABLED".equals(stateJson)) {
      state = FlagState.ENABLED;
    } else if ("DISABLED".equals(stateJson)) {
      state = FlagState.DISABLED;
    } else {
      problems.add(
          new Problem(
              Json.path(path, "state"),
              "must be \"ENABLED\" or \"DISABLED\", found " + Json.describe(stateJson)));
    }

    Map<String, Object> variants = parseVariants(path, flag.get("variants"), problems);

    String defaultVariant = null;
    Object defaultJson = flag.get("defaultVariant");
    String defaultPath = Json.path(path, "defaultVariant");
    if (defaultJson instanceof String name) {
      if (variants != null && !variants.containsKey(name)) {
        problems.add(new Problem(defaultPath, noSuchVariant(name, variants)));
      }
      defaultVariant = name;
    } else if (defaultJson != null) {
      problems.add(new Problem(defaultPath, "must be a variant name or null, found " + Json.kind(defaultJson)));
    }

    Object targeting = flag.get("targeting");
    if (targeting instanceof Map<?, ?> rule && rule.isEmpty()) {
      targeting = null;
    } else if (targeting != null && !(targeting instanceof Map)) {
      problems.add(
          new Problem(Json.path(path, "targeting"), "must be a JSON Logic object, found " + Json.kind(targeting)));
    }

    Map<String, Object> metadata = Map.of();
    if (flag.containsKey("metadata")) {
      metadata = parseMetadata(Json.path(path, "metadata"), flag.get("metadata"), problems);
    }
    if (state == null || variants == null) {
      return null;
    }
    return new FlagDefinition(key, state, variants, defaultVariant, targeting, metadata);
  }

  private @Nullable Map<String, Object> parseVariants(
      String flagPath, @Nullable Object json, List<Problem> problems) {
    String path = Json.path(flagPath, "variants");
    if (json == null) {
      problems.add(new Problem(path, "missing; a flag needs at least one variant"));
      return null;
    }
    if (!(json instanceof Map<?, ?> map)) {
      problems.add(new Problem(path, "must be an object of values by variant name, found " + Json.kind(json)));
      return null;
    }
    if (map.isEmpty()) {
      problems.add(new Problem(path, "is empty; a flag needs at least one variant"));
      return null;
    }
    if (map.size() > limits.maxVariants()) {
      problems.add(
          new Problem(path, "has " + map.size() + " variants, more than the limit of " + limits.maxVariants()));
    }
    Map<String, Object> variants = new LinkedHashMap<>();
    String firstName = null;
    FlagType firstType = null;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String name = (String) e.getKey();
      String variantPath = Json.path(path, name);
      checkName(variantPath, "variant name", name, problems);
      Object value = e.getValue();
      FlagType type = FlagType.of(value);
      if (type == null) {
        problems.add(
            new Problem(variantPath, "a variant must be a boolean, string, number or object, found " + Json.kind(value)));
        continue;
      }
      if (firstType == null) {
        firstType = type;
        firstName = name;
      } else if (!type.isCompatibleWith(firstType)) {
        problems.add(
            new Problem(
                variantPath,
                "variants of mixed types: this one is "
                    + Json.kind(value)
                    + " but "
                    + Json.quote(firstName)
                    + " is "
                    + Json.kind(map.get(firstName))
                    + "; all variants of a flag must have one type"));
      }
      variants.put(name, value);
    }
    return variants;
  }

  private static Map<String, Object> parseMetadata(String path, @Nullable Object json, List<Problem> problems) {
    if (!(json instanceof Map<?, ?> map)) {
      problems.add(new Problem(path, "must be an object, found " + Json.kind(json)));
      return Map.of();
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      Object value = e.getValue();
      if (value instanceof String || value instanceof Number || value instanceof Boolean) {
        metadata.put((String) e.getKey(), value);
      } else {
        problems.add(
            new Problem(
                Json.path(path, (String) e.getKey()),
                "metadata values must be strings, numbers or booleans, found " + Json.kind(value)));
      }
    }
    return metadata;
  }

  private void checkName(String path, String what, String name, List<Problem> problems) {
    String problem = Names.problem(what, name, limits.maxKeyLength());
    if (problem != null) {
      problems.add(new Problem(path, problem));
    }
  }

  public static String noSuchVariant(String name, Map<String, ?> variants) {
    return "variant " + Json.quote(name) + " does not exist; the flag's variants are " + quoted(variants.keySet());
  }

  /** The first few names, quoted; a message names no more. */
  private static String quoted(Set<String> names) {
    List<String> q = new ArrayList<>();
    for (String n : names) {
      if (q.size() == 10) {
        q.add("and " + (names.size() - 10) + " more");
        break;
      }
      q.add(Json.quote(n));
    }
    return String.join(", ", q);
  }
}
