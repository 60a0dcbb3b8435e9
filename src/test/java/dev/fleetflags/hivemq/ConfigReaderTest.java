package dev.fleetflags.hivemq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fleetflags.admin.PasswordHash;
import dev.fleetflags.replication.ClusterSettings;
import dev.fleetflags.rules.Limits;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigReaderTest {

  private static final Path SHIPPED_CONFIG = Path.of("src/main/conf/config.xml");
  private static final Path SHIPPED_SCHEMA = Path.of("src/main/conf/config.xsd");

  @TempDir Path temp;
  private Path home;
  private Path brokerData;

  @BeforeEach
  void folders() throws IOException {
    home = Files.createDirectories(temp.resolve("extensions/fleetflags"));
    brokerData = Files.createDirectories(temp.resolve("data"));
  }

  private FleetFlagsConfig read(String xml) throws Exception {
    Path file = home.resolve(ConfigReader.CONFIG_FILE);
    Files.createDirectories(file.getParent());
    Files.writeString(file, xml);
    return new ConfigReader(home, brokerData).read();
  }

  private InvalidConfigException invalid(String xml) {
    return assertThrows(InvalidConfigException.class, () -> read(xml));
  }

  @Test
  void theShippedConfigurationHoldsExactlyTheDefaults() throws Exception {
    assertEquals(FleetFlagsConfig.defaults(brokerData), read(Files.readString(SHIPPED_CONFIG)));
  }

  @Test
  void theShippedConfigurationShowsEverySettingOfTheSchema() throws IOException {
    String config = Files.readString(SHIPPED_CONFIG);
    Matcher declared =
        Pattern.compile("<xs:element name=\"([a-z-]+)\"").matcher(Files.readString(SHIPPED_SCHEMA));
    int count = 0;
    while (declared.find()) {
      count++;
      String name = declared.group(1);
      assertTrue(Pattern.compile("<" + name + "[\\s/>]").matcher(config).find(), name);
    }
    assertEquals(57, count, "settings in config.xsd; update this test and config.xml together");
  }

  @Test
  void withoutAConfigurationFileEverySettingDefaults() throws Exception {
    assertEquals(FleetFlagsConfig.defaults(brokerData), new ConfigReader(home, brokerData).read());
  }

  @Test
  void anEmptyConfigurationMeansTheDefaults() throws Exception {
    assertEquals(FleetFlagsConfig.defaults(brokerData), read("<fleetflags/>"));
  }

  @Test
  void theDefaultDataFolderIsBelowTheBrokersDataFolder() throws Exception {
    assertEquals(brokerData.resolve("fleetflags"), read("<fleetflags/>").dataFolder());
  }

  @Test
  void readsEverySetting() throws Exception {
    Files.createDirectories(home.resolve("conf"));
    Files.writeString(home.resolve("conf/etcd-password"), "secret\n");
    Files.createDirectories(home.resolve("conf"));
    Files.writeString(home.resolve("conf/flags.json"), "{\"flags\": {}}");
    PasswordHash hash = PasswordHash.of("secret".toCharArray(), PasswordHash.MIN_ITERATIONS);
    FleetFlagsConfig config =
        read(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <fleetflags>
                <device-topic> fleet/{clientId}/flags </device-topic>
                <admin-topic-prefix>ops/flags</admin-topic-prefix>
                <data-folder>store</data-folder>
                <seed-file>conf/flags.json</seed-file>
                <state-user-property>state</state-user-property>
                <include-variants>true</include-variants>
                <attributes>
                    <user-property>model</user-property>
                    <user-property>firmware</user-property>
                </attributes>
                <operators>
                    <operator>
                        <username>ops</username>
                        <password-hash>%s</password-hash>
                    </operator>
                    <operator>
                        <certificate-common-name>pipeline.example.com</certificate-common-name>
                    </operator>
                </operators>
                <limits>
                    <max-document-bytes>1000</max-document-bytes>
                    <max-depth>10</max-depth>
                    <max-nodes>500</max-nodes>
                    <max-flags>50</max-flags>
                    <max-variants>8</max-variants>
                    <max-key-length>32</max-key-length>
                    <max-flag-set-bytes>4000</max-flag-set-bytes>
                    <max-evaluation-steps>600</max-evaluation-steps>
                    <max-evaluation-size>700</max-evaluation-size>
                    <max-attribute-length>64</max-attribute-length>
                    <max-attributes>4</max-attributes>
                    <admin-requests-per-second>5</admin-requests-per-second>
                    <admin-queries-per-second>7</admin-queries-per-second>
                </limits>
                <registry-cache-size>10</registry-cache-size>
                <history-limit>20</history-limit>
                <worker-threads>4</worker-threads>
                <worker-queue>30</worker-queue>
                <delivery>
                    <max-in-flight>40</max-in-flight>
                    <publish-rate>500</publish-rate>
                    <history-revisions>8</history-revisions>
                    <offline-devices>0</offline-devices>
                    <compliance-revisions>4</compliance-revisions>
                </delivery>
                <device-authentication>allow</device-authentication>
                <expected-devices>50000</expected-devices>
                <cluster>
                    <etcd-endpoints> http://10.0.0.1:2379, http://10.0.0.2:2379 </etcd-endpoints>
                    <key-prefix>/fleet</key-prefix>
                    <username>fleetflags</username>
                    <password-file>conf/etcd-password</password-file>
                    <write-timeout-millis>3000</write-timeout-millis>
                    <request-timeout-millis>1500</request-timeout-millis>
                    <probe-interval-millis>250</probe-interval-millis>
                    <quota-bytes>1000000</quota-bytes>
                    <max-txn-ops>1000</max-txn-ops>
                    <max-request-bytes>4194304</max-request-bytes>
                </cluster>
                <rollouts>
                    <check-interval-millis>250</check-interval-millis>
                </rollouts>
            </fleetflags>
            """
                .formatted(hash.encoded()));
    assertEquals(
        new FleetFlagsConfig(
            "fleet/{clientId}/flags",
            "ops/flags",
            home.resolve("store"),
            home.resolve("conf/flags.json"),
            "state",
            true,
            List.of("model", "firmware"),
            List.of(
                new Operator.WithPassword("ops", hash),
                new Operator.WithCertificate("pipeline.example.com")),
            FleetFlagsConfig.DeviceAuthentication.ALLOW,
            new Limits(1000, 10, 500, 50, 8, 32, 4000, 600, 700, 64, 4),
            5,
            7,
            10,
            20,
            4,
            30,
            new FleetFlagsConfig.Delivery(40, 500, 8, 0, 4),
            50000,
            new ClusterSettings(
                List.of(URI.create("http://10.0.0.1:2379"), URI.create("http://10.0.0.2:2379")),
                "/fleet",
                "fleetflags",
                home.resolve("conf/etcd-password"),
                null,
                null,
                null,
                Duration.ofMillis(3000),
                Duration.ofMillis(1500),
                Duration.ofMillis(250),
                1_000_000,
                1000,
                4_194_304),
            250),
        config);
    assertEquals("fleet/dev-1/flags", config.deviceTopicFor("dev-1"));
  }

  @Test
  void theFlagSetMayBeAsLargeAsOneRequestByDefault() throws Exception {
    Limits limits = read("<fleetflags><limits><max-document-bytes>5000</max-document-bytes></limits></fleetflags>").limits();
    assertEquals(5000, limits.maxFlagSetBytes());
    assertEquals(Limits.DEFAULT, read("<fleetflags/>").limits());
  }

  @Test
  void anAbsoluteDataFolderIsTakenAsItIs() throws Exception {
    Path elsewhere = temp.resolve("elsewhere").toAbsolutePath();
    assertEquals(
        elsewhere,
        read("<fleetflags><data-folder>" + elsewhere + "</data-folder></fleetflags>").dataFolder());
  }

  @Test
  void settingsMayComeInAnyOrder() throws Exception {
    FleetFlagsConfig config =
        read(
            """
            <fleetflags>
              <delivery><offline-devices>5</offline-devices><publish-rate>7</publish-rate><max-in-flight>3</max-in-flight></delivery>
              <include-variants>1</include-variants>
              <device-topic>d/{clientId}</device-topic>
            </fleetflags>""");
    assertEquals(new FleetFlagsConfig.Delivery(3, 7, 32, 5), config.delivery());
    assertTrue(config.includeVariants());
    assertEquals("d/{clientId}", config.deviceTopic());
  }

  @Test
  void theClusterElementAsTheIssueWritesItSwitchesOnSeveralBrokers() throws Exception {
    FleetFlagsConfig config =
        read(
            """
            <fleetflags>
                <device-authentication>allow</device-authentication>
                <cluster>
                    <etcd-endpoints>http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379</etcd-endpoints>
                </cluster>
            </fleetflags>
            """);
    assertEquals(
        ClusterSettings.of(
            List.of(
                URI.create("http://10.0.0.1:2379"),
                URI.create("http://10.0.0.2:2379"),
                URI.create("http://10.0.0.3:2379"))),
        config.cluster());
  }

  @Test
  void emptyEtcdEndpointsMeanOneBrokerOnItsOwn() throws Exception {
    assertNull(read("<fleetflags><cluster><etcd-endpoints> </etcd-endpoints></cluster></fleetflags>").cluster());
    assertNull(read("<fleetflags><cluster/></fleetflags>").cluster());
  }

  @Test
  void tlsFilesAreResolvedInTheExtensionsFolder() throws Exception {
    Files.createDirectories(home.resolve("conf"));
    for (String file : List.of("ca.pem", "client.pem", "client.key")) {
      Files.writeString(home.resolve("conf").resolve(file), "-----BEGIN-----\n");
    }
    ClusterSettings cluster =
        read(
            """
            <fleetflags><cluster>
                <etcd-endpoints>https://etcd-1:2379</etcd-endpoints>
                <tls><ca-file>conf/ca.pem</ca-file><cert-file>conf/client.pem</cert-file>
                     <key-file>conf/client.key</key-file></tls>
            </cluster></fleetflags>
            """)
            .cluster();
    assertEquals(home.resolve("conf/ca.pem"), cluster.caFile());
    assertEquals(home.resolve("conf/client.pem"), cluster.certFile());
    assertEquals(home.resolve("conf/client.key"), cluster.keyFile());
  }

  @Test
  void anEmptySeedFileMeansNone() throws Exception {
    assertNull(read("<fleetflags><seed-file> </seed-file></fleetflags>").seedFile());
  }

  static Stream<Arguments> invalidConfigurations() {
    return Stream.of(
        // the schema's findings, translated
        Arguments.of(
            "<fleetflags>\n<limits>\n<max-depth>abc</max-depth>\n</limits>\n</fleetflags>",
            List.of("setting limits/max-depth (line 3)", "'abc' is not a whole number")),
        Arguments.of(
            "<fleetflags><limits><max-flags>0</max-flags></limits></fleetflags>",
            List.of("setting limits/max-flags", "'0' is below the minimum of 1")),
        Arguments.of(
            "<fleetflags><limits><max-variants>5000</max-variants></limits></fleetflags>",
            List.of("setting limits/max-variants", "'5000' is above the maximum of 4094")),
        Arguments.of(
            "<fleetflags><limits><max-nodes>99999999999</max-nodes></limits></fleetflags>",
            List.of("setting limits/max-nodes", "above the maximum of 2147483647")),
        Arguments.of(
            "<fleetflags><delivery><publish-rate>-1</publish-rate></delivery></fleetflags>",
            List.of("setting delivery/publish-rate", "'-1' is below the minimum of 0")),
        Arguments.of(
            "<fleetflags><delivery><history-revisions>2000</history-revisions></delivery></fleetflags>",
            List.of("setting delivery/history-revisions", "'2000' is above the maximum of 1024")),
        Arguments.of(
            "<fleetflags><delivery><offline-devices>-5</offline-devices></delivery></fleetflags>",
            List.of("setting delivery/offline-devices", "'-5' is below the minimum of 0")),
        Arguments.of(
            "<fleetflags><delivery><compliance-revisions>17</compliance-revisions></delivery></fleetflags>",
            List.of("setting delivery/compliance-revisions", "'17' is above the maximum of 16")),
        Arguments.of(
            "<fleetflags><worker-threads>0</worker-threads></fleetflags>",
            List.of("setting worker-threads", "'0' is below the minimum of 1")),
        Arguments.of(
            "<fleetflags><device-authentication>deny</device-authentication></fleetflags>",
            List.of("setting device-authentication", "'deny' is not one of: delegate, allow")),
        Arguments.of(
            "<fleetflags><include-variants>yes</include-variants></fleetflags>",
            List.of("setting include-variants", "'yes' is not true or false")),
        Arguments.of(
            "<fleetflags>\n  <device-topc>x</device-topc>\n</fleetflags>",
            List.of(
                "setting device-topc (line 2)",
                "<device-topc> is not expected here",
                "<device-topic>")),
        Arguments.of(
            "<fleetflags><limits><max-dept>3</max-dept></limits></fleetflags>",
            List.of("setting limits/max-dept", "expected one of <max-document-bytes>")),
        Arguments.of(
            "<fleetflags><device-topic>a/{clientId}</device-topic>"
                + "<device-topic>b/{clientId}</device-topic></fleetflags>",
            List.of("setting device-topic", "appears more than once")),
        Arguments.of(
            "<fleetflags><operators><operator><username>ops</username></operator></operators>"
                + "</fleetflags>",
            List.of(
                "setting operators/operator[1]",
                "<operator> is incomplete, <password-hash> is missing")),
        Arguments.of(
            "<fleetflags><attributes>model</attributes></fleetflags>",
            List.of("setting attributes", "<attributes> holds only elements, not text ('model')")),
        Arguments.of(
            "<fleetflags><limits><max-depth><x/></max-depth></limits></fleetflags>",
            List.of("setting limits/max-depth", "<max-depth> holds a value, not elements")),
        Arguments.of(
            "<fleetflags verbose=\"true\"/>",
            List.of("<fleetflags> has attribute 'verbose', which is not allowed")),
        Arguments.of(
            "<hivemq><listeners/></hivemq>",
            List.of("the root element must be <fleetflags> without a namespace, not <hivemq>")),
        Arguments.of(
            "<fleetflags xmlns=\"urn:example\"/>",
            List.of("the root element must be <fleetflags> without a namespace")),
        // not XML at all
        Arguments.of(
            "<fleetflags>\n<limits>\n</fleetflags>",
            List.of("not well-formed XML at line 3", "must be terminated by the matching end-tag")),
        Arguments.of(
            "<!DOCTYPE fleetflags [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<fleetflags><device-topic>&x;</device-topic></fleetflags>",
            List.of("a DOCTYPE declaration is not allowed")),
        Arguments.of("", List.of("not well-formed XML")),
        // the extension's own checks
        Arguments.of(
            "<fleetflags>\n<device-topic>flags/+/{clientId}</device-topic>\n</fleetflags>",
            List.of("setting device-topic (line 2)", "'flags/+/{clientId}'", "wildcard")),
        Arguments.of(
            "<fleetflags><device-topic>flags/#</device-topic></fleetflags>",
            List.of("setting device-topic", "wildcard")),
        Arguments.of(
            "<fleetflags><device-topic>flags/all</device-topic></fleetflags>",
            List.of("setting device-topic", "'flags/all' does not contain {clientId}")),
        Arguments.of(
            "<fleetflags><device-topic>{clientId}/{clientId}</device-topic></fleetflags>",
            List.of("setting device-topic", "more than once")),
        Arguments.of(
            "<fleetflags><device-topic>flags/dev-{clientId}</device-topic></fleetflags>",
            List.of("setting device-topic", "must be a whole level")),
        Arguments.of(
            "<fleetflags><device-topic>$flags/{clientId}</device-topic></fleetflags>",
            List.of("setting device-topic", "starts with '$'")),
        Arguments.of(
            "<fleetflags><device-topic></device-topic></fleetflags>",
            List.of("setting device-topic", "the value is empty")),
        Arguments.of(
            "<fleetflags><device-topic>flags-admin/{clientId}</device-topic></fleetflags>",
            List.of("setting device-topic", "lies under the admin topics (flags-admin/)")),
        Arguments.of(
            "<fleetflags><admin-topic-prefix>flags-admin/</admin-topic-prefix></fleetflags>",
            List.of("setting admin-topic-prefix", "'flags-admin/' ends with '/'")),
        Arguments.of(
            "<fleetflags><admin-topic-prefix>admin/+</admin-topic-prefix></fleetflags>",
            List.of("setting admin-topic-prefix", "wildcard")),
        Arguments.of(
            "<fleetflags><state-user-property/></fleetflags>",
            List.of("setting state-user-property", "the value is empty")),
        Arguments.of(
            "<fleetflags><attributes><user-property>model</user-property>"
                + "<user-property>targetingKey</user-property>"
                + "<user-property>$flagd.timestamp</user-property>"
                + "<user-property>fleetflags-state</user-property>"
                + "<user-property>model</user-property></attributes></fleetflags>",
            List.of(
                "setting attributes/user-property[2]", "'targetingKey' is set by FleetFlags",
                "setting attributes/user-property[3]", "reserved by flagd",
                "setting attributes/user-property[4]", "is the state user property",
                "setting attributes/user-property[5]", "'model' is listed twice")),
        Arguments.of(
            "<fleetflags><operators><operator><username>ops</username>"
                + "<password-hash>hunter2</password-hash></operator></operators></fleetflags>",
            List.of(
                "setting operators/operator[1]/password-hash",
                "the value (not shown) is not of the form pbkdf2-sha256:",
                "fleetflags-cli-<version>.jar hash-password")),
        Arguments.of(
            "<fleetflags><operators>"
                + "<operator><certificate-common-name>a</certificate-common-name></operator>"
                + "<operator><certificate-common-name>a</certificate-common-name></operator>"
                + "</operators></fleetflags>",
            List.of("setting operators/operator[2]/certificate-common-name", "configured twice")),
        Arguments.of(
            "<fleetflags><seed-file>conf/missing.json</seed-file></fleetflags>",
            List.of("setting seed-file", "'conf/missing.json' does not exist")),
        Arguments.of(
            "<fleetflags><seed-file>conf</seed-file></fleetflags>",
            List.of("setting seed-file", "'conf' is not a file")),
        Arguments.of(
            "<fleetflags><cluster><etcd-endpoints>10.0.0.1:2379,http://a:2379,http://b,"
                + "http://c:2379/v3,http://a:2379</etcd-endpoints></cluster></fleetflags>",
            List.of(
                "setting cluster/etcd-endpoints",
                "'10.0.0.1:2379' is not an http:// or https:// URL",
                "'http://b' names no host and port",
                "'http://c:2379/v3' has a path",
                "'http://a:2379' is listed twice")),
        Arguments.of(
            "<fleetflags><cluster><etcd-endpoints>http://a:2379,https://b:2379</etcd-endpoints>"
                + "</cluster></fleetflags>",
            List.of("setting cluster/etcd-endpoints", "mixes http:// and https://")),
        Arguments.of(
            "<fleetflags><cluster><key-prefix>fleetflags/</key-prefix></cluster></fleetflags>",
            List.of("setting cluster/key-prefix", "'fleetflags/' does not start with /")),
        Arguments.of(
            "<fleetflags><cluster><username>ops</username></cluster></fleetflags>",
            List.of("setting cluster/username", "needs both cluster/username and cluster/password-file")),
        Arguments.of(
            "<fleetflags><cluster><tls><ca-file>conf/none.pem</ca-file></tls></cluster></fleetflags>",
            List.of("setting cluster/tls/ca-file", "'conf/none.pem' does not exist")),
        Arguments.of(
            "<fleetflags><cluster><max-txn-ops>2</max-txn-ops></cluster></fleetflags>",
            List.of("setting cluster/max-txn-ops", "'2' is below the minimum of 4")),
        Arguments.of(
            "<fleetflags><cluster><write-timeout-millis>0</write-timeout-millis></cluster></fleetflags>",
            List.of("setting cluster/write-timeout-millis", "'0' is below the minimum of 1")));
  }

  @ParameterizedTest
  @MethodSource("invalidConfigurations")
  void anInvalidConfigurationIsRejectedNamingSettingValueAndReason(
      String xml, List<String> expected) throws IOException {
    Files.createDirectories(home.resolve("conf"));
    String message = invalid(xml).getMessage();
    assertTrue(
        message.startsWith("invalid configuration " + home.resolve(ConfigReader.CONFIG_FILE)),
        message);
    for (String part : expected) {
      assertTrue(message.contains(part), "expected «" + part + "» in: " + message);
    }
    assertFalse(message.contains("cvc-"), "untranslated schema error: " + message);
    for (String problem : invalidProblems(xml)) {
      assertFalse(problem.contains(";"), "problems are joined with ';': " + problem);
    }
  }

  private List<String> invalidProblems(String xml) {
    return invalid(xml).problems();
  }

  @Test
  void aPasswordPastedInsteadOfItsHashIsNotRepeated() {
    String message =
        invalid(
                "<fleetflags><operators><operator><username>ops</username>"
                    + "<password-hash>Tr0ub4dor&amp;3</password-hash></operator></operators>"
                    + "</fleetflags>")
            .getMessage();
    assertFalse(message.contains("Tr0ub4dor"), message);
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    InvalidConfigException e =
        invalid(
            """
            <fleetflags>
              <device-topic>flags/+</device-topic>
              <admin-topic-prefix>admin/</admin-topic-prefix>
            </fleetflags>""");
    assertEquals(2, e.problems().size(), e.getMessage());
  }

  @Test
  void schemaProblemsAndTheOthersAreReportedTogetherInLineOrder() {
    InvalidConfigException e =
        invalid(
            """
            <fleetflags>
              <device-topic>flags/+/{clientId}</device-topic>
              <limits><max-depth>0</max-depth></limits>
              <admin-topic-prefix>admin/</admin-topic-prefix>
            </fleetflags>""");
    List<String> problems = e.problems();
    assertEquals(3, problems.size(), e.getMessage());
    assertTrue(problems.get(0).startsWith("setting device-topic (line 2)"), e.getMessage());
    assertTrue(problems.get(1).startsWith("setting limits/max-depth (line 3)"), e.getMessage());
    assertTrue(problems.get(2).startsWith("setting admin-topic-prefix (line 4)"), e.getMessage());
  }

  @Test
  void aBadValueIsReportedOnceThoughTheSchemaComplainsTwice() {
    InvalidConfigException e =
        invalid("<fleetflags><limits><max-depth>abc</max-depth></limits></fleetflags>");
    assertEquals(1, e.problems().size(), e.getMessage());
  }

  @Test
  void anUnreadableFileIsReportedAsSuch() throws IOException {
    // A folder where the file should be: unreadable as a file for any user, root included.
    Files.createDirectories(home.resolve(ConfigReader.CONFIG_FILE));
    InvalidConfigException e =
        assertThrows(InvalidConfigException.class, () -> new ConfigReader(home, brokerData).read());
    assertTrue(e.getMessage().contains("the file cannot be read"), e.getMessage());
  }

  @Test
  void operatorsAreDescribedWithoutSecrets() throws Exception {
    PasswordHash hash = PasswordHash.of("secret".toCharArray(), PasswordHash.MIN_ITERATIONS);
    String description =
        ConfigReader.describe(
            List.of(new Operator.WithPassword("ops", hash), new Operator.WithCertificate("ci")));
    assertEquals("ops (password), ci (certificate)", description);
  }
}
