package dev.fleetflags.hivemq;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The device topic space of the configured template (default {@code flags/{clientId}}): each
 * device's flag topic, its {@code resync} and {@code ack} sub-topics, and whether a topic or a
 * subscription filter reaches into another device's part of the space. {@code {clientId}} is one
 * whole topic level of the template.
 */
final class DeviceTopics {

  static final String CLIENT_ID = "{clientId}";

  private final String prefix;
  private final String suffix;
  private final String[] prefixLevels;
  private final String[] suffixLevels;
  private final Pattern inSpace;

  DeviceTopics(String template) {
    int at = template.indexOf(CLIENT_ID);
    if (at < 0 || template.indexOf(CLIENT_ID, at + 1) >= 0) {
      throw new IllegalArgumentException("the device topic must contain " + CLIENT_ID + " exactly once: " + template);
    }
    this.prefix = template.substring(0, at);
    this.suffix = template.substring(at + CLIENT_ID.length());
    if ((!prefix.isEmpty() && !prefix.endsWith("/")) || (!suffix.isEmpty() && !suffix.startsWith("/"))) {
      throw new IllegalArgumentException("in the device topic, " + CLIENT_ID + " must be a whole topic level: " + template);
    }
    this.prefixLevels = prefix.isEmpty() ? new String[0] : prefix.substring(0, prefix.length() - 1).split("/", -1);
    this.suffixLevels = suffix.isEmpty() ? new String[0] : suffix.substring(1).split("/", -1);
    this.inSpace = Pattern.compile("^" + Pattern.quote(prefix) + "(.+?)" + Pattern.quote(suffix) + "(/.*)?$");
  }

  /** The flag topic of a device (see {@link #clientIdProblem} for client ids that cannot form one). */
  String flagTopic(String clientId) {
    return prefix + clientId + suffix;
  }

  /**
   * Why a client id cannot form a flag topic, or null if it can: the id is one whole topic level of
   * a topic the extension publishes to, so it must be a level of a valid topic name.
   */
  @Nullable String clientIdProblem(String clientId) {
    if (clientId.isEmpty()) {
      return "it is empty, and a topic level of the flag topic cannot be";
    }
    if (clientId.indexOf('/') >= 0) {
      return "it contains '/', which would make it several topic levels";
    }
    if (clientId.indexOf('+') >= 0 || clientId.indexOf('#') >= 0) {
      return "it contains a wildcard ('+' or '#'), which a topic to publish to cannot";
    }
    if (clientId.indexOf('\u0000') >= 0) {
      return "it contains the character U+0000, which MQTT forbids in topics";
    }
    if (prefix.isEmpty() && clientId.startsWith("$")) {
      return "it starts with '$', and topics starting with '$' are the broker's";
    }
    return null;
  }

  String resyncTopic(String clientId) {
    return flagTopic(clientId) + "/resync";
  }

  String ackTopic(String clientId) {
    return flagTopic(clientId) + "/ack";
  }

  /** Whether the topic is in the device topic space (some device's flag topic or below it). */
  boolean inSpace(String topic) {
    return inSpace.matcher(topic).matches();
  }

  /** The device whose resync topic this is, or null. */
  @Nullable String resyncDevice(String topic) {
    if (!topic.endsWith("/resync")) {
      return null;
    }
    Matcher m = inSpace.matcher(topic);
    if (m.matches() && "/resync".equals(m.group(2))) {
      return m.group(1);
    }
    return null;
  }

  /**
   * Whether a subscription filter matches a topic, as MQTT defines it ({@code +} one level, {@code
   * #} this level and all below, a shared subscription's {@code $share/<group>/} ignored, no
   * wildcard at the first level matching a topic that starts with '$').
   */
  static boolean matches(String filter, String topic) {
    if (filter.startsWith("$share/")) {
      int slash = filter.indexOf('/', 7);
      filter = slash < 0 ? "" : filter.substring(slash + 1);
    }
    String[] f = filter.split("/", -1);
    String[] t = topic.split("/", -1);
    if (topic.startsWith("$") && (f[0].equals("+") || f[0].equals("#"))) {
      return false;
    }
    for (int i = 0; i < f.length; i++) {
      if (f[i].equals("#")) {
        return true;
      }
      if (i >= t.length || (!f[i].equals("+") && !f[i].equals(t[i]))) {
        return false;
      }
    }
    return f.length == t.length;
  }

  /**
   * Whether a subscription filter could match the device topic space of a device other than
   * {@code clientId} (wildcards such as {@code flags/+} or {@code #}, or another device's topic).
   */
  boolean reachesOtherDevices(String filter, String clientId) {
    if (filter.startsWith("$share/")) {
      int slash = filter.indexOf('/', 7);
      filter = slash < 0 ? "" : filter.substring(slash + 1);
    }
    String[] f = filter.split("/", -1);
    int i = 0;
    for (String level : prefixLevels) {
      if (i >= f.length) {
        return false;
      }
      if (f[i].equals("#")) {
        return true;
      }
      if (!f[i].equals("+") && !f[i].equals(level)) {
        return false;
      }
      i++;
    }
    if (i >= f.length) {
      return false;
    }
    if (f[i].equals("#")) {
      return true;
    }
    boolean otherDevice = f[i].equals("+") || !f[i].equals(clientId);
    if (!otherDevice) {
      return false;
    }
    i++;
    for (String level : suffixLevels) {
      if (i >= f.length) {
        return false;
      }
      if (f[i].equals("#")) {
        return true;
      }
      if (!f[i].equals("+") && !f[i].equals(level)) {
        return false;
      }
      i++;
    }
    // The filter now covers another device's flag topic exactly, or something below it.
    return true;
  }
}
