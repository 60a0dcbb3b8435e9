package dev.fleetflags.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fleetflags.it.Mqtt5Device;
import dev.fleetflags.proto.v1.FlagUpdate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * One run of the harness: a broker JVM with FleetFlags seeded with the 50-flag set, N devices in
 * this JVM, and the phases of issue 4 each against a bare baseline on the same broker; then a
 * broker without FleetFlags for the heap comparison. Every phase checks what the devices received
 * (counts, kinds, values) and records what fails in the results' problems; timings are reported,
 * never judged here.
 */
final class LoadRun {

  static final String FLAG_TOPIC = "flags/{clientId}";

  /** Where bare devices subscribe: as long as the flag topic, a topic FleetFlags does not serve. */
  static final String BARE_TOPIC = "plain/{clientId}";

  /** The flag whose change affects every device (a one-flag boolean delta). */
  static final String ALL_DEVICES_FLAG = "ota-v2";

  static final String ROLLOUT_FLAG = "rollout-step";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final LoadSettings settings;
  private final int n;
  private final List<String> ids;
  private final JsonNode seed;
  private final List<String> problems = new ArrayList<>();

  LoadRun(LoadSettings settings) throws IOException {
    this.settings = settings;
    this.n = settings.devices();
    this.ids = IntStream.range(0, n).mapToObj(Fleet::id).toList();
    this.seed = JSON.readTree(settings.flags().toFile());
  }

  LoadResults run() throws IOException, InterruptedException {
    clean(settings.work());
    List<Long> connectFlags = new ArrayList<>();
    List<Long> connectBare = new ArrayList<>();
    List<Long> connectBareMessage = new ArrayList<>();
    List<Long> fanOut = new ArrayList<>();
    List<Long> baseline = new ArrayList<>();
    List<Long> answered = new ArrayList<>();
    long heapBefore;
    long heapAfter;
    int[] snapshots;
    int delta;
    int deltaRevision;
    LoadResults.Rollout rollout;
    int rolloutDelta;
    int rolloutRevision;
    try (BrokerProcess broker = BrokerProcess.start(settings, settings.work().resolve("fleetflags"), true);
        Mqtt5Device operator = signIn(broker);
        Fleet fleet = new Fleet(broker, settings)) {
      BrokerControl control = new BrokerControl(operator, settings.timeout());
      int others = control.status().get("connected").asInt();
      log("broker pid %d with FleetFlags on port %d; %d devices", broker.pid(), broker.mqttPort(), n);

      // 5. the heap: a fresh broker before and after the devices connected and got their sets
      // (leftovers of earlier connections would blur it); this is also the warm-up round
      heapBefore = control.heapAfterGc(broker.logFile().resolveSibling("heap-before.txt"));
      fleet.connect(FLAG_TOPIC);
      snapshots = checkSnapshots(await(fleet, n, "first flag sets"));
      if (!control.awaitStatus(LoadRun::idle)) {
        problem("FleetFlags did not become idle after the first flag sets");
      }
      heapAfter = control.heapAfterGc(broker.logFile().resolveSibling("heap-after.txt"));
      int snapshotSize = median(IntStream.of(snapshots).boxed().toList());
      fleet.disconnect();
      awaitConnections(control, others);

      // 2. connect + subscribe (+ first flag set), bare and FleetFlags alternately
      for (int round = 0; round < settings.rounds(); round++) {
        long start = System.nanoTime();
        connectBare.add(fleet.connect(BARE_TOPIC) - start);
        expectNothingMore(fleet, "bare devices");
        fleet.disconnect();
        awaitConnections(control, others);
        control.firstMessage(BARE_TOPIC, snapshotSize);
        start = System.nanoTime();
        fleet.connect(BARE_TOPIC);
        List<Fleet.Arrival> firsts = await(fleet, n, "the broker's first messages");
        connectBareMessage.add(last(firsts) - start);
        checkBaseline(firsts, snapshotSize, "first message");
        control.firstMessage(BARE_TOPIC, 0);
        fleet.disconnect();
        awaitConnections(control, others);
        start = System.nanoTime();
        fleet.connect(FLAG_TOPIC);
        List<Fleet.Arrival> sets = await(fleet, n, "first flag sets");
        connectFlags.add(last(sets) - start);
        checkSnapshots(sets);
        log("connect round %d: bare %d ms, with the broker's own first message %d ms, with first"
            + " flag set %d ms", round + 1, millis(connectBare.get(round)),
            millis(connectBareMessage.get(round)), millis(connectFlags.get(round)));
        if (round < settings.rounds() - 1) {
          fleet.disconnect();
          awaitConnections(control, others);
        }
      }

      // 1. a change affecting every device against N publishes of the same size by the broker
      delta = 0;
      deltaRevision = 0;
      for (int round = 0; round < settings.rounds(); round++) {
        boolean value = round % 2 == 0;
        if (round % 2 == 1) {
          baseline.add(baselineRound(fleet, control, FLAG_TOPIC, delta));
        }
        expectNothingMore(fleet, "devices before the change");
        long start = System.nanoTime();
        JsonNode answer = control.admin("flags/apply", allDevicesFlag(value));
        answered.add(System.nanoTime() - start);
        expectAccepted(answer, n, "the change of " + ALL_DEVICES_FLAG);
        List<Fleet.Arrival> deltas = await(fleet, n, "deltas of " + ALL_DEVICES_FLAG);
        fanOut.add(last(deltas) - start);
        delta = checkDeltas(deltas, ALL_DEVICES_FLAG, device -> value, "every device");
        deltaRevision = answer.path("revision").asInt();
        if (round % 2 == 0) {
          baseline.add(baselineRound(fleet, control, FLAG_TOPIC, delta));
        }
        log("fan-out round %d: FleetFlags %d ms (answered after %d ms), broker's PublishService %d"
            + " ms", round + 1, millis(fanOut.get(round)), millis(answered.get(round)),
            millis(baseline.get(round)));
      }

      JsonNode adminTime = control.status().get("metrics");
      log("FleetFlags handled its admin requests in %.0f ms on average, %.0f ms at most"
          + " (fleetflags.admin.time: validation, durable write, planning)",
          adminTime.path("fleetflags.admin.time.mean-ms").asDouble(),
          adminTime.path("fleetflags.admin.time.max-ms").asDouble());

      // 3. a rollout step from 10% to 20%
      RolloutPrediction ten = new RolloutPrediction(ROLLOUT_FLAG, 10);
      RolloutPrediction twenty = new RolloutPrediction(ROLLOUT_FLAG, 20);
      JsonNode introduced = control.admin("flags/apply", ten.document());
      expectAccepted(introduced, n, "the new flag " + ROLLOUT_FLAG + " at 10%");
      checkDeltas(await(fleet, n, ROLLOUT_FLAG + " at 10%"), ROLLOUT_FLAG,
          device -> ten.on(Fleet.id(device)), "every device");
      TreeSet<Integer> predicted = new TreeSet<>();
      for (int device = 0; device < n; device++) {
        if (ten.on(Fleet.id(device)) != twenty.on(Fleet.id(device))) {
          predicted.add(device);
        }
      }
      long sentBefore = deltasSent(control.status());
      JsonNode step = control.admin("flags/apply", twenty.document());
      expectAccepted(step, predicted.size(), "the step of " + ROLLOUT_FLAG + " to 20%");
      // Exact: FleetFlags has nothing queued or in flight, and every delta it counted arrived.
      boolean quiet = control.awaitStatus(s -> idle(s) && deltasSent(s) - sentBefore == fleet.arrived());
      List<Fleet.Arrival> stepDeltas = fleet.takeArrivals();
      long sent = deltasSent(control.status()) - sentBefore;
      if (!quiet) {
        problem("rollout step: FleetFlags sent %d deltas, devices received %d", sent, stepDeltas.size());
      }
      TreeSet<Integer> received = new TreeSet<>();
      stepDeltas.forEach(a -> received.add(a.device()));
      rolloutDelta = checkDeltas(stepDeltas, ROLLOUT_FLAG, device -> twenty.on(Fleet.id(device)),
          "the predicted devices");
      boolean exact = received.equals(predicted) && stepDeltas.size() == predicted.size();
      if (!exact) {
        problem("rollout step: %d devices predicted to change, %d messages to %d devices; not"
            + " predicted: %s; missed: %s", predicted.size(), stepDeltas.size(), received.size(),
            difference(received, predicted), difference(predicted, received));
      }
      rollout = new LoadResults.Rollout(predicted.size(), step.path("devicesAffected").asInt(-1),
          stepDeltas.size(), sent, exact);
      rolloutRevision = step.path("revision").asInt();
      log("rollout step: %d predicted, %d affected, %d received", predicted.size(),
          rollout.affected(), rollout.received());
      fleet.disconnect();
    }

    // 5. the same devices on a broker without FleetFlags, for the heap per device
    long bareBefore;
    long bareAfter;
    List<Integer> snapshotSizes = IntStream.of(snapshots).boxed().sorted().toList();
    try (BrokerProcess broker = BrokerProcess.start(settings, settings.work().resolve("bare"), false);
        Mqtt5Device operator = signIn(broker);
        Fleet fleet = new Fleet(broker, settings)) {
      BrokerControl control = new BrokerControl(operator, settings.timeout());
      log("broker pid %d without FleetFlags on port %d", broker.pid(), broker.mqttPort());
      bareBefore = control.heapAfterGc(broker.logFile().resolveSibling("heap-before.txt"));
      fleet.connect(FLAG_TOPIC);
      baselineRound(fleet, control, FLAG_TOPIC, median(snapshotSizes));
      bareAfter = control.heapAfterGc(broker.logFile().resolveSibling("heap-after.txt"));
      fleet.disconnect();
    }

    LoadResults.WireBytes bytes =
        wireBytes(delta, deltaRevision, rolloutDelta, rolloutRevision, snapshots, snapshotSizes);
    LoadResults.Heap heap = new LoadResults.Heap(heapBefore, heapAfter, bareBefore, bareAfter, n);
    return new LoadResults(n, settings.rounds(), new LoadResults.Timing(fanOut, baseline), answered,
        new LoadResults.Timing(connectFlags, connectBare),
        new LoadResults.Timing(connectFlags, connectBareMessage), rollout, bytes, heap, problems);
  }

  private Mqtt5Device signIn(BrokerProcess broker) {
    return Mqtt5Device.with(broker, "load-operator")
        .credentials(LoadBroker.OPERATOR, LoadBroker.OPERATOR_PASSWORD)
        .connect();
  }

  /**
   * The broker publishes {@code size} bytes to every device through its PublishService; the time
   * from the request until the last device has its message.
   */
  private long baselineRound(Fleet fleet, BrokerControl control, String topic, int size)
      throws InterruptedException {
    expectNothingMore(fleet, "devices before the baseline");
    long start = System.nanoTime();
    long taken = control.baseline(size, topic, ids);
    if (taken != n) {
      problem("baseline: the broker took %d of %d publishes", taken, n);
    }
    List<Fleet.Arrival> arrivals = await(fleet, n, "baseline messages");
    checkBaseline(arrivals, size, "baseline");
    return last(arrivals) - start;
  }

  /** One message per device, of the baseline's {@code size} zero bytes. */
  private void checkBaseline(List<Fleet.Arrival> arrivals, int size, String what) {
    checkOnePerDevice(arrivals, what);
    for (Fleet.Arrival a : arrivals) {
      if (a.payload().length != size || (size > 0 && a.payload()[0] != 0)) {
        problem("%s: %s received %d bytes, not %d zero bytes", what, Fleet.id(a.device()),
            a.payload().length, size);
        break;
      }
    }
  }

  /**
   * Each device got one snapshot with a value for every flag of the set; returns their sizes by
   * device.
   */
  private int[] checkSnapshots(List<Fleet.Arrival> sets) {
    checkOnePerDevice(sets, "first flag sets");
    int flags = seed.get("flags").size();
    int[] sizes = new int[n];
    for (Fleet.Arrival a : sets) {
      FlagUpdate update = decode(a);
      if (update == null || !update.getSnapshot() || update.getFlagsCount() != flags) {
        problem("%s's first message is not a snapshot of %d flags: %s", Fleet.id(a.device()), flags,
            update);
        break;
      }
      sizes[a.device()] = a.payload().length;
    }
    return sizes;
  }

  /**
   * Each arrival is a delta of exactly one flag, {@code key}, with the expected value, one per
   * device; returns the largest payload.
   */
  private int checkDeltas(List<Fleet.Arrival> deltas, String key,
      java.util.function.IntPredicate expected, String who) {
    checkOnePerDevice(deltas, key + " deltas to " + who);
    int largest = 0;
    for (Fleet.Arrival a : deltas) {
      FlagUpdate u = decode(a);
      boolean right = u != null && !u.getSnapshot() && u.getRemovedCount() == 0
          && u.getFlagsCount() == 1 && u.getFlags(0).getKey().equals(key)
          && u.getFlags(0).hasBool() && u.getFlags(0).getBool() == expected.test(a.device());
      if (!right) {
        problem("%s received %s, not a delta of %s = %s", Fleet.id(a.device()), u, key,
            expected.test(a.device()));
        break;
      }
      largest = Math.max(largest, a.payload().length);
    }
    return largest;
  }

  private void checkOnePerDevice(List<Fleet.Arrival> arrivals, String what) {
    Map<Integer, Integer> perDevice = new HashMap<>();
    arrivals.forEach(a -> perDevice.merge(a.device(), 1, Integer::sum));
    perDevice.entrySet().stream().filter(e -> e.getValue() > 1).findFirst().ifPresent(e ->
        problem("%s: %s received %d messages", what, Fleet.id(e.getKey()), e.getValue()));
  }

  private FlagUpdate decode(Fleet.Arrival a) {
    try {
      return FlagUpdate.parseFrom(a.payload());
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }

  private void expectAccepted(JsonNode answer, int affected, String what) {
    if (!answer.path("status").asText().equals("accepted")) {
      problem("%s was not accepted: %s", what, answer);
    } else if (answer.path("devicesAffected").asInt(-1) != affected) {
      problem("%s: the answer says %s devices affected, expected %d", what,
          answer.path("devicesAffected"), affected);
    }
  }

  /** Waits for {@code count} messages and takes them; a shortfall is a problem, not a hang. */
  private List<Fleet.Arrival> await(Fleet fleet, int count, String what) throws InterruptedException {
    if (!fleet.awaitArrivals(count)) {
      problem("%s: %d of %d arrived within %s", what, fleet.arrived(), count, settings.timeout());
    }
    return fleet.takeArrivals();
  }

  /** Nothing arrived that the phase did not ask for. */
  private void expectNothingMore(Fleet fleet, String who) {
    List<Fleet.Arrival> stray = fleet.takeArrivals();
    if (!stray.isEmpty()) {
      problem("%s received %d unexpected messages (first to %s)", who, stray.size(),
          Fleet.id(stray.get(0).device()));
    }
  }

  /** Until the broker has processed every DISCONNECT, so the next round starts from the same state. */
  private void awaitConnections(BrokerControl control, int connections) throws InterruptedException {
    if (!control.awaitStatus(s -> s.get("connected").asInt() == connections)) {
      throw new IllegalStateException("the broker still has devices connected after " + settings.timeout());
    }
  }

  private static boolean idle(JsonNode status) {
    JsonNode m = status.get("metrics");
    return m.path("fleetflags.queue.depth").asLong(-1) == 0
        && m.path("fleetflags.publishes.in-flight").asLong(-1) == 0;
  }

  private static long deltasSent(JsonNode status) {
    return status.get("metrics").path("fleetflags.deltas.sent").asLong();
  }

  private String allDevicesFlag(boolean on) {
    return """
        {"flags":{"%s":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"%s"}}}"""
        .formatted(ALL_DEVICES_FLAG, on ? "on" : "off");
  }

  /** FleetFlags' bytes measured on the devices beside what LaunchDarkly and flagd send. */
  private LoadResults.WireBytes wireBytes(int delta, int deltaRevision, int rolloutDelta,
      int rolloutRevision, int[] snapshots, List<Integer> sorted) throws IOException {
    JsonNode allFlag = JSON.readTree(allDevicesFlag(true)).get("flags").get(ALL_DEVICES_FLAG);
    JsonNode rolloutFlag = JSON.readTree(new RolloutPrediction(ROLLOUT_FLAG, 20).document())
        .get("flags").get(ROLLOUT_FLAG);
    ObjectNode afterDelta = JSON.createObjectNode();
    ObjectNode flags = afterDelta.putObject("flags");
    flags.setAll((ObjectNode) seed.get("flags"));
    ObjectNode snapshotConfig = afterDelta.deepCopy();
    flags.set(ALL_DEVICES_FLAG, allFlag);
    ObjectNode afterRollout = afterDelta.deepCopy();
    ((ObjectNode) afterRollout.get("flags")).set(ROLLOUT_FLAG, rolloutFlag);
    return new LoadResults.WireBytes(
        ALL_DEVICES_FLAG,
        delta,
        rolloutDelta,
        snapshots.length == 0 ? 0 : snapshots[0],
        sorted.isEmpty() ? 0 : sorted.get(0),
        median(sorted),
        sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1),
        FlagServiceMessages.bytes(FlagServiceMessages.launchDarklyPatch(ALL_DEVICES_FLAG, allFlag, deltaRevision)),
        FlagServiceMessages.bytes(FlagServiceMessages.launchDarklyPatch(ROLLOUT_FLAG, rolloutFlag, rolloutRevision)),
        FlagServiceMessages.bytes(FlagServiceMessages.launchDarklyPut(snapshotConfig, 1)),
        FlagServiceMessages.bytes(FlagServiceMessages.flagdSync(afterDelta)),
        FlagServiceMessages.bytes(FlagServiceMessages.flagdSync(afterRollout)),
        FlagServiceMessages.bytes(FlagServiceMessages.flagdSync(snapshotConfig)));
  }

  private void problem(String format, Object... args) {
    String p = String.format(format, args);
    problems.add(p);
    log("PROBLEM: %s", p);
  }

  private static long last(List<Fleet.Arrival> arrivals) {
    return arrivals.stream().mapToLong(Fleet.Arrival::nanos).max().orElse(System.nanoTime());
  }

  private static int median(List<Integer> values) {
    List<Integer> sorted = values.stream().sorted().toList();
    return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
  }

  private static String difference(TreeSet<Integer> a, TreeSet<Integer> b) {
    return a.stream().filter(x -> !b.contains(x)).limit(10).map(Fleet::id).toList().toString();
  }

  private static long millis(long nanos) {
    return nanos / 1_000_000;
  }

  static void log(String format, Object... args) {
    System.out.printf("[load] " + format + "%n", args);
  }

  /**
   * Removes a previous run's broker folders. A run leaves its own in place: the broker logs and
   * the class histograms beside each heap reading ({@code log/heap-*.txt}).
   */
  private static void clean(Path folder) throws IOException {
    if (Files.exists(folder)) {
      try (Stream<Path> paths = Files.walk(folder)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
