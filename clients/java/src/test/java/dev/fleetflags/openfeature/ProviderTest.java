package dev.fleetflags.openfeature;

import static dev.fleetflags.device.Updates.confirmation;
import static dev.fleetflags.device.Updates.delta;
import static dev.fleetflags.device.Updates.flag;
import static dev.fleetflags.device.Updates.json;
import static dev.fleetflags.device.Updates.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.device.FlagSet;
import dev.fleetflags.device.SavedSet;
import dev.fleetflags.proto.v1.Flag;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider's protocol and events against a {@link ScriptedLink}, through the OpenFeature API as
 * an application uses it: what it presents and asks, what it holds and saves, what it refuses, and
 * which events the application's handlers get.
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
    FleetFlagsProvider p = FleetFlagsProvider.builder().clientId("dev-1").link(link).savedSet(saved)
        .initTimeout(Duration.ofSeconds(20)).reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(40)).build();
    providers.add(p);
    return p;
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
    Thread broker = new Thread(() -> {
      Waiting.until(() -> link.asked().contains("subscribe"), () -> link.asked().toString());
      link.deliver(snapshot(3, OTA, LEVEL, MODE, flag("ratio", 0.25), flag("big", 1L << 40),
          json("cfg", "{\"a\":[1,2.5,\"x\",null],\"b\":{\"c\":true}}")));
    });
    broker.start();
    API.setProviderAndWait(domain, provider);
    broker.join();
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
    Thread broker = new Thread(() -> {
      Waiting.until(() -> link.asked().contains("subscribe"), () -> link.asked().toString());
      link.deliver(snapshot(3, OTA, LEVEL));
    });
    broker.start();
    API.setProviderAndWait(domain, provider);
    broker.join();
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
}
