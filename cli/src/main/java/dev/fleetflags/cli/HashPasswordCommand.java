package dev.fleetflags.cli;

import dev.fleetflags.admin.PasswordHash;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "hash-password", mixinStandardHelpOptions = true,
    description = {"Print the hash of an operator's password, for conf/config.xml.",
        "For <password-hash> in the extension's conf/config.xml. Asks twice without echo on a terminal; otherwise reads",
        "the first line of standard input."})
final class HashPasswordCommand implements Callable<Integer> {

  @Option(names = "--iterations", paramLabel = "N", defaultValue = "" + PasswordHash.DEFAULT_ITERATIONS,
      description = "PBKDF2 iterations (" + PasswordHash.MIN_ITERATIONS + " to " + PasswordHash.MAX_ITERATIONS + "). Default: ${DEFAULT-VALUE}.")
  int iterations = PasswordHash.DEFAULT_ITERATIONS;

  @Override
  public Integer call() throws IOException {
    if (iterations < PasswordHash.MIN_ITERATIONS || iterations > PasswordHash.MAX_ITERATIONS) {
      throw new Exit.Failure(Exit.USAGE, "--iterations must be from " + PasswordHash.MIN_ITERATIONS + " to "
          + PasswordHash.MAX_ITERATIONS + ", not " + iterations);
    }
    char[] password = read();
    try {
      if (password.length == 0) {
        throw new Exit.Failure(Exit.USAGE, "no password given");
      }
      System.out.println(PasswordHash.of(password, iterations).encoded());
    } finally {
      Arrays.fill(password, '\0');
    }
    return Exit.OK;
  }

  private static char[] read() throws IOException {
    Console console = System.console();
    if (console != null) {
      char[] first = console.readPassword("Password: ");
      char[] second = console.readPassword("Again: ");
      if (first == null || second == null) {
        throw new Exit.Failure(Exit.USAGE, "no password given");
      }
      if (!Arrays.equals(first, second)) {
        throw new Exit.Failure(Exit.USAGE, "the passwords differ");
      }
      Arrays.fill(second, '\0');
      return first;
    }
    String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    return line == null ? new char[0] : line.toCharArray();
  }
}
