package dev.fleetflags.cli;

import dev.fleetflags.protocol.FlagsAnswer;
import dev.fleetflags.protocol.FlagsQuery;
import dev.fleetflags.rules.FlagDefinition;
import dev.fleetflags.rules.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "diff", mixinStandardHelpOptions = true,
    description = {"Show what a flag file would change against the flags the broker serves.",
        "Flags added, changed (and what in them), and flags only the broker has (replace removes them, apply keeps them);",
        "$evaluators and metadata too."})
final class DiffCommand extends RemoteCommand {

  private static final List<String> MEMBERS = List.of("state", "variants", "defaultVariant", "targeting", "metadata");

  @Parameters(paramLabel = "FILE", description = "A flagd flag file; checked as validate does first.")
  Path file;

  @Override
  int run(AdminClient client, Output out) {
    FlagFile flags = FlagFile.valid(file);
    FlagsAnswer live = FlagsAnswer.of(out.checked(client.ask(new FlagsQuery(null))));
    List<String> added = new ArrayList<>();
    Map<String, List<String>> changed = new LinkedHashMap<>();
    for (Map.Entry<String, FlagDefinition> e : flags.document().flags().entrySet()) {
      FlagsAnswer.Flag current = live.flags().get(e.getKey());
      if (current == null) {
        added.add(e.getKey());
        continue;
      }
      List<String> what = changes(current.definition(), e.getValue().toJson());
      if (!what.isEmpty()) {
        changed.put(e.getKey(), what);
      }
    }
    List<String> onlyLive = new ArrayList<>(new TreeSet<>(live.flags().keySet()));
    onlyLive.removeAll(flags.document().flags().keySet());
    List<String> evaluators = differing(live.evaluators(), flags.document().evaluators());
    boolean metadata = !same(live.metadata(), flags.document().metadata());
    if (out.json) {
      Map<String, Object> diff = new LinkedHashMap<>();
      diff.put("revision", live.revision());
      diff.put("added", added);
      diff.put("changed", changed);
      diff.put("onlyLive", onlyLive);
      diff.put("evaluatorsDiffering", evaluators);
      diff.put("metadataDiffers", metadata);
      out.json(diff);
      return Exit.OK;
    }
    out.line(file + " against the flags at revision " + live.revision() + ":");
    added.forEach(key -> out.line("  + " + key + "  (added)"));
    changed.forEach((key, what) -> out.line("  ~ " + key + "  (" + String.join("; ", what) + ")"));
    onlyLive.forEach(key -> out.line("  - " + key + "  (not in the file: replace removes it, apply keeps it)"));
    evaluators.forEach(name -> out.line("  ~ $evaluators." + name));
    if (metadata) {
      out.line("  ~ metadata");
    }
    if (added.isEmpty() && changed.isEmpty() && onlyLive.isEmpty() && evaluators.isEmpty() && !metadata) {
      out.line("  no differences");
    }
    return Exit.OK;
  }

  /** What differs between two flag definitions, member by member, variants by name. */
  static List<String> changes(Map<String, Object> before, Map<String, Object> after) {
    List<String> what = new ArrayList<>();
    for (String member : MEMBERS) {
      Object b = before.get(member);
      Object a = after.get(member);
      if (same(b, a)) {
        continue;
      }
      if (member.equals("variants") && b instanceof Map<?, ?> bv && a instanceof Map<?, ?> av) {
        List<String> parts = new ArrayList<>();
        for (Object name : av.keySet()) {
          if (!bv.containsKey(name)) {
            parts.add("+" + name);
          } else if (!same(bv.get(name), av.get(name))) {
            parts.add(name + ": " + Json.write(bv.get(name)) + " -> " + Json.write(av.get(name)));
          }
        }
        for (Object name : bv.keySet()) {
          if (!av.containsKey(name)) {
            parts.add("-" + name);
          }
        }
        what.add("variants " + (parts.isEmpty() ? "reordered" : String.join(", ", parts)));
      } else if (member.equals("state") || member.equals("defaultVariant")) {
        what.add(member + " " + Json.write(b) + " -> " + Json.write(a));
      } else {
        what.add(member + (b == null ? " added" : a == null ? " removed" : " changed"));
      }
    }
    return what;
  }

  private static List<String> differing(Map<String, Object> live, Map<String, Object> file) {
    Set<String> names = new TreeSet<>(live.keySet());
    names.addAll(file.keySet());
    List<String> differing = new ArrayList<>();
    for (String name : names) {
      if (!same(live.get(name), file.get(name))) {
        differing.add(name);
      }
    }
    return differing;
  }

  private static boolean same(Object a, Object b) {
    return Arrays.equals(Json.canonicalBytes(a), Json.canonicalBytes(b));
  }
}
