package dev.fleetflags.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** The zip the root build produced: {@code fleetflags-<version>.zip} with one folder. */
public record ExtensionZip(Path file) {

  public static final String EXTENSION_ID = "fleetflags";

  /** The zip named by the system property {@code fleetflags.zip}, which the build sets. */
  public static ExtensionZip fromBuild() {
    String property = System.getProperty("fleetflags.zip");
    if (property == null || property.isBlank()) {
      throw new IllegalStateException(
          "System property fleetflags.zip is not set: run the integration tests through the root"
              + " build (mvn verify), or pass -Dfleetflags.zip=<path to fleetflags-<version>.zip>");
    }
    Path file = Path.of(property).toAbsolutePath().normalize();
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(
          file + " does not exist: build it first with mvn package in the project root");
    }
    return new ExtensionZip(file);
  }

  /** The local runners' zip, with every platform's natives, ends so: {@code fleetflags-<version>-all-platforms.zip}. */
  static final String ALL_PLATFORMS = "-all-platforms";

  /** The version in the file name, as the build wrote it. */
  public String version() {
    String name = file.getFileName().toString();
    String version = name.substring((EXTENSION_ID + "-").length(), name.length() - ".zip".length());
    return version.endsWith(ALL_PLATFORMS) ? version.substring(0, version.length() - ALL_PLATFORMS.length()) : version;
  }

  /** Names of all entries, in zip order. */
  public List<String> entryNames() {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      List<String> names = new ArrayList<>();
      zip.stream().forEach(e -> names.add(e.getName()));
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Unpacks into an extensions folder, replacing an earlier copy, as an operator would.
   *
   * @return the extension's home, {@code <extensionsFolder>/fleetflags}
   */
  public Path unpackInto(Path extensionsFolder) {
    try {
      Path home = extensionsFolder.resolve(EXTENSION_ID);
      Files.createDirectories(extensionsFolder);
      Folders.delete(home);
      Path root = extensionsFolder.toAbsolutePath().normalize();
      try (ZipFile zip = new ZipFile(file.toFile())) {
        for (ZipEntry entry : zip.stream().toList()) {
          Path target = root.resolve(entry.getName()).normalize();
          if (!target.startsWith(root)) {
            throw new IOException("zip entry outside the folder: " + entry.getName());
          }
          if (entry.isDirectory()) {
            Files.createDirectories(target);
          } else {
            Files.createDirectories(target.getParent());
            try (InputStream in = zip.getInputStream(entry)) {
              Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
          }
        }
      }
      return home;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + file, e);
    }
  }
}
