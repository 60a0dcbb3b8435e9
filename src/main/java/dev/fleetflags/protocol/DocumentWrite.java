package dev.fleetflags.protocol;

import dev.fleetflags.rules.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code flags/apply} (upsert the document's flags, evaluators and metadata keys) or {@code
 * flags/replace} (the document becomes the whole flag set).
 *
 * @param replace whether the document replaces the whole set
 * @param document the flagd document (flags, $evaluators, metadata), as JSON; the extension parses
 *     and validates it against the flags it holds
 * @param expectedRevision the write is rejected unless the flags are at this revision
 * @param dryRun answer what the write would do, write nothing
 */
public record DocumentWrite(boolean replace, Map<String, Object> document, @Nullable Long expectedRevision, boolean dryRun)
    implements Request {

  public DocumentWrite {
    document = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(document));
  }

  @Override
  public String topic() {
    return replace ? Topics.REPLACE : Topics.APPLY;
  }

  @Override
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>(document);
    Writes.options(json, expectedRevision, dryRun);
    return json;
  }

  /** Reads a request; the document's own problems are the flagd parser's to find. */
  public static Read<DocumentWrite> read(boolean replace, Map<String, Object> root) {
    List<Problem> problems = new ArrayList<>();
    Long expected = Members.expectedRevision(root, problems);
    boolean dryRun = Members.dryRun(root, problems);
    Map<String, Object> document = new LinkedHashMap<>(root);
    document.remove("expectedRevision");
    document.remove("dryRun");
    return new Read<>(new DocumentWrite(replace, document, expected, dryRun), problems);
  }
}
