package dev.fleetflags.cli;

import dev.fleetflags.protocol.Answer;
import dev.fleetflags.protocol.DevicesAnswer;
import dev.fleetflags.protocol.DevicesQuery;
import dev.fleetflags.rules.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "devices", mixinStandardHelpOptions = true,
    description = {"List the devices connected to the broker, a page at a time.",
        "By client id: attributes, the revision and state hash they hold, and whether that is current.",
        "--flag (and --value) keep those for which the flag has a value (that value)."})
final class DevicesCommand extends RemoteCommand {

  @Option(names = "--flag", paramLabel = "KEY", description = "Only devices whose set holds this flag; shows its value.")
  String flag;

  @Option(names = "--value", paramLabel = "VALUE", description = "With --flag: only devices for which it has this value (a number, true/false, JSON or text).")
  String value;

  @Option(names = {"-n", "--limit"}, paramLabel = "N", defaultValue = "50", description = "Devices per page (1 to 1000). Default: ${DEFAULT-VALUE}.")
  int limit = 50;

  @Option(names = "--cursor", paramLabel = "CURSOR", description = "Where the page starts: the cursor the previous page printed.")
  String cursor;

  @Override
  int run(AdminClient client, Output out) {
    if (value != null && flag == null) {
      throw new Exit.Failure(Exit.USAGE, "--value needs --flag: the value is that flag's");
    }
    Answer answer = out.checked(client.ask(new DevicesQuery(flag, value == null ? null : Values.parse(value), limit, cursor)));
    if (out.json) {
      out.answerJson(answer);
      return Exit.OK;
    }
    DevicesAnswer page = DevicesAnswer.of(answer);
    out.line(page.matched() + " connected device" + (page.matched() == 1 ? "" : "s") + (flag == null ? "" : " with " + flag
        + (value == null ? " set" : " = " + value)) + " (flags at revision " + page.revision() + ")");
    for (DevicesAnswer.Device d : page.devices()) {
      out.line("  " + d.clientId() + "  revision " + (d.revision() == null ? "-" : d.revision()) + "  hash "
          + (d.stateHash() == null ? "-" : d.stateHash()) + (d.current() ? "  current" : "  behind")
          + (flag == null ? "" : "  " + flag + " = " + Json.write(d.value())) + "  " + Json.write(d.attributes()));
    }
    if (page.nextCursor() != null) {
      out.line("more: --cursor " + page.nextCursor());
    }
    return Exit.OK;
  }
}
