package dev.fleetflags.openfeature;

import static dev.fleetflags.device.Updates.confirmation;
import static dev.fleetflags.device.Updates.delta;
import static dev.fleetflags.device.Updates.flag;
import static dev.fleetflags.device.Updates.hash;
import static dev.fleetflags.device.Updates.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.device.SavedSet;
import dev.fleetflags.device.ValueType;
import dev.fleetflags.proto.v1.Flag;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.ProviderEvent;
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
 * The provider's acknowledgements (README "Acknowledgements") against a {@link ScriptedLink}: an
 * APPLIED ack for every update it applied, confirmations too, none for what it refused; REJECTED
 * with the keys and reasons where the application's value check refused values, which it then
 * does not use; FAILED when the application reports it; none at all with acks off.
 */
class AcksTest {

  private static final OpenFeatureAPI API = OpenFeatureAPI.getInstance();
  private static final Flag OTA = flag("ota", true, "on");
  private static final Flag LEVEL = flag("level", 42L, "high");
  private static final Flag MODE = flag("mode", "eco", "eco");

  @TempDir Path dir;
  private final List<FleetFlagsProvider> providers = new ArrayList<>();
  private final String domain = "acks-" + UUID.randomUUID();

  @AfterEach
  void shutDown() {
    providers.forEach(FleetFlagsProvider::shutdown);
  }

  /** A connected provider that holds the snapshot of revision 3 {OTA, LEVEL}. */
  private FleetFlagsProvider started(ScriptedLink link, FleetFlagsProvider.Builder options) throws Exception {
    link.reachable(true);
    FleetFlagsProvider provider = options.clientId("dev-1").link(link).savedSet(dir.resolve("f.pb"))
        .initTimeout(Duration.ofSeconds(20)).reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(40)).build();
    providers.add(provider);
    Thread broker = new Thread(() -> {
      Waiting.until(() -> link.asked().contains("subscribe"), () -> link.asked().toString());
      link.deliver(snapshot(3, OTA, LEVEL));
    });
    broker.start();
    API.setProviderAndWait(domain, provider);
    broker.join();
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
