package dev.fleetflags.hivemq;

import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where HiveMQ starts FleetFlags (named in META-INF/services): reads the configuration and puts
 * the parts together. A configuration that cannot be used stops the extension with the reason,
 * so an operator finds the cause in the broker log rather than a half-working extension.
 */
public final class ExtensionMain implements com.hivemq.extension.sdk.api.ExtensionMain {

  private static final Logger log = LoggerFactory.getLogger(ExtensionMain.class);

  private @Nullable FleetFlagsConfig config;

  @Override
  public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
    Path home = input.getExtensionInformation().getExtensionHomeFolder().toPath();
    Path brokerData = input.getServerInformation().getDataFolder().toPath();
    try {
      config = new ConfigReader(home, brokerData).read();
    } catch (InvalidConfigException e) {
      log.error("FleetFlags not started: {}", e.getMessage());
      output.preventExtensionStartup(e.getMessage());
      return;
    } catch (RuntimeException e) {
      // A bug, not an operator's mistake: keep the stack trace, but say first what it stopped.
      log.error("FleetFlags not started: reading its configuration failed unexpectedly.", e);
      output.preventExtensionStartup("reading the configuration failed: " + e);
      return;
    }
    log.info(
        "FleetFlags {} started: device topic {}, admin topics {}/#, data folder {}, seed file {},"
            + " attribute user properties [{}], operators [{}].",
        input.getExtensionInformation().getVersion(),
        config.deviceTopic(),
        config.adminTopicPrefix(),
        config.dataFolder(),
        config.seedFile() == null ? "none" : config.seedFile(),
        String.join(", ", config.attributeUserProperties()),
        ConfigReader.describe(config.operators()));
  }

  @Override
  public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
    if (config != null) {
      log.info("FleetFlags stopped.");
    }
  }
}
