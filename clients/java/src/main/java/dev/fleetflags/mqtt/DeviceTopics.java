package dev.fleetflags.mqtt;

/**
 * A device's topics under the broker's configured template (FleetFlags' {@code <device-topic>},
 * default {@code flags/{clientId}}): its flag topic and the {@code /resync} and {@code /ack} topics
 * below it.
 */
public record DeviceTopics(String flagTopic, String resyncTopic, String ackTopic) {

  public static final String DEFAULT_TEMPLATE = "flags/{clientId}";
  private static final String CLIENT_ID = "{clientId}";

  /**
   * The topics of a device.
   *
   * @throws IllegalArgumentException if the template does not hold {@code {clientId}} exactly once
   *     as a whole topic level, or holds a wildcard
   */
  public static DeviceTopics of(String template, String clientId) {
    int at = template.indexOf(CLIENT_ID);
    if (at < 0 || template.indexOf(CLIENT_ID, at + 1) >= 0) {
      throw new IllegalArgumentException("the device topic must contain " + CLIENT_ID + " exactly once: " + template);
    }
    String prefix = template.substring(0, at);
    String suffix = template.substring(at + CLIENT_ID.length());
    if ((!prefix.isEmpty() && !prefix.endsWith("/")) || (!suffix.isEmpty() && !suffix.startsWith("/"))) {
      throw new IllegalArgumentException("in the device topic, " + CLIENT_ID + " must be a whole topic level: " + template);
    }
    if (template.contains("+") || template.contains("#")) {
      throw new IllegalArgumentException("the device topic must not contain wildcards: " + template);
    }
    String flagTopic = prefix + clientId + suffix;
    return new DeviceTopics(flagTopic, flagTopic + "/resync", flagTopic + "/ack");
  }
}
