package dev.fleetflags.openfeature;

import static dev.fleetflags.device.Updates.confirmation;
import static dev.fleetflags.device.Updates.delta;
import static dev.fleetflags.device.Updates.flag;
import static dev.fleetflags.device.Updates.hash;
import static dev.fleetflags.device.Updates.json;
import static dev.fleetflags.device.Updates.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.device.FlagSet;
import dev.fleetflags.device.SavedSet;
import dev.fleetflags.device.ValueType;
import dev.fleetflags.proto.v1.Flag;
import dev.fleetflags.proto.v1.FlagUpdate;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ErrorCode;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.ProviderEvent;
import dev.openfeature.sdk.ProviderState;
import dev.openfeature.sdk.Reason;
import dev.openfeature.sdk.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider's protocol and events against a {@link ScriptedLink}, through the OpenFeature API as
 * an application uses it: what it presents and asks, what it holds and saves, what it refuses,
 * which events the application's handlers get, and what it acks.
 */
class ProviderTest {

  private static final OpenFeatureAPI API = OpenFeatureAPI.getInstance();
  private static final Flag OTA = flag("ota", true, "on");
  private static final Flag LEVEL = flag("level", 42L, "high");
  private static final Flag MODE = flag("mode", "eco", "eco");

  @TempDir Path dir;
  private final List<FleetFlagsProvider> providers = new ArrayList<>();
  private final String domain = "test-" + UUID.randomUUID();

  @AfterEach
  void shutDown() {
    providers.forEach(FleetFlagsProvider::shutdown);
  }

  private FleetFlagsProvider provider(ScriptedLink link, Path saved) {
    return provider(link, saved, FleetFlagsProvider.builder());
  }

  private FleetFlagsProvider provider(ScriptedLink link, Path saved, FleetFlagsProvider.Builder options) {
    FleetFlagsProvider p = options.clientId("dev-1").link(link).savedSet(saved)
        .initTimeout(Duration.ofSeconds(20)).reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(40)).build();
    providers.add(p);
    return p;
  }

  /** Gives the provider to OpenFeature while the link, as the broker, answers its subscription with {@code first}. */
  private void setUp(ScriptedLink link, FleetFlagsProvider provider, FlagUpdate first) throws Exception {
    Thread broker = new Thread(() -> {
      Waiting.until(() -> link.asked().contains("subscribe"), () -> link.asked().toString());
      link.deliver(first);
    });
    broker.start();
    API.setProviderAndWait(domain, provider);
    broker.join();
  }

  @Test
  void startsFromTheSavedSetOfflineIsStaleThenPresentsItsHashAndIsReadyWhenConfirmed() throws Exception {
    Path file = dir.resolve("flags.pb");
    new SavedSet(file).write(FlagSet.apply(null, snapshot(7, OTA, LEVEL, MODE).toByteArray()).set());
    ScriptedLink link = new ScriptedLink(true, true);
    FleetFlagsProvider provider = provider(link, file);
    Client client = API.getClient(domain);
    EventLog events = new EventLog(client);

    API.setProviderAndWait(domain, provider);
    events.await(ProviderEvent.PROVIDER_READY);
    assertEquals(true, client.getBooleanValue("ota", false));
    events.await(ProviderEvent.PROVIDER_STALE); // the broker is out of reach
    assertEquals(ProviderState.STALE, client.getProviderState());
    assertEquals(42, client.getIntegerValue("level", 0), "stale values are still served");

    link.reachable(true);
    Waiting.until(() -> link.asked().contains("subscribe"), () -> link.asked().toString());
    assertEquals("connect " + String.format("%08x", provider.flagSet().stateHash()),
        link.asked().get(link.asked().size() - 2), "the saved set's hash is in the CONNECT");

    link.deliver(confirmation(8, List.of(OTA, LEVEL, MODE)));
    events.await(ProviderEvent.PROVIDER_READY);
    assertEquals(ProviderState.READY, client.getProviderState());
    Flag level = flag("level", 43L, "higher");
    link.deliver(delta(9, List.of(level), List.of("mode"), List.of(OTA, level)));
    EventLog.Event changed = events.await(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED);
    assertEquals(List.of("level", "mode"), changed.flagsChanged());
    assertTrue(events.others().isEmpty(), () -> "the confirmation changed nothing: " + events.others());
    assertEquals(43, client.getIntegerValue("level", 0));
    assertEquals(9, new SavedSet(file).read().revision(), "saved after the update");
  }

  @Test
  void typedEvaluationsWithReasonsVariantsAndErrors() throws Exception {
    ScriptedLink link = new ScriptedLink(true, true);
    link.reachable(true);
    FleetFlagsProvider provider = provider(link, dir.resolve("f.pb"));
    setUp(link, provider, snapshot(3, OTA, LEVEL, MODE, flag("ratio", 0.25), flag("big", 1L << 40),
        json("cfg", "{\"a\":[1,2.5,\"x\",null],\"b\":{\"c\":true}}")));
    Client client = API.getClient(domain);

    FlagEvaluationDetails<Boolean> ota = client.getBooleanDetails("ota", false);
    assertEquals(true, ota.getValue());
    assertEquals(Reason.CACHED.toString(), ota.getReason());
    assertEquals("on", ota.getVariant());
    assertNull(ota.getErrorCode());
    assertEquals("eco", client.getStringValue("mode", "x"));
    assertEquals(42, client.getIntegerValue("level", 0));
    assertEquals(42L, client.getLongValue("level", 0L));
    assertEquals(42.0, client.getDoubleValue("level", 0.0), "an integer flag read as double");
    assertEquals(0.25, client.getDoubleValue("ratio", 0.0));
    assertEquals(1L << 40, client.getLongValue("big", 0L));
    Value cfg = client.getObjectValue("cfg", new Value());
    assertEquals(2.5, cfg.asStructure().getValue("a").asList().get(1).asDouble());
    assertEquals(1L, cfg.asStructure().getValue("a").asList().get(0).asObject());
    assertTrue(cfg.asStructure().getValue("a").asList().get(3).isNull());
    assertEquals(true, cfg.asStructure().getValue("b").asStructure().getValue("c").asBoolean());

    FlagEvaluationDetails<Boolean> missing = client.getBooleanDetails("nope", true);
    assertEquals(true, missing.getValue());
    assertEquals(ErrorCode.FLAG_NOT_FOUND, missing.getErrorCode());
    assertEquals(Reason.ERROR.toString(), missing.getReason());
    FlagEvaluationDetails<String> mismatch = client.getStringDetails("ota", "dflt");
    assertEquals("dflt", mismatch.getValue());
    assertEquals(ErrorCode.TYPE_MISMATCH, mismatch.getErrorCode());
    assertEquals(ErrorCode.TYPE_MISMATCH, client.getIntegerDetails("ratio", 1).getErrorCode(), "a double is no integer");
    assertEquals(ErrorCode.TYPE_MISMATCH, client.getIntegerDetails("big", 1).getErrorCode(), "beyond int");
    assertEquals(ErrorCode.TYPE_MISMATCH, client.getObjectDetails("mode", new Value()).getErrorCode());
    assertEquals(ErrorCode.TYPE_MISMATCH, client.getBooleanDetails("cfg", false).getErrorCode());
  }

  @Test
  void refusesMalformedAndMismatchingUpdatesKeepsItsSetAndAsksForASnapshot() throws Exception {
    ScriptedLink link = new ScriptedLink(true, true);
    link.reachable(true);
    Path file = dir.resolve("f.pb");
    FleetFlagsProvider provider = provider(link, file);
    setUp(link, provider, snapshot(3, OTA, LEVEL));
    FlagSet before = provider.flagSet();
    byte[] saved = Files.readAllBytes(file);

    byte[] whole = delta(4, List.of(MODE), List.of(), List.of(OTA, LEVEL, MODE)).toByteArray();
    List<byte[]> bad = List.of(
        Arrays.copyOf(whole, whole.length - 3), // truncated
        new byte[] {(byte) 0xff, 0x01},
        delta(4, List.of(MODE), List.of(), List.of(OTA, MODE)).toByteArray()); // hash of another set
    int resyncs = 0;
    for (byte[] payload : bad) {
      link.deliver(payload);
      int expected = ++resyncs;
      Waiting.until(() -> link.asked().stream().filter("resync "::equals).count() == expected, () -> link.asked().toString());
      assertEquals(before, provider.flagSet(), "the set is as it was");
      assertTrue(Arrays.equals(saved, Files.readAllBytes(file)), "the saved set is as it was");
    }
    link.deliver(snapshot(5, OTA, LEVEL, MODE));
    Waiting.until(() -> provider.flagSet().revision() == 5, () -> "the snapshot applied");
  }

  @Test
  void followingTheApplicationsClientItPresentsItsHashByResyncBeforeSubscribing() throws Exception {
    Path file = dir.resolve("flags.pb");
    FlagSet saved = FlagSet.apply(null, snapshot(7, OTA).toByteArray()).set();
    new SavedSet(file).write(saved);
    ScriptedLink link = new ScriptedLink(false, false);
    FleetFlagsProvider provider = provider(link, file);
    API.setProviderAndWait(domain, provider);
    assertEquals(List.of(), link.asked(), "it waits for the application to connect");
    link.applicationConnected();
    Waiting.until(() -> link.asked().size() == 2, () -> link.asked().toString());
    assertEquals(List.of("resync " + String.format("%08x", saved.stateHash()), "subscribe"), link.asked());
    link.drop();
    link.applicationConnected();
    Waiting.until(() -> link.asked().size() == 4, () -> link.asked().toString());
    assertEquals("subscribe", link.asked().get(3), "again on the next connection");
  }

  @Test
  void withoutASavedSetInitializationWaitsForTheFirstAndReportsAnErrorWhenItDoesNotCome() throws Exception {
    Path file = dir.resolve("flags.pb");
    Files.writeString(file, "damaged");
    ScriptedLink link = new ScriptedLink(true, true);
    FleetFlagsProvider provider = FleetFlagsProvider.builder().clientId("dev-1").link(link).savedSet(file)
        .initTimeout(Duration.ofMillis(200)).reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(20)).build();
    providers.add(provider);
    Client client = API.getClient(domain);
    EventLog events = new EventLog(client);
    assertThrows(Exception.class, () -> API.setProviderAndWait(domain, provider));
    assertEquals(ProviderState.ERROR, client.getProviderState());
    assertEquals(ErrorCode.PROVIDER_NOT_READY, client.getBooleanDetails("ota", false).getErrorCode());
    assertTrue(link.asked().get(0).equals("connect null"), "a damaged file is no set to present");

    link.reachable(true);
    Waiting.until(() -> link.asked().contains("subscribe"), () -> link.asked().toString());
    link.deliver(snapshot(1, OTA));
    events.await(ProviderEvent.PROVIDER_READY);
    assertEquals(ProviderState.READY, client.getProviderState());
    assertEquals(true, client.getBooleanValue("ota", false));
    assertNotNull(new SavedSet(file).read(), "the damaged file is replaced");
  }

  /**
   * The provider's acknowledgements (README "Acknowledgements"): an APPLIED ack for every update
   * it applied, confirmations too, none for what it refused; REJECTED with the keys and reasons
   * where the application's value check refused values, which it then does not use; FAILED when
   * the application reports it; none at all with acks off.
   */
  @Nested
  class Acknowledgements {

    /** A connected provider that holds the snapshot of revision 3 {OTA, LEVEL}. */
    private FleetFlagsProvider started(ScriptedLink link, FleetFlagsProvider.Builder options) throws Exception {
      link.reachable(true);
      FleetFlagsProvider provider = provider(link, dir.resolve("f.pb"), options);
      setUp(link, provider, snapshot(3, OTA, LEVEL));
      return provider;
    }

    private static List<String> acks(ScriptedLink link) {
      return link.asked().stream().filter(a -> a.startsWith("ack")).toList();
    }

    private static void awaitAcks(ScriptedLink link, int count) {
      Waiting.until(() -> acks(link).size() >= count, () -> link.asked().toString());
    }

    private static String hex(int hash) {
      return String.format("%08x", hash);
    }

    @Test
    void acksEveryUpdateItAppliedAndNoneItRefused() throws Exception {
      ScriptedLink link = new ScriptedLink(true, true);
      started(link, FleetFlagsProvider.builder());
      awaitAcks(link, 1);
      assertEquals("ack APPLIED 3 " + hex(hash(List.of(OTA, LEVEL))) + " []", acks(link).get(0));

      link.deliver(delta(4, List.of(MODE), List.of("level"), List.of(OTA, MODE)));
      link.deliver(confirmation(5, List.of(OTA, MODE)));
      awaitAcks(link, 3);
      String held = hex(hash(List.of(OTA, MODE)));
      assertEquals(List.of("ack APPLIED 4 " + held + " []", "ack APPLIED 5 " + held + " []"), acks(link).subList(1, 3),
          "a confirmation is acked too");

      // Refused (malformed, or a hash of another set): a resync instead of an ack; its snapshot is acked.
      byte[] whole = delta(6, List.of(LEVEL), List.of(), List.of(OTA, MODE, LEVEL)).toByteArray();
      link.deliver(Arrays.copyOf(whole, whole.length - 2));
      link.deliver(delta(6, List.of(LEVEL), List.of(), List.of(OTA, LEVEL)).toByteArray());
      Waiting.until(() -> link.asked().contains("resync "), () -> link.asked().toString());
      link.deliver(snapshot(6, OTA, MODE, LEVEL));
      awaitAcks(link, 4);
      assertEquals(List.of("ack APPLIED 6 " + hex(hash(List.of(OTA, MODE, LEVEL))) + " []"), acks(link).subList(3, 4));
    }

    @Test
    void refusedValuesAreAckedRejectedAndNotUsed() throws Exception {
      ScriptedLink link = new ScriptedLink(true, true);
      Path file = dir.resolve("f.pb");
      FleetFlagsProvider provider = started(link, FleetFlagsProvider.builder().valueCheck(value ->
          value.type() == ValueType.INTEGER && (Long) value.value() > 100 ? "level above 100 is beyond this firmware"
              : value.key().equals("mode") && !value.value().equals("eco") ? "only eco" : null));
      Client client = API.getClient(domain);
      EventLog events = new EventLog(client);
      awaitAcks(link, 1);

      Flag tooHigh = flag("level", 500L, "max");
      Flag boost = flag("mode", "boost", "boost");
      Flag off = flag("ota", false, "off");
      link.deliver(delta(4, List.of(tooHigh, boost, off), List.of(), List.of(off, tooHigh, boost)));
      awaitAcks(link, 2);
      // It keeps level 42 and goes without mode, which it did not hold: {off, LEVEL}.
      int kept = hash(List.of(off, LEVEL));
      assertEquals("ack REJECTED 4 " + hex(kept) + " [level, mode] level: level above 100 is beyond this firmware;"
          + " mode: only eco", acks(link).get(1));
      assertEquals(42, client.getIntegerValue("level", 0));
      assertEquals("none", client.getStringValue("mode", "none"));
      assertEquals(false, client.getBooleanValue("ota", true), "what it took, it uses");
      assertEquals(List.of("ota"), events.await(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED).flagsChanged());
      assertEquals(kept, provider.flagSet().stateHash());
      assertEquals(4, provider.flagSet().revision());
      assertEquals(kept, new SavedSet(file).read().stateHash(), "what it holds is what it saved");

      // What it holds is no set the broker computed: the next delta does not verify, and the
      // snapshot it asks for is checked again.
      Flag fine = flag("level", 7L, "low");
      link.deliver(delta(5, List.of(fine), List.of(), List.of(off, fine, boost)));
      Waiting.until(() -> link.asked().contains("resync "), () -> link.asked().toString());
      link.deliver(snapshot(5, off, fine, boost));
      awaitAcks(link, 3);
      assertEquals("ack REJECTED 5 " + hex(hash(List.of(off, fine))) + " [mode] mode: only eco", acks(link).get(2));
      assertEquals(7, client.getIntegerValue("level", 0));
    }

    @Test
    void aFailureTheApplicationReportsIsAckedFailedWithItsReasonCut() throws Exception {
      ScriptedLink link = new ScriptedLink(true, true);
      FleetFlagsProvider provider = started(link, FleetFlagsProvider.builder());
      awaitAcks(link, 1);
      provider.reportFailed("the pump did not come up with the new ratio");
      awaitAcks(link, 2);
      assertEquals("ack FAILED 3 " + hex(hash(List.of(OTA, LEVEL))) + " [] the pump did not come up with the new ratio",
          acks(link).get(1));

      provider.reportFailed("ü".repeat(200));
      awaitAcks(link, 3);
      assertTrue(acks(link).get(2).endsWith(" " + "ü".repeat(128)), () -> acks(link).get(2));
    }

    @Test
    void withAcksOffItSendsNone() throws Exception {
      ScriptedLink link = new ScriptedLink(true, true);
      FleetFlagsProvider provider = started(link, FleetFlagsProvider.builder().acks(false));
      link.deliver(delta(4, List.of(MODE), List.of(), List.of(OTA, LEVEL, MODE)));
      Waiting.until(() -> provider.flagSet().revision() == 4, () -> "the delta applied");
      assertEquals(List.of(), acks(link));
      assertThrows(IllegalStateException.class, () -> provider.reportFailed("x"));
    }
  }
}
