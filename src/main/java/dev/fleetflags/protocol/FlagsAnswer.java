package dev.fleetflags.protocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The answer to {@code query/flags}.
 *
 * @param revision the revision served
 * @param flags by key: the revision the flag last changed at and its flagd definition
 * @param notFound keys asked for that no flag has
 * @param evaluators the {@code $evaluators}
 * @param metadata the document metadata
 */
public record FlagsAnswer(long revision, Map<String, Flag> flags, List<String> notFound, Map<String, Object> evaluators,
    Map<String, Object> metadata) {

  public record Flag(long revision, Map<String, Object> definition) {}

  public static FlagsAnswer of(Answer answer) {
    var body = answer.body();
    Map<String, Flag> flags = new LinkedHashMap<>();
    Answer.object(body, "flags").forEach((key, f) -> {
      Map<?, ?> entry = f instanceof Map<?, ?> m ? m : Map.of();
      flags.put(key, new Flag(Answer.number(entry, "revision", 0), Answer.object(entry, "definition")));
    });
    return new FlagsAnswer(answer.revision(), flags, Answer.strings(body, "notFound"), Answer.object(body, "$evaluators"),
        Answer.object(body, "metadata"));
  }

  /** The flags as a flagd document. */
  public Map<String, Object> document() {
    Map<String, Object> document = new LinkedHashMap<>();
    Map<String, Object> f = new LinkedHashMap<>();
    flags.forEach((key, flag) -> f.put(key, flag.definition()));
    document.put("flags", f);
    if (!evaluators.isEmpty()) {
      document.put("$evaluators", evaluators);
    }
    if (!metadata.isEmpty()) {
      document.put("metadata", metadata);
    }
    return document;
  }
}
