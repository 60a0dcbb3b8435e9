package dev.fleetflags.it;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A running HiveMQ broker with the packaged FleetFlags in its extensions folder: embedded in this
 * JVM ({@link EmbeddedBroker}) or the official image in a container ({@link ContainerBroker}).
 * Scenarios written against this run on both.
 */
public interface FleetFlagsBroker extends AutoCloseable {

  /** HiveMQ's own line once an extension's start method returned without objection. */
  Pattern STARTED = Pattern.compile("Extension \"FleetFlags\" version (\\S+) started successfully");

  /** HiveMQ's own line when the extension called preventExtensionStartup. */
  Pattern PREVENTED =
      Pattern.compile(
          "Startup of extension with id \"fleetflags\" was prevented by the extension itself,"
              + " reason: (.*)\\. Extension will be disabled\\.");

  String host();

  int mqttPort();

  /** Everything the broker logged so far. */
  String log();

  /** Whether HiveMQ reported FleetFlags as started. */
  default boolean extensionStarted() {
    return STARTED.matcher(log()).find();
  }

  /** The reason FleetFlags gave for not starting, if it refused to. */
  default Optional<String> startPreventedReason() {
    Matcher m = PREVENTED.matcher(log());
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** The last lines of the log, for failure messages. */
  default String logTail() {
    String[] lines = log().split("\n");
    int from = Math.max(0, lines.length - 60);
    return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
  }

  @Override
  void close();
}
