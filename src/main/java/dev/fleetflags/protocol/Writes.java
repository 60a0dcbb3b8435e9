package dev.fleetflags.protocol;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The members every write may carry. */
final class Writes {

  private Writes() {}

  static void options(Map<String, Object> json, @Nullable Long expectedRevision, boolean dryRun) {
    if (expectedRevision != null) {
      json.put("expectedRevision", expectedRevision);
    }
    if (dryRun) {
      json.put("dryRun", true);
    }
  }
}
