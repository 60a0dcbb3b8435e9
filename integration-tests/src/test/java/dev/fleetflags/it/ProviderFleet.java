package dev.fleetflags.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import dev.fleetflags.device.FlagSet;
import dev.fleetflags.device.HeldFlag;
import dev.fleetflags.device.StateHash;
import dev.fleetflags.openfeature.FleetFlagsProvider;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.ProviderState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Java devices: the FleetFlags OpenFeature provider (clients/java, compiled with these tests from
 * its sources), one per device, given to OpenFeature under the device's id. Each connects by itself
 * (MQTT 5 with its attributes as CONNECT user properties, or MQTT 3.1.1), saves its set to a file
 * after every update and starts from it when it boots, and acks what it applies; the commands are
 * those of {@link CFleet}.
 */
final class ProviderFleet implements AutoCloseable {

  private static final OpenFeatureAPI API = OpenFeatureAPI.getInstance();

  /** How a device was added: what it boots with again. */
  private record Setup(Device.Protocol protocol, Map<String, String> attributes,
      FleetFlagsProvider.@Nullable ValueCheck check) {}

  private final FleetFlagsBroker broker;
  private final Path sets;
  private final Map<String, Setup> setups = new ConcurrentHashMap<>();
  private final Map<String, FleetFlagsProvider> running = new ConcurrentHashMap<>();

  ProviderFleet(FleetFlagsBroker broker, Path sets) throws IOException {
    this.broker = broker;
    this.sets = sets;
    Folders.delete(sets);
    Files.createDirectories(sets);
  }

  /** Boots a device (no saved set yet: it waits for its first) and connects it. */
  void add(String id, Device.Protocol protocol, Map<String, String> attributes,
      FleetFlagsProvider.@Nullable ValueCheck check) {
    setups.put(id, new Setup(protocol, attributes, check));
    boot(id);
  }

  private void boot(String id) {
    Setup setup = setups.get(id);
    FleetFlagsProvider.Builder b = FleetFlagsProvider.builder().clientId(id).server(broker.host(), broker.mqttPort())
        .savedSet(sets.resolve(id + ".pb")).initTimeout(MqttDevice.WAIT)
        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500));
    if (setup.protocol() == Device.Protocol.MQTT3) {
      b.mqtt3();
    }
    setup.attributes().forEach(b::attribute);
    if (setup.check() != null) {
      b.valueCheck(setup.check());
    }
    FleetFlagsProvider provider = b.build();
    running.put(id, provider);
    API.setProviderAndWait(id, provider);
  }

  /** Throws the device out (a client of its id connects and leaves): it reconnects by itself. */
  void reconnect(String id) {
    Mqtt5BlockingClient intruder = MqttClient.builder().identifier(id).serverHost(broker.host())
        .serverPort(broker.mqttPort()).useMqttVersion5().buildBlocking();
    try {
      intruder.connect();
      intruder.disconnect();
    } catch (RuntimeException takenOverAgain) {
      // the device came back first
    }
  }

  /** Switches the device off: connection and memory gone, the saved set stays. */
  void off(String id) {
    FleetFlagsProvider provider = running.remove(id);
    if (provider != null) {
      provider.shutdown();
    }
  }

  /** Boots the device from its saved set and connects it. */
  void reboot(String id) {
    off(id);
    boot(id);
  }

  /** Whether the device runs and its set is confirmed by the broker on its current connection. */
  boolean ready(String id) {
    return running.containsKey(id) && API.getClient(id).getProviderState() == ProviderState.READY;
  }

  /** What the device holds now (null if off or holding nothing). */
  @Nullable FlagSet held(String id) {
    FleetFlagsProvider provider = running.get(id);
    return provider == null ? null : provider.flagSet();
  }

  /** The values of a set as the admin answers write them. */
  static Map<String, JsonNode> values(FlagSet set) {
    Map<String, JsonNode> values = new TreeMap<>();
    for (HeldFlag flag : set.flags().values()) {
      values.put(flag.key(), switch (flag.type()) {
        case BOOLEAN -> Operator.JSON.getNodeFactory().booleanNode((Boolean) flag.value());
        case INTEGER -> Operator.JSON.getNodeFactory().numberNode((Long) flag.value());
        case DOUBLE -> Operator.JSON.getNodeFactory().numberNode((Double) flag.value());
        case STRING -> Operator.JSON.getNodeFactory().textNode((String) flag.value());
        case JSON -> Operator.parse((String) flag.value());
      });
    }
    return values;
  }

  /** The state hash of a set as the admin answers write it. */
  static String stateHash(FlagSet set) {
    return StateHash.text(set.stateHash());
  }

  @Override
  public void close() {
    running.keySet().forEach(this::off);
  }
}
