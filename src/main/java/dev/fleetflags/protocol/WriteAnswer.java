package dev.fleetflags.protocol;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The answer to a write ({@code accepted}), as its members read.
 *
 * @param revision the new revision (the current one if nothing changed or for a dry run)
 * @param changed flag keys set or changed
 * @param removed flag keys removed
 * @param devices registry records written (devices/attributes)
 * @param devicesAffected connected devices whose flags the change alters, or null when not known
 *     when answered
 * @param sample up to 20 of those devices' ids (dry runs)
 * @param dryRun whether this answers a dry run: nothing was written
 * @param note what else the operator should know, or null
 */
public record WriteAnswer(long revision, List<String> changed, List<String> removed, List<String> devices,
    @Nullable Integer devicesAffected, List<String> sample, boolean dryRun, @Nullable String note) {

  public WriteAnswer {
    changed = List.copyOf(changed);
    removed = List.copyOf(removed);
    devices = List.copyOf(devices);
    sample = List.copyOf(sample);
  }

  public static WriteAnswer of(Answer answer) {
    var body = answer.body();
    Integer affected = body.get("devicesAffected") instanceof Number n ? n.intValue() : null;
    return new WriteAnswer(answer.revision(), Answer.strings(body, "changed"), Answer.strings(body, "removed"),
        Answer.strings(body, "devices"), affected, Answer.strings(body, "sample"), Boolean.TRUE.equals(body.get("dryRun")),
        answer.note());
  }
}
