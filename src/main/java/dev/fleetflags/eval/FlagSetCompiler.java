package dev.fleetflags.eval;

import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses, validates and compiles flagd documents into {@link FlagSet}s.
 *
 * <p>{@link Mode#STRICT} (every admin write) rejects the document whole if anything is wrong and
 * lists every problem with its location. {@link Mode#LENIENT} serves a document as flagd does: a
 * flag that flagd could not parse resolves to PARSE_ERROR, a flag whose targeting names a missing
 * variant errors when it does, and the rest of the document works.
 */
public final class FlagSetCompiler {

  public enum Mode {
    STRICT,
    LENIENT
  }

  private final Limits limits;

  public FlagSetCompiler(Limits limits) {
    this.limits = limits;
  }

  public Limits limits() {
    return limits;
  }

  /** Parses and compiles JSON text. */
  public FlagSet compile(byte[] json, Mode mode) throws InvalidDocumentException {
    FlagDocumentParser.Result parsed = new FlagDocumentParser(limits).parse(json);
    return compile(parsed, mode);
  }

  /** Compiles an already parsed document (for example one merged from an upsert). */
  public FlagSet compile(FlagDocument document, Mode mode) throws InvalidDocumentException {
    return compile(new FlagDocumentParser.Result(document, Set.of(), List.of()), mode);
  }

  /** Checks a parsed document as strict compilation would, without keeping the result. */
  public List<Problem> validate(FlagDocument document) {
    try {
      compile(document, Mode.STRICT);
      return List.of();
    } catch (InvalidDocumentException e) {
      return e.problems();
    }
  }

  private FlagSet compile(FlagDocumentParser.Result parsed, Mode mode) throws InvalidDocumentException {
    FlagDocument document = parsed.document();
    Set<Problem> problems = new LinkedHashSet<>(parsed.problems());
    if (mode == Mode.LENIENT && parsed.document() == FlagDocument.EMPTY && !parsed.problems().isEmpty()) {
      throw new InvalidDocumentException(parsed.problems());
    }
    Map<String, Object> evaluators = document.evaluators();
    boolean strict = mode == Mode.STRICT;
    // What $ref expansion would make is sized before anything is inlined, so that a document
    // whose evaluators multiply each other is refused at the cost of reading it, not expanding it.
    Expansion expansion = new Expansion(evaluators);
    Set<String> oversized = new java.util.HashSet<>();
    List<Problem> expansionProblems = expansionProblems(document, expansion, strict, oversized);
    problems.addAll(expansionProblems);
    if (strict && !expansionProblems.isEmpty()) {
      throw new InvalidDocumentException(new ArrayList<>(problems));
    }
    if (strict) {
      // Evaluators are checked on their own only to report their problems; serving needs none of it.
      for (String name : evaluators.keySet()) {
        TargetingCompiler compiler = new TargetingCompiler(limits, evaluators, "", null);
        compiler.compileRule(Map.of("$ref", name), Json.path("$evaluators", name));
        problems.addAll(compiler.problems());
      }
    }
    int total = document.flags().size() + parsed.brokenFlags().size();
    // The parser has already said so if the document itself is over the limit; a merged set may be.
    boolean reported = problems.stream().anyMatch(p -> p.location().equals("flags") && p.reason().contains("limit"));
    if (total > limits.maxFlags() && !reported) {
      problems.add(new Problem("flags", "the flag set would have " + total + " flags, more than the limit of " + limits.maxFlags()));
    }
    List<Flag> flags = new ArrayList<>(total);
    for (FlagDefinition definition : document.flags().values()) {
      Map<String, Object> metadata = mergedMetadata(document, definition.metadata());
      Object rule = definition.targeting();
      if (rule == null) {
        flags.add(new Flag(definition, null, metadata, false, 0, limits));
        continue;
      }
      String path = targetingPath(definition.key());
      if (oversized.contains(definition.key())) {
        String reason = expansionProblems.stream().filter(p -> p.location().startsWith(path)).findFirst()
            .map(Problem::toString).orElse(path + ": too many nodes after $ref expansion");
        flags.add(new Flag(definition.key(), reason, metadata));
        continue;
      }
      TargetingCompiler compiler =
          new TargetingCompiler(limits, evaluators, definition.key(), definition.variants().keySet(), strict);
      Expr targeting = compiler.compileRule(rule, path);
      problems.addAll(compiler.problems());
      if (compiler.unparseable()) {
        flags.add(new Flag(definition.key(), compiler.problems().get(0).toString(), metadata));
        continue;
      }
      if (strict) {
        problems.addAll(CostAnalysis.check(targeting, compiler.weight(), compiler.locations(), limits, definition.key(), path));
      }
      flags.add(new Flag(definition, targeting, metadata, compiler.readsTimestamp(), compiler.weight(), limits,
          compiler.timeBoundaries()));
    }
    for (String key : parsed.brokenFlags()) {
      String prefix = Json.path("flags", key);
      String reason = "flag \"" + key + "\" is invalid";
      for (Problem p : parsed.problems()) {
        if (p.location().equals(prefix) || p.location().startsWith(prefix + ".")) {
          reason = p.toString();
          break;
        }
      }
      flags.add(new Flag(key, reason, mergedMetadata(document, Map.of())));
    }
    if (mode == Mode.STRICT && !problems.isEmpty()) {
      throw new InvalidDocumentException(new ArrayList<>(problems));
    }
    return new FlagSet(document, flags);
  }

  private static String targetingPath(String flagKey) {
    return Json.path(Json.path("flags", flagKey), "targeting");
  }

  /**
   * The evaluators and flags whose targeting would have more than the node limit once its {@code
   * $ref}s are inlined, each located at the {@code $ref} that crosses it, and (strictly) the first
   * place where the whole set's would; adds the keys of the flags that cannot be compiled to {@code
   * oversized}.
   */
  private List<Problem> expansionProblems(FlagDocument document, Expansion expansion, boolean strict, Set<String> oversized) {
    List<Problem> problems = new ArrayList<>();
    long expanded = 0;
    boolean totalReported = false;
    if (strict) {
      for (Map.Entry<String, Object> e : document.evaluators().entrySet()) {
        String path = Json.path("$evaluators", e.getKey());
        if (tooLarge(expansion, e.getValue(), path, problems)) {
          continue;
        }
        expanded = Bound.add(expanded, expansion.size(e.getValue()));
        totalReported |= overTotal(expanded, path, problems, totalReported);
      }
    }
    for (FlagDefinition definition : document.flags().values()) {
      if (definition.targeting() == null) {
        continue;
      }
      String path = targetingPath(definition.key());
      if (tooLarge(expansion, definition.targeting(), path, problems)) {
        oversized.add(definition.key());
        continue;
      }
      expanded = Bound.add(expanded, expansion.size(definition.targeting()));
      totalReported |= strict && overTotal(expanded, path, problems, totalReported);
    }
    return problems;
  }

  /** Whether {@code expanded} nodes so far are over the limit for the whole set; says so once, at {@code path}. */
  private boolean overTotal(long expanded, String path, List<Problem> problems, boolean reported) {
    if (expanded <= limits.maxNodes()) {
      return false;
    }
    if (!reported) {
      problems.add(new Problem(path, "the flag set's targeting would have more than the limit of " + limits.maxNodes()
          + " nodes after $ref expansion (" + expanded + " with this, evaluators each counted once on their own)"));
    }
    return true;
  }

  /**
   * Whether {@code rule} (at {@code path}) has more nodes than the limit once its {@code $ref}s are
   * inlined; if so the problem is added, located at the {@code $ref} that crosses the limit.
   */
  private boolean tooLarge(Expansion expansion, @org.jspecify.annotations.Nullable Object rule, String path, List<Problem> problems) {
    String crossing = expansion.crossing(rule, path, limits.maxNodes());
    if (crossing == null) {
      return false;
    }
    long size = expansion.size(rule);
    problems.add(new Problem(crossing, "targeting has " + (size >= Bound.INFINITE ? "unboundedly many" : String.valueOf(size))
        + " nodes after $ref expansion, more than the limit of " + limits.maxNodes() + " nodes"));
    return true;
  }

  private static Map<String, Object> mergedMetadata(FlagDocument document, Map<String, Object> own) {
    if (document.metadata().isEmpty()) {
      return own;
    }
    Map<String, Object> merged = new LinkedHashMap<>(document.metadata());
    merged.putAll(own);
    return java.util.Collections.unmodifiableMap(merged);
  }
}
