package dev.fleetflags.load;

import com.codahale.metrics.Counting;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.suback.parameter.SubackOutboundInput;
import com.hivemq.extension.sdk.api.interceptor.suback.parameter.SubackOutboundOutput;
import com.hivemq.extension.sdk.api.packets.auth.DefaultAuthorizationBehaviour;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.publish.PublishService;
import com.hivemq.extension.sdk.api.services.publish.PublishToClientResult;
import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.JMException;
import javax.management.ObjectName;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The harness's hand inside the broker's JVM (an {@code EmbeddedExtension}, beside FleetFlags):
 * on an MQTT 5 request to {@value #BASELINE} it publishes through the broker's own PublishService
 * the bare baseline FleetFlags is measured against, and on {@value #FIRST_MESSAGE} it follows
 * every SUBACK with a message of its own; on {@value #STATUS} it answers the broker's
 * heap (after full GCs, if asked) and FleetFlags' metrics. Answers go to the request's response
 * topic with its correlation data. Requests are worked off one at a time on a thread of its own,
 * never on the broker's.
 */
final class ControlExtension implements ExtensionMain {

  static final String PREFIX = "load-control/";

  /**
   * {@code {"size": 21, "topic": "flags/{clientId}", "clients": ["dev-0", ...]}}: one QoS 1
   * message of {@code size} zero bytes to each client's topic, answered with how many the broker
   * took once all are handed over. A FlagUpdate never starts with a zero byte (field 0 does not
   * exist), so devices tell the two apart.
   */
  static final String BASELINE = PREFIX + "baseline";

  /**
   * {@code {"gc": true, "histogram": "<file>"}} or {@code {}}: heap used (after three full GCs if
   * asked), connections open, FleetFlags' metrics (timers also as mean and max in ms); the live
   * objects by class into the file, if named.
   */
  static final String STATUS = PREFIX + "status";

  /**
   * {@code {"topic": "plain/{clientId}", "size": 840}}: from now on, after each SUBACK, publish one
   * QoS 1 message of {@code size} zero bytes to the client's topic (what a first message costs the
   * broker itself, as FleetFlags' first flag set follows the SUBACK); size 0 stops it.
   */
  static final String FIRST_MESSAGE = PREFIX + "first-message";

  /** A SUBACK can be seen a moment before the topic tree has the subscription (as FleetFlags finds). */
  private static final int NOT_SUBSCRIBED_RETRIES = 5;

  private static final long RETRY_MILLIS = 20;

  private static final Logger log = LoggerFactory.getLogger(ControlExtension.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final boolean admitEveryone;
  /** FleetFlags' store, where its RocksDB files are: the broker's data folder's fleetflags/. */
  private volatile @Nullable Path store;
  /** Connections that started and have not ended: the broker has processed every DISCONNECT. */
  private final AtomicInteger connected = new AtomicInteger();
  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> daemon(r, "load-control"));
  private final ScheduledExecutorService publisher =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "load-control-first-message"));
  private volatile @Nullable FirstMessage firstMessage;

  private record FirstMessage(String topic, int size) {}

  /**
   * @param admitEveryone whether to let every client in: for the broker without FleetFlags, which
   *     has no other security extension (HiveMQ admits nobody then)
   */
  ControlExtension(boolean admitEveryone) {
    this.admitEveryone = admitEveryone;
  }

  @Override
  public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
    store = input.getServerInformation().getDataFolder().toPath().toAbsolutePath().resolve("fleetflags");
    Services.initializerRegistry()
        .setClientInitializer(
            (in, context) -> {
              context.addPublishInboundInterceptor(this::onPublish);
              context.addSubackOutboundInterceptor(this::onSuback);
            });
    Services.eventRegistry()
        .setClientLifecycleEventListener(
            in ->
                new ClientLifecycleEventListener() {
                  @Override
                  public void onMqttConnectionStart(ConnectionStartInput start) {
                    connected.incrementAndGet();
                  }

                  @Override
                  public void onAuthenticationSuccessful(AuthenticationSuccessfulInput auth) {}

                  @Override
                  public void onDisconnect(DisconnectEventInput disconnect) {
                    connected.decrementAndGet();
                  }
                });
    if (admitEveryone) {
      SimpleAuthenticator everyone =
          (in, out) -> {
            out.getDefaultPermissions().setDefaultBehaviour(DefaultAuthorizationBehaviour.ALLOW);
            out.authenticateSuccessfully();
          };
      Services.securityRegistry().setAuthenticatorProvider(in -> everyone);
    }
  }

  @Override
  public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
    worker.shutdownNow();
    publisher.shutdownNow();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private void onSuback(SubackOutboundInput input, SubackOutboundOutput output) {
    FirstMessage message = firstMessage;
    if (message != null) {
      String clientId = input.getClientInformation().getClientId();
      publisher.execute(() -> publishFirst(clientId, message, 0));
    }
  }

  private void publishFirst(String clientId, FirstMessage message, int attempt) {
    var publish =
        Builders.publish()
            .topic(message.topic().replace("{clientId}", clientId))
            .qos(Qos.AT_LEAST_ONCE)
            .payload(ByteBuffer.wrap(new byte[message.size()]))
            .build();
    Services.publishService()
        .publishToClient(publish, clientId)
        .thenAccept(
            result -> {
              if (result == PublishToClientResult.NOT_SUBSCRIBED && attempt < NOT_SUBSCRIBED_RETRIES) {
                publisher.schedule(
                    () -> publishFirst(clientId, message, attempt + 1),
                    RETRY_MILLIS,
                    TimeUnit.MILLISECONDS);
              }
            });
  }

  private void onPublish(PublishInboundInput input, PublishInboundOutput output) {
    PublishPacket publish = input.getPublishPacket();
    if (!publish.getTopic().startsWith(PREFIX)) {
      return;
    }
    output.preventPublishDelivery();
    String topic = publish.getTopic();
    String clientId = input.getClientInformation().getClientId();
    byte[] payload = bytes(publish.getPayload().orElse(ByteBuffer.allocate(0)));
    String responseTopic = publish.getResponseTopic().orElse(null);
    ByteBuffer correlation = publish.getCorrelationData().map(ControlExtension::copy).orElse(null);
    worker.execute(
        () -> {
          ObjectNode answer;
          try {
            JsonNode request = JSON.readTree(payload);
            answer =
                switch (topic) {
                  case BASELINE -> baseline(request);
                  case STATUS -> status(request).put("connected", connected.get()).set("files", files());
                  case FIRST_MESSAGE -> firstMessage(request);
                  default -> JSON.createObjectNode().put("error", "unknown topic " + topic);
                };
          } catch (IOException | RuntimeException e) {
            log.error("Load control request on {} failed", topic, e);
            answer = JSON.createObjectNode().put("error", e.toString());
          }
          if (responseTopic != null) {
            answer(clientId, responseTopic, correlation, answer);
          }
        });
  }

  private ObjectNode firstMessage(JsonNode request) {
    int size = request.path("size").asInt();
    firstMessage = size > 0 ? new FirstMessage(request.get("topic").asText(), size) : null;
    return JSON.createObjectNode();
  }

  private ObjectNode baseline(JsonNode request) {
    PublishService publishService = Services.publishService();
    int size = request.get("size").asInt();
    String template = request.get("topic").asText();
    List<CompletableFuture<PublishToClientResult>> results = new ArrayList<>();
    int window = request.path("window").asInt(0);
    Semaphore permits = new Semaphore(window > 0 ? window : Integer.MAX_VALUE);
    long spacing = request.path("spacingNanos").asLong(0);
    for (JsonNode client : request.get("clients")) {
      permits.acquireUninterruptibly();
      if (spacing > 0) {
        long until = System.nanoTime() + spacing;
        while (System.nanoTime() < until) {
          Thread.onSpinWait();
        }
      }
      String id = client.asText();
      var publish =
          Builders.publish()
              .topic(template.replace("{clientId}", id))
              .qos(Qos.AT_LEAST_ONCE)
              .payload(ByteBuffer.wrap(new byte[size]))
              .build();
      results.add(publishService.publishToClient(publish, id).whenComplete((r, e) -> permits.release()));
    }
    CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).join();
    long taken = results.stream().filter(r -> r.join() == PublishToClientResult.SUCCESSFUL).count();
    return JSON.createObjectNode().put("published", results.size()).put("successful", taken);
  }

  /**
   * CPU time the broker JVM has used, in nanoseconds: the whole process, and its Java threads by
   * kind (FleetFlags', HiveMQ's persistence writers, event loops, extension executors, the rest);
   * what the process used beyond its Java threads is the VM's own (GC, JIT compilers).
   */
  private static ObjectNode cpu() {
    ObjectNode cpu = JSON.createObjectNode();
    var os = ManagementFactory.getOperatingSystemMXBean();
    long process = os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    cpu.put("process", process);
    var threads = ManagementFactory.getThreadMXBean();
    Map<String, Long> byKind = new TreeMap<>();
    Map<String, Long> allocated = new TreeMap<>();
    for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long t = threads.getThreadCpuTime(info.getThreadId());
      if (t < 0) {
        continue;
      }
      String kind = threadKind(info.getThreadName());
      byKind.merge(kind, t, Long::sum);
      if (threads instanceof com.sun.management.ThreadMXBean sun) {
        allocated.merge(kind, Math.max(0, sun.getThreadAllocatedBytes(info.getThreadId())), Long::sum);
      }
    }
    byKind.forEach(cpu::put);
    // Wall-clock milliseconds the collectors and the JIT compilers worked (the VM's share).
    long gc = 0;
    for (var collector : ManagementFactory.getGarbageCollectorMXBeans()) {
      gc += Math.max(0, collector.getCollectionTime());
    }
    ObjectNode vm = cpu.putObject("vm");
    vm.put("gcMillis", gc);
    var jit = ManagementFactory.getCompilationMXBean();
    vm.put("jitMillis", jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1);
    ObjectNode bytes = cpu.putObject("allocated");
    allocated.forEach(bytes::put);
    return cpu;
  }

  static String threadKind(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.startsWith("fleetflags")) {
      return "fleetflags";
    } else if (n.contains("single-writer")) {
      return "persistence";
    } else if (n.contains("eventloop") || n.contains("event-loop")) {
      return "eventloops";
    } else if (n.contains("extension")) {
      return "extensions";
    }
    return "other";
  }

  private static ObjectNode status(JsonNode request) throws IOException {
    if (request.path("gc").asBoolean(false)) {
      for (int i = 0; i < 3; i++) {
        System.gc();
      }
    }
    ObjectNode answer = JSON.createObjectNode();
    if (request.hasNonNull("histogram")) {
      Files.writeString(Path.of(request.get("histogram").asText()), classHistogram());
    }
    answer.put("heapUsed", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    answer.set("cpu", cpu());
    ObjectNode metrics = answer.putObject("metrics");
    for (Map.Entry<String, Metric> m : Services.metricRegistry().getMetrics().entrySet()) {
      if (!m.getKey().startsWith("fleetflags.")) {
        continue;
      }
      if (m.getValue() instanceof Counting c) {
        metrics.put(m.getKey(), c.getCount());
        if (m.getValue() instanceof Timer t) {
          Snapshot s = t.getSnapshot();
          metrics.put(m.getKey() + ".mean-ms", s.getMean() / 1e6);
          metrics.put(m.getKey() + ".max-ms", s.getMax() / 1e6);
        }
      } else if (m.getValue() instanceof Gauge<?> g && g.getValue() instanceof Number n) {
        metrics.put(m.getKey(), n.longValue());
      }
    }
    return answer;
  }

  /**
   * The broker JVM's open files: all, the most it may open, and of them its sockets (a connection
   * is one) and FleetFlags' store files (RocksDB keeps its files open), from /proc/self/fd.
   */
  private ObjectNode files() {
    ObjectNode files = JSON.createObjectNode();
    if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
      files.put("open", unix.getOpenFileDescriptorCount()).put("max", unix.getMaxFileDescriptorCount());
    }
    int sockets = 0;
    int storeFiles = 0;
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          Path target = Files.readSymbolicLink(fd);
          if (target.toString().startsWith("socket:")) {
            sockets++;
          } else if (store != null && target.startsWith(store)) {
            storeFiles++;
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    } catch (IOException e) {
      return files; // no /proc: not Linux
    }
    return files.put("sockets", sockets).put("store", storeFiles);
  }

  /** What {@code jcmd <pid> GC.class_histogram} prints: live objects by class, after a full GC. */
  private static String classHistogram() {
    try {
      return (String) ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
          new Object[] {new String[0]}, new String[] {String[].class.getName()});
    } catch (JMException e) {
      return "no class histogram: " + e;
    }
  }

  private static void answer(
      String clientId, String topic, @Nullable ByteBuffer correlation, ObjectNode answer) {
    try {
      var publish =
          Builders.publish()
              .topic(topic)
              .qos(Qos.AT_LEAST_ONCE)
              .payload(ByteBuffer.wrap(JSON.writeValueAsBytes(answer)));
      if (correlation != null) {
        publish.correlationData(correlation);
      }
      Services.publishService().publishToClient(publish.build(), clientId);
    } catch (IOException e) {
      log.error("Cannot answer {}", clientId, e);
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] b = new byte[buffer.remaining()];
    buffer.duplicate().get(b);
    return b;
  }

  private static ByteBuffer copy(ByteBuffer buffer) {
    return ByteBuffer.wrap(bytes(buffer));
  }
}
