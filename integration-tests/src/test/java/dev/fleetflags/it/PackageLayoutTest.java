package dev.fleetflags.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** The zip an operator receives: its layout, descriptor and what the fat jar holds. */
class PackageLayoutTest {

  private static ExtensionZip zip;
  private static String jarName;
  private static Set<String> jarEntries;
  private static byte[] jarSchema;

  @BeforeAll
  static void readZip() throws IOException {
    zip = ExtensionZip.fromBuild();
    jarName = "fleetflags/fleetflags-" + zip.version() + ".jar";
    jarEntries = new TreeSet<>();
    try (ZipFile file = new ZipFile(zip.file().toFile());
        JarInputStream jar = new JarInputStream(file.getInputStream(entry(file, jarName)))) {
      for (ZipEntry e = jar.getNextEntry(); e != null; e = jar.getNextEntry()) {
        jarEntries.add(e.getName());
        if (e.getName().equals("dev/fleetflags/hivemq/config.xsd")) {
          jarSchema = jar.readAllBytes();
        }
      }
    }
  }

  private static ZipEntry entry(ZipFile file, String name) {
    ZipEntry entry = file.getEntry(name);
    assertNotNull(entry, name + " missing from " + file.getName());
    return entry;
  }

  private static byte[] read(String name) throws IOException {
    try (ZipFile file = new ZipFile(zip.file().toFile())) {
      return file.getInputStream(entry(file, name)).readAllBytes();
    }
  }

  @Test
  void theZipHoldsOneFolderNamedAfterTheExtensionId() {
    List<String> files =
        zip.entryNames().stream().filter(name -> !name.endsWith("/")).sorted().toList();
    assertEquals(
        List.of(
            "fleetflags/conf/config.xml",
            "fleetflags/conf/config.xsd",
            jarName,
            "fleetflags/hivemq-extension.xml"),
        files);
    assertTrue(zip.entryNames().stream().allMatch(name -> name.startsWith("fleetflags/")));
  }

  @Test
  void theDescriptorNamesIdAndVersion() throws Exception {
    Document descriptor =
        DocumentBuilderFactory.newDefaultInstance()
            .newDocumentBuilder()
            .parse(new ByteArrayInputStream(read("fleetflags/hivemq-extension.xml")));
    assertEquals("fleetflags", text(descriptor, "id"));
    assertEquals("FleetFlags", text(descriptor, "name"));
    assertEquals(zip.version(), text(descriptor, "version"));
    Integer.parseInt(text(descriptor, "priority"));
    Integer.parseInt(text(descriptor, "start-priority"));
    assertFalse(text(descriptor, "author").isBlank());
  }

  private static String text(Document document, String element) {
    return document.getElementsByTagName(element).item(0).getTextContent().strip();
  }

  @Test
  void theJarIsTheExtensionWithItsDependencies() {
    for (String needed :
        List.of(
            "dev/fleetflags/hivemq/ExtensionMain.class",
            "META-INF/services/com.hivemq.extension.sdk.api.ExtensionMain",
            "dev/fleetflags/hivemq/config.xsd",
            "com/google/protobuf/Message.class",
            "com/github/benmanes/caffeine/cache/Caffeine.class",
            "org/rocksdb/RocksDB.class",
            "com/fasterxml/jackson/core/JsonFactory.class",
            "librocksdbjni-linux64.so",
            "librocksdbjni-linux-aarch64.so",
            // several brokers: jetcd with gRPC, Netty and Vert.x, and gRPC's service entries
            "io/etcd/jetcd/Client.class",
            "io/grpc/ManagedChannel.class",
            "io/netty/channel/Channel.class",
            "io/vertx/core/Vertx.class",
            "META-INF/services/io.grpc.NameResolverProvider",
            "META-INF/services/io.grpc.LoadBalancerProvider")) {
      assertTrue(jarEntries.contains(needed), needed + " missing from the jar");
    }
  }

  @Test
  void theJarLeavesOutWhatTheBrokerProvides() {
    for (String provided : List.of("com/hivemq/", "org/slf4j/", "com/codahale/metrics/")) {
      assertTrue(
          jarEntries.stream().noneMatch(name -> name.startsWith(provided)),
          provided + " must come from the broker, not the jar");
    }
  }

  /** The build keeps the natives named by rocksdb.native.1 and .2 (Linux x86_64, aarch64). */
  @Test
  void theJarCarriesOnlyTheChosenRocksDbNatives() {
    List<String> patterns =
        List.of(
            System.getProperty("rocksdb.native.1", "linux64.so"),
            System.getProperty("rocksdb.native.2", "linux-aarch64.so"));
    List<String> natives =
        jarEntries.stream().filter(name -> name.startsWith("librocksdbjni-")).toList();
    assertFalse(natives.isEmpty(), "no RocksDB natives in the jar");
    for (String file : natives) {
      String suffix = file.substring("librocksdbjni-".length());
      assertTrue(
          patterns.stream().anyMatch(p -> suffix.matches(p.replace(".", "\\.").replace("*", ".*"))),
          file + " is not one of " + patterns);
    }
  }

  @Test
  void theShippedSchemaIsTheOneTheExtensionValidatesWith() throws IOException {
    assertNotNull(jarSchema);
    assertArrayEquals(jarSchema, read("fleetflags/conf/config.xsd"));
  }

  @Test
  void theShippedConfigurationNamesItsSchema() throws IOException {
    String config = new String(read("fleetflags/conf/config.xml"), StandardCharsets.UTF_8);
    assertTrue(config.contains("xsi:noNamespaceSchemaLocation=\"config.xsd\""));
  }
}
