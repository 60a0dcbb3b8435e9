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

  /** A broker with the operator's connection and the devices (not connected between phases). */
  private record Session(BrokerProcess broker, BrokerControl control, Devices fleet, int others) {}

  /** The first flag sets of the warm-up round: sizes by device, and their median. */
  private record Snapshots(int[] bySize, int median) {}

  /**
   * A fan-out phase's rounds: until the last device has its message and until the first has, the
   * admin answer's time, and the delta's size and revision (for the bytes comparison).
   */
  private record FanOut(LoadResults.Timing timing, LoadResults.Timing first, List<Long> answered, int delta,
      int revision) {}

  /** The rollout step and its delta's size and revision. */
  private record Step(LoadResults.Rollout rollout, int delta, int revision) {}

  LoadResults run() throws IOException, InterruptedException {
    clean(settings.work());
    long[] heapFlags = new long[2];
    Snapshots snapshots;
    LoadResults.Timing[] connects;
    FanOut fanOut;
    Step step;
    try (BrokerProcess broker = BrokerProcess.start(settings, settings.work().resolve("fleetflags"), true);
        Mqtt5Device operator = signIn(broker);
        Devices fleet = Devices.open(broker, settings)) {
      BrokerControl control = new BrokerControl(operator, settings.timeout());
      JsonNode status = control.status();
      Session session = new Session(broker, control, fleet, status.get("connected").asInt());
      log("broker pid %d with FleetFlags on port %d; %d devices; %s", broker.pid(), broker.mqttPort(), n,
          brokerFiles(status, "the broker JVM with FleetFlags"));
      snapshots = warmUp(session, heapFlags);
      connects = connects(session, snapshots.median());
      fanOut = fanOut(session);
      step = rolloutStep(session);
      fleet.disconnect();
    }
    long[] heapBare = bareHeap(snapshots.median());
    LoadResults.WireBytes bytes = wireBytes(fanOut, step, snapshots);
    LoadResults.Heap heap = new LoadResults.Heap(heapFlags[0], heapFlags[1], heapBare[0], heapBare[1], n);
    return new LoadResults(n, settings.rounds(), fanOut.timing(), fanOut.first(), fanOut.answered(), connects[0],
        connects[1], step.rollout(), bytes, heap, problems);
  }

  /**
   * 5. The heap, on the fresh broker (leftovers of earlier connections would blur it): before and
   * after the devices connected and got their first sets, into {@code heap}. Also the warm-up
   * round of the timed phases.
   */
  private Snapshots warmUp(Session s, long[] heap) throws InterruptedException {
    heap[0] = s.control().heapAfterGc(s.broker().logFile().resolveSibling("heap-before.txt"));
    s.fleet().connect(FLAG_TOPIC);
    int[] sizes = checkSnapshots(await(s.fleet(), n, "first flag sets"));
    if (!s.control().awaitStatus(LoadRun::idle)) {
      problem("FleetFlags did not become idle after the first flag sets");
    }
    heap[1] = s.control().heapAfterGc(s.broker().logFile().resolveSibling("heap-after.txt"));
    log("broker with %d devices connected: %s", n, files(s.control().status()));
    disconnect(s);
    return new Snapshots(sizes, median(IntStream.of(sizes).boxed().toList()));
  }

  /**
   * 2. Connect + subscribe, alone, followed by the broker's own first message of the snapshot's
   * size, and followed by the first flag set, in turn; the devices stay connected after the last.
   *
   * @return against connect + subscribe alone, and against the broker's own first message
   */
  private LoadResults.Timing[] connects(Session s, int snapshotSize) throws InterruptedException {
    List<Long> flags = new ArrayList<>();
    List<Long> bare = new ArrayList<>();
    List<Long> bareMessage = new ArrayList<>();
    for (int round = 0; round < settings.rounds(); round++) {
      long start = System.nanoTime();
      bare.add(s.fleet().connect(BARE_TOPIC) - start);
      expectNothingMore(s.fleet(), "bare devices");
      disconnect(s);

      s.control().firstMessage(BARE_TOPIC, snapshotSize);
      start = System.nanoTime();
      s.fleet().connect(BARE_TOPIC);
      List<Devices.Arrival> firsts = await(s.fleet(), n, "the broker's first messages");
      bareMessage.add(last(firsts) - start);
      checkBaseline(firsts, snapshotSize, "first message");
      s.control().firstMessage(BARE_TOPIC, 0);
      disconnect(s);

      start = System.nanoTime();
      s.fleet().connect(FLAG_TOPIC);
      List<Devices.Arrival> sets = await(s.fleet(), n, "first flag sets");
      flags.add(last(sets) - start);
      checkSnapshots(sets);
      log("connect round %d: bare %d ms, with the broker's own first message %d ms, with first"
          + " flag set %d ms", round + 1, millis(bare.get(round)), millis(bareMessage.get(round)),
          millis(flags.get(round)));
      if (round < settings.rounds() - 1) {
        disconnect(s);
      }
    }
    return new LoadResults.Timing[] {
      new LoadResults.Timing(flags, bare), new LoadResults.Timing(flags, bareMessage)
    };
  }

  /**
   * 1. A change affecting every device (flag {@value #ALL_DEVICES_FLAG} flipped) against N
   * publishes of the same size by the broker, alternating which goes first.
   */
  private FanOut fanOut(Session s) throws InterruptedException {
    List<Long> flags = new ArrayList<>();
    List<Long> baseline = new ArrayList<>();
    List<Long> flagsFirst = new ArrayList<>();
    List<Long> baselineFirst = new ArrayList<>();
    List<Long> baselineTaken = new ArrayList<>();
    List<Long> answered = new ArrayList<>();
    int delta = 0;
    int revision = 0;
    int warmup = LoadSettings.fanOutWarmup(); // rounds not counted, as JMH warms up
    for (int round = -warmup; round < settings.rounds(); round++) {
      boolean value = Math.floorMod(round, 2) == 0;
      String label = round < 0 ? "warm-up " + (round + warmup + 1) : String.valueOf(round + 1);
      String baselineSpread = "";
      if (Math.floorMod(round, 2) == 1) {
        JsonNode cpu = s.control().status().get("cpu");
        long clients = clientsCpu();
        baselineSpread = addBaseline(baselineRound(s.fleet(), s.control(), FLAG_TOPIC, delta), baseline,
            baselineFirst, baselineTaken);
        logCpu("baseline", label, cpu, s.control().status().get("cpu"), clientsCpu() - clients);
      }
      expectNothingMore(s.fleet(), "devices before the change");
      JsonNode cpuBefore = s.control().status().get("cpu");
      long clientsBefore = clientsCpu();
      long start = System.nanoTime();
      JsonNode answer = s.control().admin("flags/apply", allDevicesFlag(value));
      answered.add(System.nanoTime() - start);
      expectAccepted(answer, n, "the change of " + ALL_DEVICES_FLAG);
      List<Devices.Arrival> deltas = await(s.fleet(), n, "deltas of " + ALL_DEVICES_FLAG);
      flags.add(last(deltas) - start);
      flagsFirst.add(first(deltas) - start);
      logCpu("FleetFlags", label, cpuBefore, s.control().status().get("cpu"), clientsCpu() - clientsBefore);
      String flagsSpread = spread(deltas, start);
      delta = checkDeltas(deltas, ALL_DEVICES_FLAG, device -> value, "every device");
      revision = answer.path("revision").asInt();
      if (Math.floorMod(round, 2) == 0) {
        JsonNode cpu = s.control().status().get("cpu");
        long clients = clientsCpu();
        baselineSpread = addBaseline(baselineRound(s.fleet(), s.control(), FLAG_TOPIC, delta), baseline,
            baselineFirst, baselineTaken);
        logCpu("baseline", label, cpu, s.control().status().get("cpu"), clientsCpu() - clients);
      }
      int last = flags.size() - 1;
      log("fan-out round %s: FleetFlags %d ms (first delta after %d ms, answered after %d ms), broker's"
          + " PublishService %d ms (first message after %d ms, all taken by the broker after %d ms)", label,
          millis(flags.get(last)), millis(flagsFirst.get(last)), millis(answered.get(last)),
          millis(baseline.get(last)), millis(baselineFirst.get(last)), millis(baselineTaken.get(last)));
      log("arrivals in round %s: FleetFlags %s; PublishService %s", label, flagsSpread, baselineSpread);
    }
    for (List<Long> timed : List.of(flags, baseline, flagsFirst, baselineFirst, answered)) {
      timed.subList(0, warmup).clear();
    }
    JsonNode metrics = s.control().status().get("metrics");
    log("FleetFlags handled its admin requests in %.0f ms on average, %.0f ms at most"
        + " (fleetflags.admin.time: validation, durable write, planning)",
        metrics.path("fleetflags.admin.time.mean-ms").asDouble(),
        metrics.path("fleetflags.admin.time.max-ms").asDouble());
    return new FanOut(new LoadResults.Timing(flags, baseline), new LoadResults.Timing(flagsFirst, baselineFirst),
        answered, delta, revision);
  }

  /** Adds a baseline round's times to their lists; returns its arrivals' {@link #spread}. */
  private static String addBaseline(Round round, List<Long> last, List<Long> first, List<Long> taken) {
    first.add(round.first());
    last.add(round.last());
    taken.add(round.allTaken());
    return round.spread();
  }

  /** A baseline round: until the first and the last device had its message, until the broker took all. */
  private record Round(long first, long last, long allTaken, String spread) {}

  /**
   * When devices had their messages, as milliseconds after {@code start} by which 10, 50, 90 and 99
   * percent had theirs: a fan-out that starts late and one that flows slowly end alike, this tells them apart.
   */
  private static String spread(List<Devices.Arrival> arrivals, long start) {
    long[] at = arrivals.stream().mapToLong(a -> a.nanos() - start).sorted().toArray();
    if (at.length == 0) {
      return "none";
    }
    StringBuilder s = new StringBuilder();
    for (int percent : new int[] {10, 50, 90, 99}) {
      int index = Math.min(at.length - 1, (int) ((long) at.length * percent / 100));
      s.append(s.length() == 0 ? "" : ", ").append(percent).append("% by ").append(millis(at[index])).append(" ms");
    }
    return s.toString();
  }

  /**
   * 3. Flag {@value #ROLLOUT_FLAG} introduced at 10% (every device gets it), then stepped to 20%:
   * exactly the predicted devices must get a delta.
   */
  private Step rolloutStep(Session s) throws InterruptedException {
    RolloutPrediction ten = new RolloutPrediction(ROLLOUT_FLAG, 10);
    RolloutPrediction twenty = new RolloutPrediction(ROLLOUT_FLAG, 20);
    expectAccepted(s.control().admin("flags/apply", ten.document()), n,
        "the new flag " + ROLLOUT_FLAG + " at 10%");
    checkDeltas(await(s.fleet(), n, ROLLOUT_FLAG + " at 10%"), ROLLOUT_FLAG,
        device -> ten.on(Fleet.id(device)), "every device");
    TreeSet<Integer> predicted = new TreeSet<>();
    for (int device = 0; device < n; device++) {
      if (ten.on(Fleet.id(device)) != twenty.on(Fleet.id(device))) {
        predicted.add(device);
      }
    }
    long sentBefore = deltasSent(s.control().status());
    JsonNode answer = s.control().admin("flags/apply", twenty.document());
    expectAccepted(answer, predicted.size(), "the step of " + ROLLOUT_FLAG + " to 20%");
    // Exact: FleetFlags has nothing queued or in flight, and every delta it counted arrived.
    boolean quiet = s.control().awaitStatus(
        status -> idle(status) && deltasSent(status) - sentBefore == s.fleet().arrived());
    List<Devices.Arrival> deltas = s.fleet().takeArrivals();
    long sent = deltasSent(s.control().status()) - sentBefore;
    if (!quiet) {
      problem("rollout step: FleetFlags sent %d deltas, devices received %d", sent, deltas.size());
    }
    TreeSet<Integer> received = new TreeSet<>();
    deltas.forEach(a -> received.add(a.device()));
    int delta = checkDeltas(deltas, ROLLOUT_FLAG, device -> twenty.on(Fleet.id(device)),
        "the predicted devices");
    boolean exact = received.equals(predicted) && deltas.size() == predicted.size();
    if (!exact) {
      problem("rollout step: %d devices predicted to change, %d messages to %d devices; not"
          + " predicted: %s; missed: %s", predicted.size(), deltas.size(), received.size(),
          difference(received, predicted), difference(predicted, received));
    }
    LoadResults.Rollout rollout = new LoadResults.Rollout(predicted.size(),
        answer.path("devicesAffected").asInt(-1), deltas.size(), sent, exact);
    log("rollout step: %d predicted, %d affected, %d received", predicted.size(),
        rollout.affected(), rollout.received());
    return new Step(rollout, delta, answer.path("revision").asInt());
  }

  /**
   * 5. The same devices on a fresh broker without FleetFlags, each sent one message of the
   * snapshot's size: its heap before and after.
   */
  private long[] bareHeap(int snapshotSize) throws IOException, InterruptedException {
    try (BrokerProcess broker = BrokerProcess.start(settings, settings.work().resolve("bare"), false);
        Mqtt5Device operator = signIn(broker);
        Devices fleet = Devices.open(broker, settings)) {
      BrokerControl control = new BrokerControl(operator, settings.timeout());
      log("broker pid %d without FleetFlags on port %d; %s", broker.pid(), broker.mqttPort(),
          brokerFiles(control.status(), "the broker JVM without FleetFlags"));
      long before = control.heapAfterGc(broker.logFile().resolveSibling("heap-before.txt"));
      fleet.connect(FLAG_TOPIC);
      baselineRound(fleet, control, FLAG_TOPIC, snapshotSize);
      long after = control.heapAfterGc(broker.logFile().resolveSibling("heap-after.txt"));
      fleet.disconnect();
      return new long[] {before, after};
    }
  }

  /** Disconnects the devices and waits until the broker has processed it. */
  private void disconnect(Session s) throws InterruptedException {
    s.fleet().disconnect();
    awaitConnections(s.control(), s.others());
  }

  private Mqtt5Device signIn(BrokerProcess broker) {
    return Mqtt5Device.with(broker, "load-operator")
        .credentials(LoadBroker.OPERATOR, LoadBroker.OPERATOR_PASSWORD)
        .connect();
  }

  /** CPU time this process (the devices' clients, when it holds them) has used, in nanoseconds. */
  private static long clientsCpu() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
  }

  /** The CPU a round cost the broker JVM, by kind of thread, and the clients. */
  private void logCpu(String kind, String round, JsonNode before, JsonNode after, long clients) {
    StringBuilder parts = new StringBuilder();
    long threads = 0;
    for (var names = after.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (name.equals("process") || name.equals("allocated") || name.equals("vm")) {
        continue;
      }
      long used = after.path(name).asLong() - before.path(name).asLong();
      threads += used;
      parts.append(", ").append(name).append(' ').append(used / 1_000_000);
    }
    long process = after.path("process").asLong() - before.path("process").asLong();
    StringBuilder allocated = new StringBuilder();
    for (var names = after.path("allocated").fieldNames(); names.hasNext(); ) {
      String name = names.next();
      long bytes = after.path("allocated").path(name).asLong() - before.path("allocated").path(name).asLong();
      allocated.append(", ").append(name).append(' ').append(bytes / 1_000_000);
    }
    long gc = after.path("vm").path("gcMillis").asLong() - before.path("vm").path("gcMillis").asLong();
    long jit = after.path("vm").path("jitMillis").asLong() - before.path("vm").path("jitMillis").asLong();
    log("CPU of %s round %s: broker %d ms (%s, VM %d: collectors busy %d ms, JIT compiling %d ms), clients %d ms;"
        + " broker allocated MB: %s", kind, round, process / 1_000_000, parts.substring(2),
        (process - threads) / 1_000_000, gc, jit, clients / 1_000_000, allocated.length() == 0 ? "?" : allocated.substring(2));
  }

  /**
   * The broker publishes {@code size} bytes to every device through its PublishService; the times
   * from the request until the first and until the last device has its message.
   */
  private Round baselineRound(Devices fleet, BrokerControl control, String topic, int size)
      throws InterruptedException {
    expectNothingMore(fleet, "devices before the baseline");
    long start = System.nanoTime();
    long taken = control.baseline(size, topic, ids);
    // The control extension answers once the broker has completed every publish.
    long allTaken = System.nanoTime() - start;
    if (taken != n) {
      problem("baseline: the broker took %d of %d publishes", taken, n);
    }
    List<Devices.Arrival> arrivals = await(fleet, n, "baseline messages");
    checkBaseline(arrivals, size, "baseline");
    return new Round(first(arrivals) - start, last(arrivals) - start, allTaken, spread(arrivals, start));
  }

  /** One message per device, of the baseline's {@code size} zero bytes. */
  private void checkBaseline(List<Devices.Arrival> arrivals, int size, String what) {
    checkOnePerDevice(arrivals, what);
    for (Devices.Arrival a : arrivals) {
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
  private int[] checkSnapshots(List<Devices.Arrival> sets) {
    checkOnePerDevice(sets, "first flag sets");
    int flags = seed.get("flags").size();
    int[] sizes = new int[n];
    for (Devices.Arrival a : sets) {
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
  private int checkDeltas(List<Devices.Arrival> deltas, String key,
      java.util.function.IntPredicate expected, String who) {
    checkOnePerDevice(deltas, key + " deltas to " + who);
    int largest = 0;
    for (Devices.Arrival a : deltas) {
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

  private void checkOnePerDevice(List<Devices.Arrival> arrivals, String what) {
    Map<Integer, Integer> perDevice = new HashMap<>();
    arrivals.forEach(a -> perDevice.merge(a.device(), 1, Integer::sum));
    perDevice.entrySet().stream().filter(e -> e.getValue() > 1).findFirst().ifPresent(e ->
        problem("%s: %s received %d messages", what, Fleet.id(e.getKey()), e.getValue()));
  }

  private FlagUpdate decode(Devices.Arrival a) {
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
  private List<Devices.Arrival> await(Devices fleet, int count, String what) throws InterruptedException {
    if (!fleet.awaitArrivals(count)) {
      problem("%s: %d of %d arrived within %s", what, fleet.arrived(), count, settings.timeout());
    }
    return fleet.takeArrivals();
  }

  /** Nothing arrived that the phase did not ask for. */
  private void expectNothingMore(Devices fleet, String who) {
    List<Devices.Arrival> stray = fleet.takeArrivals();
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

  /**
   * The broker JVM's open files, as its control extension counts them; refuses a run whose devices
   * the broker could not hold, before any connects (a broker out of file descriptors stops
   * accepting connections without a word to the clients).
   */
  private String brokerFiles(JsonNode status, String who) {
    OpenFiles files = new OpenFiles(status.path("files").path("open").asLong(-1),
        status.path("files").path("max").asLong(-1));
    if (!files.room(n)) {
      throw new IllegalStateException("cannot connect " + n + " devices: " + files.tooFew(who, n));
    }
    return files(status);
  }

  /** E.g. {@code 412 of 20,000 files open (sockets 5, FleetFlags' store 9)}. */
  private static String files(JsonNode status) {
    JsonNode f = status.path("files");
    return new OpenFiles(f.path("open").asLong(-1), f.path("max").asLong(-1))
        + (f.has("sockets") ? " (sockets " + f.get("sockets") + ", FleetFlags' store " + f.get("store") + ")" : "");
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
  private LoadResults.WireBytes wireBytes(FanOut fanOut, Step step, Snapshots snapshots)
      throws IOException {
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
    List<Integer> sorted = IntStream.of(snapshots.bySize()).boxed().sorted().toList();
    return new LoadResults.WireBytes(
        ALL_DEVICES_FLAG,
        fanOut.delta(),
        step.delta(),
        snapshots.bySize().length == 0 ? 0 : snapshots.bySize()[0],
        sorted.isEmpty() ? 0 : sorted.get(0),
        snapshots.median(),
        sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1),
        FlagServiceMessages.bytes(
            FlagServiceMessages.launchDarklyPatch(ALL_DEVICES_FLAG, allFlag, fanOut.revision())),
        FlagServiceMessages.bytes(
            FlagServiceMessages.launchDarklyPatch(ROLLOUT_FLAG, rolloutFlag, step.revision())),
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

  private static long last(List<Devices.Arrival> arrivals) {
    return arrivals.stream().mapToLong(Devices.Arrival::nanos).max().orElse(System.nanoTime());
  }

  private static long first(List<Devices.Arrival> arrivals) {
    return arrivals.stream().mapToLong(Devices.Arrival::nanos).min().orElse(System.nanoTime());
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
