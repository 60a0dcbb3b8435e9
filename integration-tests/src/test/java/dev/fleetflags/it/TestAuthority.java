package dev.fleetflags.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority of the test's own, made with the JDK's {@code keytool} (nothing else
 * installed): it issues the broker's server certificate and clients' certificates, as JKS key
 * stores for HiveMQ and as PEM files for the CLI.
 */
final class TestAuthority {

  static final String PASSWORD = "changeit";

  private final Path folder;

  private TestAuthority(Path folder) {
    this.folder = folder;
  }

  /** A new CA in {@code folder}: {@code ca.jks}, its certificate {@code ca.pem}, and {@code trust.jks} trusting it. */
  static TestAuthority create(Path folder) {
    TestAuthority ca = new TestAuthority(folder);
    ca.keytool("-genkeypair", "-alias", "ca", "-dname", "CN=FleetFlags test CA", "-keyalg", "EC", "-groupname",
        "secp256r1", "-ext", "bc:c", "-validity", "2", "-keystore", "ca.jks", "-storetype", "JKS");
    ca.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.jks", "-file", "ca.pem");
    ca.keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "trust.jks", "-storetype", "JKS");
    return ca;
  }

  Path file(String name) {
    return folder.resolve(name);
  }

  /** The CA's certificate (PEM), for a client to trust the broker's with. */
  Path certificatePem() {
    return file("ca.pem");
  }

  /** A key store trusting the CA, for the broker to check client certificates with. */
  Path trustStore() {
    return file("trust.jks");
  }

  /**
   * Issues a certificate for {@code commonName} into {@code <name>.jks} (key and chain), and writes
   * {@code <name>.pem} (the certificate) and {@code <name>-key.pem} (its PKCS#8 private key). A
   * server certificate names 127.0.0.1 and localhost.
   */
  void issue(String name, String commonName, boolean server) {
    String store = name + ".jks";
    keytool("-genkeypair", "-alias", name, "-dname", "CN=" + commonName, "-keyalg", "EC", "-groupname", "secp256r1",
        "-validity", "2", "-keystore", store, "-storetype", "JKS");
    keytool("-certreq", "-alias", name, "-keystore", store, "-file", name + ".csr");
    List<String> gencert = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", "ca.jks", "-infile",
        name + ".csr", "-outfile", name + ".pem", "-validity", "2"));
    if (server) {
      gencert.addAll(List.of("-ext", "san=ip:127.0.0.1,dns:localhost"));
    }
    keytool(gencert.toArray(new String[0]));
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", store);
    keytool("-importcert", "-alias", name, "-file", name + ".pem", "-keystore", store);
    try (InputStream in = Files.newInputStream(file(store))) {
      KeyStore keys = KeyStore.getInstance("JKS");
      keys.load(in, PASSWORD.toCharArray());
      Key key = keys.getKey(name, PASSWORD.toCharArray());
      String pem = "-----BEGIN PRIVATE KEY-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
          + "\n-----END PRIVATE KEY-----\n";
      Files.writeString(file(name + "-key.pem"), pem);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private void keytool(String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    command.addAll(List.of(args));
    command.addAll(List.of("-storepass", PASSWORD));
    if (args[0].equals("-genkeypair")) {
      command.addAll(List.of("-keypass", PASSWORD));
    }
    try {
      Process p = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool failed: " + command + "\n" + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
