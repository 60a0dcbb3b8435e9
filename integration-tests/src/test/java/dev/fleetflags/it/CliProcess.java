package dev.fleetflags.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The operator's CLI run as a user runs it: {@code java -jar target/fleetflags-cli-<version>.jar}, a process. */
final class CliProcess {

  static final Path JAR = Path.of(System.getProperty("fleetflags.cli", "../target/fleetflags-cli-0.1.0-SNAPSHOT.jar"));

  private CliProcess() {}

  /** What a run printed, and its exit status. */
  record Run(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  /**
   * Runs {@code java -jar <cli> args}, bounded to a minute, with {@code stdin} as its input and
   * {@code environment} (FLEETFLAGS_PASSWORD only if given there); its output goes to files in
   * {@code files}.
   */
  static Run run(Path files, Map<String, String> environment, String stdin, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        JAR.toString()));
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile(files, "out", ".txt");
      Path err = Files.createTempFile(files, "err", ".txt");
      ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      builder.environment().remove("FLEETFLAGS_PASSWORD");
      builder.environment().putAll(environment);
      Process process = builder.start();
      process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().close();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("the CLI did not end within 60 s: " + command);
      }
      return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
