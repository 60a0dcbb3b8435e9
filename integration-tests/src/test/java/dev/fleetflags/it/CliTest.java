package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import dev.fleetflags.it.CliProcess.Run;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's CLI run as a user runs it, {@code java -jar target/fleetflags-cli-<version>.jar},
 * as a process against a real broker with the packaged zip and 2,000 connected devices: every
 * command, every error with its exit code and message, a dry run that changes nothing, a revert
 * that restores an earlier revision's flags and reaches the devices as deltas, and the progress of a
 * fan-out to all 2,000.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliTest {

  private static final int DEVICES = 2_000;
  private static final String COLOR = """
      "cli-color": {"state": "ENABLED", "variants": {"red": "red", "blue": "blue"}, "defaultVariant": "red"}""";

  private static Fleet fleet;

  @TempDir static Path files;

  @BeforeAll
  static void start() {
    assertTrue(Files.isRegularFile(CliProcess.JAR), CliProcess.JAR + " is built by the root's mvn package");
    List<Device.Spec> specs = new ArrayList<>();
    for (int i = 0; i < DEVICES; i++) {
      specs.add(new Device.Spec("cli-dev-%04d".formatted(i), Device.Protocol.MQTT5, Map.of("model", i % 2 == 0 ? "a" : "b")));
    }
    fleet = Fleet.start(Fleet.setup(Scenarios.document(COLOR), ""), "cli-ops", Map.of(), specs);
  }

  @AfterAll
  static void stop() {
    if (fleet != null) {
      fleet.close();
    }
  }

  @Test
  @Order(1)
  void validatesOfflineWithEveryProblemLocated() throws IOException {
    Path good = write("good.json", Scenarios.document(COLOR));
    Run ok = cli(Map.of(), "validate", good.toString());
    assertEquals(0, ok.exit(), ok::toString);
    assertTrue(ok.out().contains("valid, 1 flag"), ok::toString);

    Path bad = write("bad.json", """
        {"flags": {"x": {"state": "ON", "variants": {"a": 1, "b": "s"}, "defaultVariant": "c",
          "targeting": {"if": [{"wat": [1]}, "a", "b"]}}}}""");
    Run invalid = cli(Map.of(), "validate", bad.toString());
    assertEquals(1, invalid.exit(), invalid::toString);
    for (String located : List.of("flags.x.state:", "flags.x.variants.b:", "flags.x.defaultVariant:")) {
      assertTrue(invalid.out().contains(located), () -> located + " in " + invalid);
    }
    Run json = cli(Map.of(), "validate", "--json", bad.toString());
    assertEquals(1, json.exit(), json::toString);
    JsonNode answer = Operator.parse(json.out());
    assertFalse(answer.get("valid").asBoolean());
    assertEquals("flags.x.state", answer.get("problems").get(0).get("location").asText());

    Run malformed = cli(Map.of(), "validate", write("malformed.json", "{\"flags\": {\n  \"x\": }").toString());
    assertEquals(1, malformed.exit(), malformed::toString);
    assertTrue(malformed.out().contains("line 2, column"), malformed::toString);
  }

  @Test
  @Order(2)
  void everyCommandHasHelp() {
    for (String command : List.of("validate", "diff", "apply", "replace", "delete", "revert", "disable", "history", "evaluate",
        "devices", "compliance", "rollout", "schedule", "hash-password")) {
      Run help = cli(Map.of(), command, "--help");
      assertEquals(0, help.exit(), help::toString);
      assertTrue(help.out().startsWith("Usage: fleetflags " + command), help::toString);
    }
    Run top = cli(Map.of(), "--help");
    assertEquals(0, top.exit(), top::toString);
    assertTrue(top.out().contains("Exit codes"), top::toString);
    Run wrong = cli(Map.of(), "apply");
    assertEquals(2, wrong.exit(), wrong::toString);
    assertTrue(wrong.err().contains("Missing required parameter: 'FILE'"), wrong::toString);
  }

  @Test
  @Order(3)
  void dryRunChangesNothingAndApplyShowsTheFanOutToEveryDevice() throws IOException {
    Operator ops = fleet.operator();
    long before = ops.revision();
    JsonNode historyBefore = ops.history(1);
    Path blue = write("blue.json", Scenarios.document(COLOR.replace("\"defaultVariant\": \"red\"", "\"defaultVariant\": \"blue\"")));

    Run diff = operator("diff", blue.toString());
    assertEquals(0, diff.exit(), diff::toString);
    assertTrue(diff.out().contains("~ cli-color  (defaultVariant \"red\" -> \"blue\")"), diff::toString);

    Run dry = operator("apply", "--dry-run", blue.toString());
    assertEquals(0, dry.exit(), dry::toString);
    assertTrue(dry.out().contains("dry run, nothing was written (the flags are at revision " + before + ")"), dry::toString);
    assertTrue(dry.out().contains("change: cli-color"), dry::toString);
    assertTrue(dry.out().contains("affect " + DEVICES + " connected devices: cli-dev-0000, cli-dev-0001,"), dry::toString);
    Run dryJson = operator("apply", "--dry-run", "--json", blue.toString());
    JsonNode answer = Operator.parse(dryJson.out());
    assertEquals(DEVICES, answer.get("devicesAffected").asInt(), dryJson::toString);
    assertEquals(20, answer.get("sample").size(), dryJson::toString);
    assertTrue(answer.get("dryRun").asBoolean(), dryJson::toString);
    assertEquals(before, ops.revision(), "a dry run writes nothing");
    assertEquals(historyBefore, ops.history(1), "a dry run is not in the history");
    for (Device d : fleet.devices()) {
      assertEquals("red", d.held().jsonValues().get("cli-color").asText(), d::toString);
    }

    Run apply = operator("apply", "--expected-revision", Long.toString(before), blue.toString());
    assertEquals(0, apply.exit(), apply::toString);
    System.out.println("[CliTest] fleetflags apply, as printed:\n" + apply.out());
    long revision = before + 1;
    assertTrue(apply.out().contains("accepted at revision " + revision), apply::toString);
    assertTrue(apply.out().contains("devices affected: " + DEVICES), apply::toString);
    Matcher complete = Pattern.compile("fan-out of revision (\\d+) complete: (\\d+) devices planned, (\\d+) updates sent")
        .matcher(apply.out());
    assertTrue(complete.find(), apply::toString);
    assertEquals(revision, Long.parseLong(complete.group(1)), apply::toString);
    assertEquals(DEVICES, Integer.parseInt(complete.group(2)), apply::toString);
    assertEquals(DEVICES, Integer.parseInt(complete.group(3)), apply::toString);
    for (Device d : fleet.devices()) {
      d.awaitHeld(held -> "blue".equals(held.jsonValues().get("cli-color").asText()), "cli-color = blue");
    }
    JsonNode entry = ops.history(1).get("entries").get(0);
    assertEquals(revision, entry.get("revision").asLong());
    assertEquals(DEVICES, entry.get("devicesAffected").asInt(), entry::toString);
  }

  @Test
  @Order(4)
  void revertRestoresAnEarlierRevisionAndDevicesGetDeltas() throws IOException {
    Operator ops = fleet.operator();
    long good = ops.revision();
    JsonNode goodFlags = ops.queryFlags().get("flags");
    Run bad = operator("apply", write("bad-change.json", Scenarios.document(
        COLOR.replace("\"defaultVariant\": \"red\"", "\"defaultVariant\": \"red\", \"targeting\": {\"if\": [{\"==\": [{\"var\": \"model\"}, \"a\"]}, \"red\", \"blue\"]}"),
        """
        "cli-extra": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}""")).toString());
    assertEquals(0, bad.exit(), bad::toString);
    for (Device d : fleet.devices()) {
      d.awaitHeld(held -> held.jsonValues().containsKey("cli-extra"), "cli-extra");
    }
    int[] received = fleet.devices().stream().mapToInt(Device::receivedCount).toArray();

    Run history = operator("history", "--limit", "3");
    assertEquals(0, history.exit(), history::toString);
    assertTrue(history.out().contains("revision " + good + "  "), history::toString);

    Run revert = operator("revert", "--to-revision", Long.toString(good));
    assertEquals(0, revert.exit(), revert::toString);
    assertTrue(revert.out().contains("accepted at revision " + (good + 2)), revert::toString);
    assertTrue(revert.out().contains("removed: cli-extra"), revert::toString);
    assertTrue(revert.out().contains("fan-out of revision " + (good + 2) + " complete: " + DEVICES + " devices planned"), revert::toString);
    JsonNode reverted = ops.queryFlags().get("flags");
    assertEquals(goodFlags.size(), reverted.size(), reverted::toString);
    goodFlags.fields().forEachRemaining(f ->
        assertEquals(f.getValue().get("definition"), reverted.get(f.getKey()).get("definition"), "the flags of revision " + good));
    for (int i = 0; i < DEVICES; i++) {
      Device d = fleet.devices().get(i);
      d.awaitHeld(held -> !held.jsonValues().containsKey("cli-extra") && "blue".equals(held.jsonValues().get("cli-color").asText()),
          "the flags of revision " + good);
      List<FlagUpdate> updates = d.received().subList(received[i], d.receivedCount());
      assertFalse(updates.isEmpty(), d::toString);
      updates.forEach(u -> assertFalse(u.getSnapshot(), () -> d + " got a snapshot: " + u));
    }
    JsonNode entry = ops.history(1).get("entries").get(0);
    assertEquals("revert", entry.get("action").asText(), entry::toString);

    Run tooOld = operator("revert", "--to-revision", "999999");
    assertEquals(6, tooOld.exit(), tooOld::toString);
    assertTrue(tooOld.err().contains("toRevision: revision 999999 is after the current revision"), tooOld::toString);
  }

  @Test
  @Order(5)
  void queriesDisableAndDelete() throws IOException {
    Run evaluate = operator("evaluate", "cli-dev-0001", "--attr", "model=a");
    assertEquals(0, evaluate.exit(), evaluate::toString);
    assertTrue(evaluate.out().contains("device cli-dev-0001 (connected)"), evaluate::toString);
    assertTrue(evaluate.out().contains("cli-color = \"blue\""), evaluate::toString);

    Run page = operator("devices", "--flag", "cli-color", "--value", "blue", "--limit", "3");
    assertEquals(0, page.exit(), page::toString);
    assertTrue(page.out().startsWith(DEVICES + " connected devices with cli-color = blue"), page::toString);
    assertTrue(page.out().contains("cli-dev-0000  revision "), page::toString);
    assertTrue(page.out().contains("current  cli-color = \"blue\""), page::toString);
    assertTrue(page.out().contains("more: --cursor cli-dev-0002"), page::toString);
    Run next = operator("devices", "--limit", "2", "--cursor", "cli-dev-0002", "--json");
    JsonNode devices = Operator.parse(next.out());
    assertEquals("cli-dev-0003", devices.get("devices").get(0).get("clientId").asText(), next::toString);
    assertEquals("cli-dev-0004", devices.get("nextCursor").asText(), next::toString);
    Run none = operator("devices", "--flag", "cli-color", "--value", "green");
    assertTrue(none.out().startsWith("0 connected devices"), none::toString);

    Run compliance = operator("compliance", "--flag", "cli-color");
    assertEquals(0, compliance.exit(), compliance::toString);
    assertTrue(compliance.out().contains("cli-color: " + DEVICES + " devices counted"), compliance::toString);
    assertTrue(compliance.out().contains("\"blue\"  "), compliance::toString);
    Run tracked = operator("compliance");
    assertEquals(0, tracked.exit(), tracked::toString);
    assertTrue(tracked.out().matches("(?s).*revision \\d+  targeted \\d+  pending \\d+  delivered \\d+  applied 0.*"), tracked::toString);
    Run both = operator("compliance", "--revision", "1", "--flag", "cli-color");
    assertEquals(2, both.exit(), both::toString);

    Run disable = operator("disable", "cli-color");
    assertEquals(0, disable.exit(), disable::toString);
    assertTrue(disable.out().contains("changed: cli-color"), disable::toString);
    assertEquals("DISABLED", fleet.operator().queryFlags().get("flags").get("cli-color").get("definition").get("state").asText());
    for (Device d : fleet.devices()) {
      d.awaitHeld(held -> !held.jsonValues().containsKey("cli-color"), "cli-color disabled");
    }

    Run delete = operator("delete", "cli-color", "--no-progress");
    assertEquals(0, delete.exit(), delete::toString);
    assertTrue(delete.out().contains("removed: cli-color"), delete::toString);
    Run missing = operator("delete", "cli-color");
    assertEquals(6, missing.exit(), missing::toString);
    assertTrue(missing.err().contains("flags[0]: no flag \"cli-color\" exists"), missing::toString);
  }

  @Test
  @Order(7)
  void everyFailureHasItsExitCodeAndWords() throws IOException {
    Run unreachable = cli(Map.of(), "history", "--broker", "127.0.0.1:" + freePort(), "--timeout", "3");
    assertEquals(3, unreachable.exit(), unreachable::toString);
    assertTrue(unreachable.err().contains("cannot reach the broker at mqtt://127.0.0.1:"), unreachable::toString);

    // A broker that allows devices in takes a name that is no operator's as a device.
    Run notOperator = cli(Map.of("FLEETFLAGS_PASSWORD", "whatever"), "history", "--broker", broker(), "--user", "opz");
    assertEquals(5, notOperator.exit(), notOperator::toString);
    assertTrue(notOperator.err().contains("connected to mqtt://" + broker() + " as 'opz', but not as a FleetFlags operator"),
        notOperator::toString);

    Run stale = operator("apply", "--expected-revision", "1", write("stale.json", Scenarios.document(COLOR)).toString());
    assertEquals(6, stale.exit(), stale::toString);
    assertTrue(stale.err().contains("expectedRevision: the flags are at revision"), stale::toString);

    // Nothing answers under another prefix: the request is taken, no answer comes.
    Run silent = operator("history", "--prefix", "elsewhere", "--timeout", "2");
    assertEquals(7, silent.exit(), silent::toString);
    assertTrue(silent.err().contains("within 2 s (--timeout)"), silent::toString);

    Run noPassword = cli(Map.of(), "history", "--broker", broker(), "--user", Operator.USERNAME);
    assertEquals(2, noPassword.exit(), noPassword::toString);
    assertTrue(noPassword.err().contains("FLEETFLAGS_PASSWORD"), noPassword::toString);

    // Last: a failed sign-in pauses this address's sign-ins for a second, the operator's too.
    Run wrongPasswordHere = cli(Map.of("FLEETFLAGS_PASSWORD", "wrong"), "apply", "--broker", broker(), "--user", Operator.USERNAME,
        write("any.json", Scenarios.document(COLOR)).toString());
    assertEquals(5, wrongPasswordHere.exit(), wrongPasswordHere::toString);
  }

  @Test
  @Order(9)
  void anErrorAnswerIsExit8() {
    // No FleetFlags on this broker (it admits every client): an MQTT client answers the CLI's
    // requests as the extension answers when it fails, and then with something that is no answer.
    try (EmbeddedBroker broker = EmbeddedBroker.start(ExtensionSetup.asPackaged().disabled())) {
      Mqtt5AsyncClient responder = MqttClient.builder().useMqttVersion5().identifier("cli-responder")
          .serverHost(broker.host()).serverPort(broker.mqttPort()).buildAsync();
      responder.connect().join();
      AtomicInteger requests = new AtomicInteger();
      responder.subscribeWith().topicFilter("flags-admin/query/#").qos(MqttQos.AT_LEAST_ONCE).callback(request -> {
        String answer = requests.incrementAndGet() == 1
            ? "{\"status\": \"error\", \"reason\": \"the extension failed to handle the request\"}"
            : "not an answer";
        responder.publishWith().topic(request.getResponseTopic().orElseThrow())
            .correlationData(request.getCorrelationData().orElseThrow())
            .payload(answer.getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).send();
      }).send().join();
      try {
        String where = broker.host() + ":" + broker.mqttPort();
        Run failed = cli(Map.of("FLEETFLAGS_PASSWORD", "any"), "history", "--broker", where, "--user", "ops");
        assertEquals(8, failed.exit(), failed::toString);
        assertTrue(failed.err().contains("the broker answered with an error: the extension failed to handle the request"),
            failed::toString);
        Run garbled = cli(Map.of("FLEETFLAGS_PASSWORD", "any"), "history", "--broker", where, "--user", "ops");
        assertEquals(8, garbled.exit(), garbled::toString);
        assertTrue(garbled.err().contains("the broker answered something that is not an answer"), garbled::toString);
      } finally {
        responder.disconnect().join();
      }
    }
  }

  @Test
  @Order(8)
  void hashPasswordMakesTheHashTheExtensionChecksAndAWrongPasswordIsRefused() {
    Run hash = cliWithInput(Map.of(), "secret-of-cli\n", "hash-password", "--iterations", "10000");
    assertEquals(0, hash.exit(), hash::toString);
    String encoded = hash.out().trim();
    assertTrue(encoded.matches("pbkdf2-sha256:10000:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+"), hash::toString);
    // Devices delegated to other security extensions (none here): only operators get in.
    ExtensionSetup setup = ExtensionSetup.asPackaged().withConfig("""
        <fleetflags>
            <device-authentication>delegate</device-authentication>
            <operators><operator><username>cli-ops</username><password-hash>%s</password-hash></operator></operators>
        </fleetflags>""".formatted(encoded));
    try (EmbeddedBroker broker = EmbeddedBroker.start(setup)) {
      String where = broker.host() + ":" + broker.mqttPort();
      Run right = cli(Map.of("FLEETFLAGS_PASSWORD", "secret-of-cli"), "history", "--broker", where, "--user", "cli-ops");
      assertEquals(0, right.exit(), right::toString);
      Run wrong = cli(Map.of("FLEETFLAGS_PASSWORD", "not-the-secret"), "history", "--broker", where, "--user", "cli-ops");
      assertEquals(4, wrong.exit(), wrong::toString);
      assertTrue(wrong.err().contains("refused the sign-in of user 'cli-ops'"), wrong::toString);
    }
  }

  @Test
  @Order(6)
  void rolloutsAndScheduledChangesAreStartedWatchedAndStoppedFromTheCli() throws IOException {
    String off = "{\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"off\"}";
    Operator.accepted(fleet.operator().apply(Scenarios.document("\"cli-rollout\": " + off)));
    Path on = write("on.json", off.replace("\"defaultVariant\": \"off\"", "\"defaultVariant\": \"on\""));

    Run started = operator("rollout", "start", "cli-rollout", "--definition", on.toString(), "--wave", "10:600", "--wave",
        "100:600", "--max-failed", "2", "--on-failure", "revert");
    assertEquals(0, started.exit(), started::toString);
    assertTrue(started.out().matches("(?s)accepted at revision \\d+\nrollout cli-rollout@\\d+ of cli-rollout: baking, wave 1 of 2"
        + " \\(10%\\).*"), started::toString);
    assertTrue(started.out().contains("gates: maxFailedPercent 2"), started::toString);
    Run twice = operator("rollout", "start", "cli-rollout", "--definition", on.toString(), "--wave", "100:1");
    assertEquals(6, twice.exit(), twice::toString);
    assertTrue(twice.err().contains("flag: flag \"cli-rollout\" already has an active rollout"), twice::toString);
    Run badWave = operator("rollout", "start", "cli-rollout", "--definition", on.toString(), "--wave", "10");
    assertEquals(2, badWave.exit(), badWave::toString);
    assertTrue(badWave.err().contains("--wave 10: give PERCENT:SECONDS"), badWave::toString);

    Run paused = operator("rollout", "pause", "cli-rollout");
    assertEquals(0, paused.exit(), paused::toString);
    assertTrue(paused.out().contains("of cli-rollout: paused, wave 1 of 2"), paused::toString);
    Run resumed = operator("rollout", "resume", "cli-rollout");
    assertTrue(resumed.out().contains("of cli-rollout: baking, wave 1 of 2"), resumed::toString);
    Run status = operator("rollout", "status", "cli-rollout", "--json");
    assertEquals(0, status.exit(), status::toString);
    assertEquals("baking", Operator.parse(status.out()).get("rollouts").get(0).get("status").asText(), status::toString);
    Run aborted = operator("rollout", "abort", "cli-rollout");
    assertEquals(0, aborted.exit(), aborted::toString);
    assertTrue(aborted.out().contains("of cli-rollout: aborted"), aborted::toString);
    assertEquals("off", fleet.operator().queryFlags().get("flags").get("cli-rollout").get("definition").get("defaultVariant")
        .asText(), "the definition before the rollout is back");

    assertEquals(0, operator("rollout", "start", "cli-rollout", "--definition", on.toString(), "--wave", "50:600", "--wave",
        "100:600").exit());
    Run advanced = operator("rollout", "advance", "cli-rollout");
    assertTrue(advanced.out().contains("baking, wave 2 of 2 (100%)"), advanced::toString);
    Run completed = operator("rollout", "advance", "cli-rollout");
    assertTrue(completed.out().contains("of cli-rollout: completed"), completed::toString);
    for (Device d : fleet.devices()) {
      d.awaitHeld(held -> Boolean.TRUE.equals(held.values().get("cli-rollout")), "cli-rollout on");
    }
    Run all = operator("rollout", "status");
    assertTrue(all.out().startsWith("2 rollouts (flags at revision"), all::toString);

    String at = java.time.Instant.now().plusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    Run scheduled = operator("schedule", "apply", "--at", at, write("later.json", Scenarios.document(COLOR)).toString());
    assertEquals(0, scheduled.exit(), scheduled::toString);
    assertTrue(scheduled.out().contains("pending  at " + at + "  flags/apply"), scheduled::toString);
    String id = Operator.parse(operator("schedule", "list", "--json").out()).get("changes").get(0).get("id").asText();
    Run listed = operator("schedule", "list");
    assertTrue(listed.out().startsWith("1 scheduled change"), listed::toString);
    Run cancelled = operator("schedule", "cancel", id);
    assertEquals(0, cancelled.exit(), cancelled::toString);
    assertTrue(cancelled.out().contains(id + "  cancelled"), cancelled::toString);
    Run badTime = operator("schedule", "delete", "--at", "tomorrow", "cli-rollout");
    assertEquals(2, badTime.exit(), badTime::toString);
    Run past = operator("schedule", "delete", "--at", "2000-01-01T00:00:00Z", "cli-rollout");
    assertEquals(6, past.exit(), past::toString);
    assertTrue(past.err().startsWith("fleetflags: rejected, nothing was changed: at: "), past::toString);
  }

  // --- running the CLI ---------------------------------------------------------------------------

  private static String broker() {
    return fleet.broker().host() + ":" + fleet.broker().mqttPort();
  }

  /** The CLI as the fleet's operator. */
  private static Run operator(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--broker", broker(), "--user", Operator.USERNAME));
    return cli(Map.of("FLEETFLAGS_PASSWORD", Operator.PASSWORD), all.toArray(new String[0]));
  }

  private static Run cli(Map<String, String> environment, String... args) {
    return cliWithInput(environment, "", args);
  }

  private static Run cliWithInput(Map<String, String> environment, String stdin, String... args) {
    return CliProcess.run(files, environment, stdin, args);
  }

  private static Path write(String name, String content) throws IOException {
    return Files.writeString(files.resolve(name), content);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
