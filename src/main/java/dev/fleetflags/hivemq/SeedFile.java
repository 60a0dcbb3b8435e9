package dev.fleetflags.hivemq;

import dev.fleetflags.admin.AdminResponse;
import dev.fleetflags.admin.FlagAdmin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The configured seed file, applied to a store that has never been written. */
final class SeedFile {

  private static final Logger log = LoggerFactory.getLogger(SeedFile.class);
  private static final int PROBLEMS_SHOWN = 20;

  private SeedFile() {}

  /** Applies the seed file, if one is configured and the store is empty; an invalid seed stops the start. */
  static void apply(FleetFlagsConfig config, FlagAdmin admin) throws StartupException {
    Path file = config.seedFile();
    if (file == null) {
      return;
    }
    byte[] json;
    try {
      json = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new StartupException("the seed file " + file + " cannot be read: " + e);
    }
    AdminResponse seeded = admin.seedIfEmpty(json);
    if (seeded == null) {
      log.info("Seed file {} not applied: the store already holds flags", file);
    } else if (seeded.isAccepted()) {
      log.info("Seed file {} applied: {}", file, seeded);
    } else if (seeded.status().equals("rejected")) {
      throw new StartupException("the seed file " + file + " was rejected: " + problems(seeded));
    } else if (config.cluster() != null) {
      // Not the seed's fault (the cluster store out of reach): serve what the store holds.
      log.warn("Seed file {} not applied now: {}", file, seeded.body().get("reason"));
    } else {
      throw new StartupException("the seed file " + file + " could not be applied: " + seeded.body().get("reason"));
    }
  }

  /**
   * The problems of a rejected document, each as location and reason, the first {@value
   * #PROBLEMS_SHOWN} of them: what to fix, never the file's content (reasons quote at most a few
   * dozen characters of a value).
   */
  private static String problems(AdminResponse rejected) {
    List<?> problems = rejected.body().get("problems") instanceof List<?> list ? list : List.of();
    StringBuilder sb = new StringBuilder().append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
    for (int i = 0; i < Math.min(problems.size(), PROBLEMS_SHOWN); i++) {
      Map<?, ?> problem = (Map<?, ?>) problems.get(i);
      String location = String.valueOf(problem.get("location"));
      sb.append(i == 0 ? ": " : "; ").append(location.isEmpty() ? "" : location + ": ").append(problem.get("reason"));
    }
    if (problems.size() > PROBLEMS_SHOWN) {
      sb.append("; and ").append(problems.size() - PROBLEMS_SHOWN).append(" more");
    }
    return sb.toString();
  }
}
