package dev.fleetflags.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code fleetflags}: the commands, and failures turned into their messages and exit codes. */
@Command(
    name = "fleetflags",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Operate FleetFlags: validate flag files, change the flags a broker serves, and see what devices hold.",
    subcommands = {
      ValidateCommand.class,
      DiffCommand.class,
      WriteCommand.Apply.class,
      WriteCommand.Replace.class,
      DeleteCommand.class,
      RevertCommand.class,
      DisableCommand.class,
      HistoryCommand.class,
      EvaluateCommand.class,
      DevicesCommand.class,
      ComplianceCommand.class,
      RolloutCommand.class,
      ScheduleCommand.class,
      HashPasswordCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Exit codes:",
      "  0  done                              5  connected, but not as an operator",
      "  1  invalid flag file                 6  request rejected (nothing changed)",
      "  2  wrong usage                       7  timed out",
      "  3  broker unreachable                8  the broker answered with an error",
      "  4  sign-in refused (name, password)",
      "",
      "The password comes from FLEETFLAGS_PASSWORD or is asked for. 'fleetflags help COMMAND' for a command's options."
    })
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    CommandLine line = new CommandLine(new Main());
    line.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof Exit.Failure failure) {
        cmd.getErr().println("fleetflags: " + failure.getMessage());
        cmd.getErr().flush();
        return failure.code;
      }
      throw e;
    });
    return line.execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is missing");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"fleetflags " + (version == null ? "(development)" : version)};
    }
  }
}
