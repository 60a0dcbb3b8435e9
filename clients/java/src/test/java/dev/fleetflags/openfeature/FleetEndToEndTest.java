package dev.fleetflags.openfeature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.lifecycle.Mqtt5ClientReconnector;
import dev.fleetflags.device.FlagSet;
import dev.fleetflags.device.HeldFlag;
import dev.fleetflags.device.JsonText;
import dev.fleetflags.device.StateHash;
import dev.fleetflags.device.ValueType;
import dev.fleetflags.mqtt.ClientEvents;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.ProviderState;
import dev.openfeature.sdk.Reason;
import dev.openfeature.sdk.Value;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet of {@value #DEVICES} provider devices on a real broker with the packaged zip, through
 * {@value #CHANGES} random flag changes (apply, replace, delete; every value type; targeting on
 * CONNECT attributes, registry attributes and rollouts), devices thrown out and coming back,
 * devices restarted from their saved sets, two broker restarts with devices restarted while it is
 * down. At the end every device holds exactly what {@code query/evaluate} says, values, variants
 * and state hash, and answers OpenFeature evaluations with them. Random but repeatable: the seed
 * is printed, and {@code -Dfleetflags.e2e.seed=N} runs that seed again.
 */
class FleetEndToEndTest {

  /**
   * Kept small: the fleet of 200, C and Java devices together with their acks, is the
   * integration tests' DeviceLibrariesTest; this one adds what only the provider has (the
   * application's own client) and broker restarts.
   */
  static final int DEVICES = 30;
  static final int CHANGES = 50;
  private static final OpenFeatureAPI API = OpenFeatureAPI.getInstance();
  private static final String[] MODELS = {"th-100", "th-200", "gw-1"};
  private static final String[] KEYS = {
    "ota", "level", "ratio", "mode", "cfg", "rollout", "beta", "interval", "limits", "température-ü", "中文-标志",
    "emoji-\ud83d\ude80"
  };

  @TempDir Path dir;
  private final long seed = Long.getLong("fleetflags.e2e.seed", new Random().nextLong());
  private final Random random = new Random(seed);
  private Broker broker;
  private Operator operator;
  private final List<FleetDevice> fleet = new ArrayList<>();

  /** How a device talks to the broker. */
  enum Kind {
    /** The provider connects over MQTT 5, with attributes as CONNECT user properties. */
    MQTT5,
    /** The provider connects over MQTT 3.1.1 (no user properties). */
    MQTT3,
    /** The application's MQTT 5 client with automatic reconnect; the provider follows it. */
    APP5,
    /** The application's MQTT 3.1.1 client. */
    APP3
  }

  @AfterEach
  void close() {
    fleet.forEach(FleetDevice::stop);
    if (operator != null) {
      operator.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void everyDeviceEndsWithWhatTheBrokerEvaluatesForIt() {
    System.out.println("FleetEndToEndTest seed " + seed + " (-Dfleetflags.e2e.seed=" + seed + " repeats it)");
    Map<String, String> current = new TreeMap<>();
    for (int i = 0; i < 6; i++) {
      current.put(KEYS[i], definition());
    }
    broker = Broker.start(document(current), "model", "region");
    operator = new Operator(broker, "ops-fleet");
    Map<String, Map<String, String>> registry = new LinkedHashMap<>();
    for (int i = 0; i < DEVICES; i++) {
      Kind kind = i % 10 == 7 ? Kind.APP5 : i % 20 == 13 ? Kind.APP3 : i % 4 == 3 ? Kind.MQTT3 : Kind.MQTT5;
      FleetDevice d = new FleetDevice("p-%02d".formatted(i), kind, dir.resolve("p-%02d.pb".formatted(i)),
          kind == Kind.MQTT5 || kind == Kind.APP5
              ? Map.of("model", MODELS[i % 3], "region", i % 2 == 0 ? "eu" : "us", "secret", "not-allowed")
              : Map.of());
      fleet.add(d);
      if (i % 5 == 0) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("tier", i % 10 == 0 ? "gold" : "silver");
        if (i % 15 == 0) {
          attributes.put("model", "th-900"); // the registry's word wins over the device's
        }
        registry.put(d.id, attributes);
      }
    }
    operator.accepted("devices/attributes", Operator.JSON.createObjectNode()
        .set("devices", Operator.JSON.valueToTree(registry)).toString());
    long t0 = System.nanoTime();
    fleet.forEach(FleetDevice::start);
    long t1 = System.nanoTime();

    for (int change = 0; change < CHANGES; change++) {
      change(current);
      double disruption = random.nextDouble();
      FleetDevice d = fleet.get(random.nextInt(DEVICES));
      if (disruption < 0.2) {
        EventsEndToEndTest.Intruder.kick(broker, d.id);
      } else if (disruption < 0.3) {
        d.stop();
        d.start();
      }
      if (change == CHANGES / 3 || change == 2 * CHANGES / 3) {
        restartBrokerRestartingDevices(8);
      }
    }

    long t2 = System.nanoTime();
    for (FleetDevice d : fleet) {
      d.awaitHolds(operator, registry.get(d.id));
    }
    System.out.printf("%d devices up in %d ms, %d changes with disruptions in %d ms, all checked in %d ms%n",
        DEVICES, (t1 - t0) / 1_000_000, CHANGES, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);
  }

  /** One random write: apply 1 to 3 flags, replace the whole set, or delete 1 or 2 flags. */
  private void change(Map<String, String> current) {
    int op = random.nextInt(10);
    if (op < 6 || current.size() < 3) {
      Map<String, String> flags = new TreeMap<>();
      for (int n = 1 + random.nextInt(3); n > 0; n--) {
        flags.put(KEYS[random.nextInt(KEYS.length)], definition());
      }
      operator.accepted("flags/apply", document(flags));
      current.putAll(flags);
    } else if (op < 8) {
      Map<String, String> flags = new TreeMap<>();
      for (int n = 3 + random.nextInt(KEYS.length - 3); n > 0; n--) {
        String key = KEYS[random.nextInt(KEYS.length)];
        flags.put(key, current.containsKey(key) && random.nextBoolean() ? current.get(key) : definition());
      }
      operator.accepted("flags/replace", document(flags));
      current.clear();
      current.putAll(flags);
    } else {
      List<String> keys = new ArrayList<>(current.keySet());
      Set<String> gone = new TreeSet<>();
      for (int n = 1 + random.nextInt(2); n > 0; n--) {
        gone.add(keys.get(random.nextInt(keys.size())));
      }
      operator.accepted("flags/delete", Operator.JSON.createObjectNode()
          .set("flags", Operator.JSON.valueToTree(gone)).toString());
      gone.forEach(current::remove);
    }
  }

  /**
   * Stops the broker; restarts {@code count} devices meanwhile, each from its saved set while the
   * broker is out of reach; starts the broker again.
   */
  private void restartBrokerRestartingDevices(int count) {
    broker.stop();
    for (int n = 0; n < count; n++) {
      FleetDevice d = fleet.get(random.nextInt(DEVICES));
      FlagSet before = d.provider.flagSet();
      d.stop();
      d.start();
      FlagSet after = d.provider.flagSet();
      assertNotNull(after, () -> d.id + " did not start from its saved set");
      assertEquals(before.flags(), after.flags(), () -> d.id + " saved another set");
      assertEquals(before.stateHash(), after.stateHash());
      assertEquals(before.revision(), after.revision());
    }
    broker.start();
    operator.reconnect();
  }

  /** A flag definition of a random type, state, default and targeting, in flagd's format. */
  private String definition() {
    String[] values = switch (random.nextInt(5)) {
      case 0 -> new String[] {"true", "false", "true"};
      case 1 -> new String[] {
        Integer.toString(random.nextInt(2000) - 1000), Long.toString(random.nextLong() >> random.nextInt(40)), "0"
      };
      case 2 -> new String[] {(random.nextInt(200) - 100) + ".25", "-1.5", random.nextInt(10) + ".75"};
      case 3 -> new String[] {"\"v" + random.nextInt(100) + "\"", "\"ünï-" + random.nextInt(100) + " ✓\"", "\"\""};
      default -> new String[] {
        "{\"level\": " + random.nextInt(10) + ", \"tags\": [\"a\", \"b\"]}",
        "{\"nested\": {\"on\": true, \"ratio\": 0.5, \"none\": null}, \"name\": \"x\"}", "{}"
      };
    };
    String targeting = switch (random.nextInt(6)) {
      case 0 -> "";
      case 1 -> ", \"targeting\": {\"if\": [{\"==\": [{\"var\": \"model\"}, \"th-100\"]}, \"a\", \"b\"]}";
      case 2 -> ", \"targeting\": {\"if\": [{\"in\": [{\"var\": \"region\"}, [\"eu\"]]}, \"c\", null]}";
      case 3 -> ", \"targeting\": {\"if\": [{\"==\": [{\"var\": \"tier\"}, \"gold\"]}, \"b\", null]}";
      case 4 -> ", \"targeting\": {\"fractional\": [[\"a\", 50], [\"b\", 30], [\"c\", 20]]}";
      default -> ", \"targeting\": {\"if\": [{\"starts_with\": [{\"var\": \"targetingKey\"}, \"p-1\"]}, \"c\", \"a\"]}";
    };
    String state = random.nextInt(10) == 0 ? "DISABLED" : "ENABLED";
    String defaultVariant = random.nextInt(8) == 0 ? "" : ", \"defaultVariant\": \"" + "abc".charAt(random.nextInt(3)) + "\"";
    return "{\"state\": \"%s\", \"variants\": {\"a\": %s, \"b\": %s, \"c\": %s}%s%s}"
        .formatted(state, values[0], values[1], values[2], defaultVariant, targeting);
  }

  private static String document(Map<String, String> flags) {
    StringBuilder doc = new StringBuilder("{\"flags\": {");
    String sep = "";
    for (Map.Entry<String, String> f : flags.entrySet()) {
      doc.append(sep).append(JsonNodeFactory.instance.textNode(f.getKey()).toString()).append(": ").append(f.getValue());
      sep = ", ";
    }
    return doc.append("}}").toString();
  }

  /** One device: its provider (and its application's client), its saved set and its OpenFeature client. */
  final class FleetDevice {

    final String id;
    final Kind kind;
    final Path saved;
    final Map<String, String> userProperties;
    final Client client;
    FleetFlagsProvider provider;
    private @Nullable MqttClient application;
    private AtomicBoolean stopped = new AtomicBoolean();

    FleetDevice(String id, Kind kind, Path saved, Map<String, String> userProperties) {
      this.id = id;
      this.kind = kind;
      this.saved = saved;
      this.userProperties = userProperties;
      this.client = API.getClient("fleet-" + id);
    }

    /** A new provider from the saved set (and a new application client), given to OpenFeature. */
    void start() {
      FleetFlagsProvider.Builder b = FleetFlagsProvider.builder().savedSet(saved)
          .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500)).initTimeout(Waiting.WAIT);
      switch (kind) {
        case MQTT5, MQTT3 -> {
          b.clientId(id).server(broker.host(), broker.port());
          if (kind == Kind.MQTT3) {
            b.mqtt3();
          }
          userProperties.forEach(b::attribute);
        }
        case APP5 -> {
          ClientEvents events = new ClientEvents();
          Mqtt5Client app = application(events).useMqttVersion5().build();
          b.client(app, events);
          application = app;
          var connect = app.toAsync().connectWith().userProperties();
          userProperties.forEach(connect::add);
          connect.applyUserProperties().send();
        }
        case APP3 -> {
          ClientEvents events = new ClientEvents();
          Mqtt3Client app = application(events).useMqttVersion3().build();
          b.client(app, events);
          application = app;
          app.toAsync().connect();
        }
      }
      provider = b.build();
      API.setProviderAndWait("fleet-" + id, provider);
    }

    void stop() {
      if (provider != null) {
        provider.shutdown();
      }
      stopped.set(true);
      if (application instanceof Mqtt5Client app && app.getState().isConnected()) {
        app.toAsync().disconnect();
      } else if (application instanceof Mqtt3Client app && app.getState().isConnected()) {
        app.toAsync().disconnect();
      }
      application = null;
    }

    /**
     * An application's client, as an application builds one: automatic reconnect (with its user
     * properties, which the client's reconnect leaves out), and the provider's events. Once stopped
     * it stops reconnecting (a disconnect alone does not stop a client between attempts).
     */
    private MqttClientBuilder application(ClientEvents events) {
      AtomicBoolean stop = new AtomicBoolean();
      stopped = stop;
      return MqttClient.builder().identifier(id).serverHost(broker.host()).serverPort(broker.port())
          .automaticReconnect().initialDelay(50, TimeUnit.MILLISECONDS).maxDelay(500, TimeUnit.MILLISECONDS)
          .applyAutomaticReconnect()
          .addConnectedListener(events).addDisconnectedListener(events)
          .addDisconnectedListener(context -> {
            if (stop.get()) {
              context.getReconnector().reconnect(false);
            } else if (context.getReconnector() instanceof Mqtt5ClientReconnector reconnector) {
              var connect = reconnector.connectWith().userProperties();
              userProperties.forEach(connect::add);
              connect.applyUserProperties().applyConnect();
            }
          });
    }

    /**
     * Waits until the device is ready (connected, its set confirmed) and holds what {@code
     * query/evaluate} says, then checks its OpenFeature evaluations and the attributes the broker
     * used.
     */
    void awaitHolds(Operator operator, @Nullable Map<String, String> registry) {
      Operator.Evaluated[] last = new Operator.Evaluated[1];
      Waiting.until(() -> {
        if (client.getProviderState() != ProviderState.READY) {
          return false;
        }
        last[0] = operator.evaluate(id);
        return last[0].connected() && holds(last[0]);
      }, () -> id + " (" + kind + ", seed " + seed + ") holds " + provider.flagSet() + "; the broker says " + last[0]);
      Operator.Evaluated evaluated = last[0];
      for (HeldFlag flag : provider.flagSet().flags().values()) {
        FlagEvaluationDetails<?> details = switch (flag.type()) {
          case BOOLEAN -> client.getBooleanDetails(flag.key(), !(Boolean) flag.value());
          case INTEGER -> client.getLongDetails(flag.key(), 0L);
          case DOUBLE -> client.getDoubleDetails(flag.key(), 0.0);
          case STRING -> client.getStringDetails(flag.key(), "");
          case JSON -> client.getObjectDetails(flag.key(), new Value());
        };
        assertEquals(Reason.CACHED.toString(), details.getReason(), () -> id + " " + flag);
        assertEquals(evaluated.variants().get(flag.key()), details.getVariant(), () -> id + " " + flag);
        Object expected = flag.type() == ValueType.JSON ? Values.of(JsonText.parse((String) flag.value())) : flag.value();
        assertEquals(expected, details.getValue(), () -> id + " " + flag);
      }
      JsonNode attributes = operator.send("query/evaluate", "{\"device\": \"" + id + "\"}").get("attributes");
      assertFalse(attributes.has("secret"), () -> id + ": a property off the allow-list is no attribute");
      if (kind == Kind.MQTT5 || kind == Kind.APP5) {
        String model = registry != null && registry.containsKey("model") ? registry.get("model") : userProperties.get("model");
        assertEquals(model, attributes.path("model").asText(), () -> id + " (" + kind + "): " + attributes + " "
            + operator.send("query/evaluate", "{\"device\": \"" + id + "\"}"));
        assertEquals(userProperties.get("region"), attributes.path("region").asText(), () -> id + ": " + attributes);
      }
    }

    /** Whether the provider holds exactly the evaluated values, variants and state hash. */
    private boolean holds(Operator.Evaluated evaluated) {
      FlagSet set = provider.flagSet();
      if (set == null || !StateHash.text(set.stateHash()).equals(evaluated.stateHash())) {
        return false;
      }
      Map<String, JsonNode> values = new LinkedHashMap<>();
      Map<String, String> variants = new LinkedHashMap<>();
      for (HeldFlag flag : set.flags().values()) {
        values.put(flag.key(), json(flag));
        variants.put(flag.key(), flag.variant());
      }
      return values.equals(evaluated.values()) && variants.equals(evaluated.variants());
    }
  }

  /** A held value as the admin answers write it. */
  static JsonNode json(HeldFlag flag) {
    JsonNodeFactory json = JsonNodeFactory.instance;
    return switch (flag.type()) {
      case BOOLEAN -> json.booleanNode((Boolean) flag.value());
      case INTEGER -> json.numberNode((Long) flag.value());
      case DOUBLE -> json.numberNode((Double) flag.value());
      case STRING -> json.textNode((String) flag.value());
      case JSON -> Operator.parse((String) flag.value());
    };
  }
}
