package dev.fleetflags.delivery;

import dev.fleetflags.eval.FlagSet;
import java.util.Map;

/**
 * The flag set served at one store revision, with the revision each flag last changed at.
 *
 * @param revision the store revision
 * @param flagSet the compiled flags
 * @param flagRevisions flag key to the revision it last changed at
 */
public record FlagSetRevision(long revision, FlagSet flagSet, Map<String, Long> flagRevisions) {

  public static final FlagSetRevision EMPTY = new FlagSetRevision(0, FlagSet.EMPTY, Map.of());

  public FlagSetRevision {
    flagRevisions = Map.copyOf(flagRevisions);
  }
}
