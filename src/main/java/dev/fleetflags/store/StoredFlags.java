package dev.fleetflags.store;

import dev.fleetflags.rules.FlagDocument;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything needed to serve flags, as of one revision.
 *
 * @param revision the store's global revision
 * @param document the flags, {@code $evaluators} and document metadata, flags ordered by key
 * @param flagRevisions flag key to the revision at which that flag was last written
 */
public record StoredFlags(long revision, FlagDocument document, Map<String, Long> flagRevisions) {

  public StoredFlags {
    flagRevisions = Collections.unmodifiableMap(new LinkedHashMap<>(flagRevisions));
  }
}
