package dev.fleetflags.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * How the unpacked extension folder differs from the zip: files written over, added or removed, by
 * path relative to the extension's home, e.g. {@code conf/config.xml}.
 */
public record ExtensionSetup(Map<String, String> files, Set<String> removed) {

  /** Where {@link #withSeedFlags} puts the flag document. */
  public static final String SEED_FILE = "conf/seed-flags.json";

  public ExtensionSetup {
    files = Map.copyOf(files);
    removed = Set.copyOf(removed);
  }

  /** The extension exactly as packaged. */
  public static ExtensionSetup asPackaged() {
    return new ExtensionSetup(Map.of(), Set.of());
  }

  /**
   * With HiveMQ's DISABLED marker in the folder: the broker does not load FleetFlags, for tests of
   * the harness itself or of the broker without it.
   */
  public ExtensionSetup disabled() {
    return withFile(DISABLED_MARKER, "");
  }

  /** HiveMQ skips an extension whose folder holds a file of this name. */
  public static final String DISABLED_MARKER = "DISABLED";

  /** Replaces {@code conf/config.xml}. */
  public ExtensionSetup withConfig(String configXml) {
    return withFile("conf/config.xml", configXml);
  }

  /**
   * Adds a flagd document as {@value #SEED_FILE}; the configuration must name it in {@code
   * <seed-file>} to use it.
   */
  public ExtensionSetup withSeedFlags(String flagdJson) {
    return withFile(SEED_FILE, flagdJson);
  }

  public ExtensionSetup withFile(String relativePath, String content) {
    Map<String, String> all = new LinkedHashMap<>(files);
    all.put(relativePath, content);
    Set<String> gone = new LinkedHashSet<>(removed);
    gone.remove(relativePath);
    return new ExtensionSetup(all, gone);
  }

  public ExtensionSetup withoutFile(String relativePath) {
    Map<String, String> all = new LinkedHashMap<>(files);
    all.remove(relativePath);
    Set<String> gone = new LinkedHashSet<>(removed);
    gone.add(relativePath);
    return new ExtensionSetup(all, gone);
  }

  /** Changes an unpacked extension accordingly. */
  public void applyTo(Path extensionHome) {
    try {
      for (String file : removed) {
        Files.deleteIfExists(extensionHome.resolve(file));
      }
      for (Map.Entry<String, String> file : files.entrySet()) {
        Folders.write(extensionHome.resolve(file.getKey()), file.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Unpacks the zip into an extensions folder and applies this setup.
   *
   * @return the extension's home
   */
  public Path prepare(ExtensionZip zip, Path extensionsFolder) {
    Path home = zip.unpackInto(extensionsFolder);
    applyTo(home);
    return home;
  }
}
