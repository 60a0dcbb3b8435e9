package dev.fleetflags.delivery;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * What operators may ask about the devices connected to this broker: which a change would alter
 * (a dry run), and the devices themselves. Answered off the caller's thread; nothing is changed.
 */
public interface ConnectedFleet {

  /** A broker without devices (tests of admin alone). */
  ConnectedFleet NONE = new ConnectedFleet() {
    @Override
    public CompletableFuture<Affected> affectedBy(FlagChange change, int sample) {
      return CompletableFuture.completedFuture(new Affected(0, List.of()));
    }

    @Override
    public CompletableFuture<DevicePage> devices(DeviceQuery query) {
      return CompletableFuture.completedFuture(new DevicePage(List.of(), 0, false));
    }
  };

  /**
   * The connected devices, served at least once, whose flags {@code change} would alter (as a
   * change's plan counts them), and up to {@code sample} of their client ids.
   */
  CompletableFuture<Affected> affectedBy(FlagChange change, int sample);

  /** A page of the connected devices, by client id. */
  CompletableFuture<DevicePage> devices(DeviceQuery query);

  /** How many devices a change would alter, and some of them (in client id order). */
  record Affected(int devices, List<String> sample) {

    public Affected {
      sample = List.copyOf(sample);
    }
  }

  /**
   * Which devices, and how many.
   *
   * @param after only client ids after this one (the last of the previous page), or null
   * @param limit devices in the page
   * @param flagSet the flag set to read {@code flag} from, and whose revision is current
   * @param flag only devices for which this flag has a value, or null for all
   * @param value with {@code flag}: only devices for which it has this value; null for any value
   */
  record DeviceQuery(@Nullable String after, int limit, FlagSetRevision flagSet, @Nullable String flag, @Nullable Object value) {}

  /**
   * One connected device.
   *
   * @param sentRevision the revision of what it was last sent, or -1 if nothing yet
   * @param sentHash the state hash of what it was last sent
   * @param current whether it holds the flags of the current revision, with nothing waiting for it
   * @param value the queried flag's value for it (null without a flag in the query)
   */
  record ConnectedDevice(String clientId, Map<String, Object> attributes, long sentRevision, int sentHash, boolean current,
      @Nullable Object value) {}

  /** The devices of one page, how many match in all, and whether more follow. */
  record DevicePage(List<ConnectedDevice> devices, int matched, boolean more) {

    public DevicePage {
      devices = List.copyOf(devices);
    }
  }
}
