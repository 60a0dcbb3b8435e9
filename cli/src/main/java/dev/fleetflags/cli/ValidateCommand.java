package dev.fleetflags.cli;

import dev.fleetflags.rules.Problem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "validate", mixinStandardHelpOptions = true,
    description = {"Check a flag file offline; exit status 1 when it is invalid.",
        "The extension's own parser and compiler, with its default limits: every problem with its location. No broker needed."})
final class ValidateCommand implements Callable<Integer> {

  @Parameters(paramLabel = "FILE", description = "A flagd flag file (flags, $evaluators, metadata).")
  Path file;

  @Option(names = "--json", description = "Print {\"valid\": ..., \"flags\": N, \"problems\": [...]} instead of words.")
  boolean json;

  @Override
  public Integer call() {
    FlagFile read = FlagFile.read(file);
    Output out = new Output(json);
    List<Problem> problems = read.problems();
    if (json) {
      Map<String, Object> answer = new LinkedHashMap<>();
      answer.put("valid", problems.isEmpty());
      answer.put("flags", (long) read.document().flags().size());
      List<Object> list = new ArrayList<>();
      for (Problem p : problems) {
        list.add(Map.of("location", p.location(), "reason", p.reason()));
      }
      answer.put("problems", list);
      out.json(answer);
    } else if (problems.isEmpty()) {
      out.line(file + ": valid, " + read.document().flags().size() + " flag" + (read.document().flags().size() == 1 ? "" : "s"));
    } else {
      out.line(file + ": invalid, " + problems.size() + (problems.size() == 1 ? " problem" : " problems") + ":");
      problems.forEach(p -> out.line("  " + p));
    }
    return problems.isEmpty() ? Exit.OK : Exit.INVALID;
  }
}
