package dev.fleetflags.cli;

import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.FlagDocument;
import dev.fleetflags.rules.FlagDocumentParser;
import dev.fleetflags.rules.InvalidDocumentException;
import dev.fleetflags.rules.Json;
import dev.fleetflags.rules.Limits;
import dev.fleetflags.rules.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A flagd file read and checked as the extension checks a document it is sent: the same parser and
 * the same strict compilation, under the extension's default limits.
 *
 * @param json the file's JSON object (empty if it is not one)
 * @param document what parsed (flags with problems left out)
 * @param problems every problem, with its location
 */
record FlagFile(Map<String, Object> json, FlagDocument document, List<Problem> problems) {

  static FlagFile read(Path path) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new Exit.Failure(Exit.USAGE, "no file " + path);
    } catch (IOException e) {
      throw new Exit.Failure(Exit.USAGE, "cannot read " + path + ": " + e.getMessage());
    }
    Object json;
    try {
      json = Json.parse(bytes, Limits.DEFAULT);
    } catch (InvalidDocumentException e) {
      return new FlagFile(Map.of(), FlagDocument.EMPTY, e.problems());
    }
    FlagDocumentParser.Result parsed = new FlagDocumentParser(Limits.DEFAULT).parse(json);
    List<Problem> problems = new ArrayList<>(parsed.problems());
    try {
      new FlagSetCompiler(Limits.DEFAULT).compile(parsed.document(), FlagSetCompiler.Mode.STRICT);
    } catch (InvalidDocumentException e) {
      for (Problem p : e.problems()) {
        if (!problems.contains(p)) {
          problems.add(p);
        }
      }
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> object = json instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    return new FlagFile(object, parsed.document(), problems);
  }

  /** The file's JSON, or the command ends with its problems (exit 1). */
  static FlagFile valid(Path path) {
    FlagFile file = read(path);
    if (!file.problems().isEmpty()) {
      StringBuilder message = new StringBuilder(path + " is not a valid flag file (" + file.problems().size()
          + (file.problems().size() == 1 ? " problem" : " problems") + "); nothing was sent:");
      file.problems().forEach(p -> message.append("\n  ").append(p));
      throw new Exit.Failure(Exit.INVALID, message.toString());
    }
    return file;
  }
}
