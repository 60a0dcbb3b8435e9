package dev.fleetflags.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The benchmark's device population, generated exactly as {@code ../shared/bench/README.md}
 * describes, so that figures compare with those of the other SDKs measured on the same workload.
 */
public final class BenchDevices {

  public static final int COUNT = 10_000;

  private static final String[] TAGS = {"outdoor", "indoor", "battery", "mains", "beta", "lte", "wifi", "solar"};
  private static final String[] MODELS = {"th-100", "th-200", "gw-10", "gw-20", "cam-1", "cam-2", "meter-s", "meter-x"};
  private static final String[] REGIONS = {"eu-west", "eu-central", "us-east", "us-west", "ap-south", "ap-northeast"};

  /** One device: its targeting key and its attributes (firmware, tags, model, region). */
  public record Device(String targetingKey, Map<String, Object> attributes) {}

  private BenchDevices() {}

  public static List<Device> generate() {
    return generate(COUNT);
  }

  /**
   * The first {@code count} devices of the README's generator: the population itself for {@link
   * #COUNT}, and beyond it the same generator continued (devices {@code dev-10000} on), for
   * measurements that need more distinct devices than the population has.
   */
  public static List<Device> generate(int count) {
    Random r = new Random(42);
    List<Device> devices = new ArrayList<>(count);
    for (int n = 0; n < count; n++) {
      Map<String, Object> attributes = new LinkedHashMap<>();
      attributes.put("firmware", (1 + r.nextInt(3)) + "." + r.nextInt(10) + "." + r.nextInt(30));
      // One draw per turn of the README's loop; a tag drawn twice is kept once (hence "0-3 distinct").
      Set<String> tags = new LinkedHashSet<>();
      for (int t = r.nextInt(4); t > 0; t--) {
        tags.add(TAGS[r.nextInt(TAGS.length)]);
      }
      attributes.put("tags", List.copyOf(tags));
      attributes.put("model", MODELS[r.nextInt(MODELS.length)]);
      attributes.put("region", REGIONS[r.nextInt(REGIONS.length)]);
      devices.add(new Device("dev-" + n, attributes));
    }
    return devices;
  }
}
