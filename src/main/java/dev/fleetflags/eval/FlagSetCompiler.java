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
    for (String name : evaluators.keySet()) {
      TargetingCompiler compiler = new TargetingCompiler(limits, evaluators, "", null);
      compiler.compileRule(Map.of("$ref", name), Json.path("$evaluators", name));
      problems.addAll(compiler.problems());
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
        flags.add(new Flag(definition, null, metadata, false));
        continue;
      }
      TargetingCompiler compiler =
          new TargetingCompiler(limits, evaluators, definition.key(), definition.variants().keySet());
      Expr targeting = compiler.compileRule(rule, Json.path(Json.path("flags", definition.key()), "targeting"));
      problems.addAll(compiler.problems());
      if (compiler.unparseable()) {
        flags.add(new Flag(definition.key(), compiler.problems().get(0).toString(), metadata));
      } else {
        flags.add(new Flag(definition, targeting, metadata, compiler.readsTimestamp(), compiler.timeBoundaries()));
      }
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

  private static Map<String, Object> mergedMetadata(FlagDocument document, Map<String, Object> own) {
    if (document.metadata().isEmpty()) {
      return own;
    }
    Map<String, Object> merged = new LinkedHashMap<>(document.metadata());
    merged.putAll(own);
    return java.util.Collections.unmodifiableMap(merged);
  }
}
