package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.eval.FlagSet;
import dev.fleetflags.eval.FlagSetCompiler;
import dev.fleetflags.rules.Limits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files the local runner and docker/compose.yaml put into the extension stay valid. */
class ExampleFilesTest {

  private static final Path EXAMPLES = Path.of("examples");

  @Test
  void theExampleFlagsCompileStrictly() throws Exception {
    FlagSet flags =
        new FlagSetCompiler(Limits.DEFAULT)
            .compile(
                Files.readAllBytes(EXAMPLES.resolve("flags.json")), FlagSetCompiler.Mode.STRICT);
    assertEquals(5, flags.size());
    for (String key :
        List.of(
            "new-telemetry-pipeline",
            "ota-update-allowed",
            "telemetry-interval-seconds",
            "log-level",
            "legacy-mqtt-keepalive")) {
      assertTrue(flags.indexOf(key) >= 0, key);
    }
  }

  /** An example configuration as the runners install it: as conf/config.xml, with the seed file. */
  private static FleetFlagsConfig read(Path temp, String example) throws Exception {
    Path home = temp.resolve("extensions/fleetflags");
    Files.createDirectories(home.resolve("conf"));
    Files.copy(EXAMPLES.resolve(example), home.resolve("conf/config.xml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(EXAMPLES.resolve("flags.json"), home.resolve("conf/flags.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return new ConfigReader(home, temp.resolve("data")).read();
  }

  @Test
  void theExampleConfigurationIsValidWithItsSeedFile(@TempDir Path temp) throws Exception {
    Path home = temp.resolve("extensions/fleetflags");
    FleetFlagsConfig config = read(temp, "config.xml");

    assertEquals(home.resolve("conf/flags.json"), config.seedFile());
    assertEquals(List.of("model", "firmware", "region", "power"), config.attributeUserProperties());
    assertEquals(FleetFlagsConfig.DeviceAuthentication.ALLOW, config.deviceAuthentication());
    Operator.WithPassword admin = (Operator.WithPassword) config.operators().get(0);
    assertEquals("admin", admin.username());
    // The password the runner prints.
    assertTrue(admin.passwordHash().matches("fleetflags-demo".toCharArray()));
  }

  @Test
  void theClusterExampleIsTheExampleWithThreeEtcdMembers(@TempDir Path temp) throws Exception {
    FleetFlagsConfig config = read(temp, "config-cluster.xml");
    FleetFlagsConfig single = read(temp, "config.xml");

    assertEquals(3, config.cluster().endpoints().size());
    assertEquals("/fleetflags", config.cluster().keyPrefix());
    assertEquals(single.seedFile(), config.seedFile());
    assertEquals(single.attributeUserProperties(), config.attributeUserProperties());
    assertEquals(single.deviceAuthentication(), config.deviceAuthentication());
    assertEquals(single.operators(), config.operators());
    assertEquals(null, single.cluster());
  }
}
