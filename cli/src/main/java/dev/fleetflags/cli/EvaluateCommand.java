package dev.fleetflags.cli;

import dev.fleetflags.protocol.Answer;
import dev.fleetflags.protocol.EvaluateAnswer;
import dev.fleetflags.protocol.EvaluateQuery;
import dev.fleetflags.rules.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {"Show a device's flags as the broker evaluates them.",
        "Value, variant and reason per flag, and its state hash. --attr asks \"what if\" the device had these attributes."})
final class EvaluateCommand extends RemoteCommand {

  @Parameters(paramLabel = "DEVICE", description = "The device's client id.")
  String device;

  @Option(names = "--attr", paramLabel = "NAME=VALUE",
      description = "An attribute to assume (repeatable); VALUE is a number, true/false or JSON where it reads as one, else text.")
  Map<String, String> attributes = new LinkedHashMap<>();

  @Override
  int run(AdminClient client, Output out) {
    Map<String, Object> assumed = null;
    if (!attributes.isEmpty()) {
      assumed = new LinkedHashMap<>();
      for (Map.Entry<String, String> a : attributes.entrySet()) {
        assumed.put(a.getKey(), Values.parse(a.getValue()));
      }
    }
    Answer answer = out.checked(client.ask(new EvaluateQuery(device, assumed)));
    if (out.json) {
      out.answerJson(answer);
      return Exit.OK;
    }
    EvaluateAnswer e = EvaluateAnswer.of(answer);
    out.line("device " + e.device() + (e.connected() ? " (connected)" : " (not connected)") + " at revision " + e.revision()
        + ", state hash " + e.stateHash());
    out.line("  attributes: " + Json.write(e.attributes()));
    e.flags().forEach((key, r) -> out.line("  " + key + " = " + (r.value() == null ? "(built-in default)" : Json.write(r.value()))
        + (r.variant() == null ? "" : "  variant " + r.variant()) + "  " + r.reason()
        + (r.errorCode() == null ? "" : " " + r.errorCode())));
    return Exit.OK;
  }
}
