package dev.fleetflags.hivemq;

import dev.fleetflags.admin.PasswordHash;
import dev.fleetflags.replication.ClusterSettings;
import dev.fleetflags.rules.Limits;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.ValidatorHandler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xml.sax.Attributes;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.Locator;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Reads {@code conf/config.xml} into a {@link FleetFlagsConfig}: first against {@code config.xsd}
 * (the copy inside the jar, so an edited or missing schema file changes nothing), then the checks a
 * schema cannot express. Every problem is reported as a sentence naming the setting, its line, the
 * value and the reason; schema errors are translated from the XML parser's wording.
 */
public final class ConfigReader {

  /** Where the configuration lives, relative to the extension's folder. */
  public static final String CONFIG_FILE = "conf/config.xml";

  private static final Logger log = LoggerFactory.getLogger(ConfigReader.class);

  private static final Schema SCHEMA = loadSchema();

  /** Elements that may repeat; their paths carry a 1-based index. */
  private static final Set<String> REPEATED = Set.of("user-property", "operator");

  private static final Set<String> RESERVED_ATTRIBUTES = Set.of("targetingKey");

  private static final int MAX_MQTT_STRING_BYTES = 65_535;

  private final Path extensionHome;
  private final Path brokerDataFolder;

  /**
   * @param extensionHome the extension's folder; relative paths in the configuration start here
   * @param brokerDataFolder the broker's data folder; the default data folder is below it
   */
  public ConfigReader(Path extensionHome, Path brokerDataFolder) {
    this.extensionHome = extensionHome.toAbsolutePath();
    this.brokerDataFolder = brokerDataFolder.toAbsolutePath();
  }

  /** Reads {@value #CONFIG_FILE} of the extension; without that file, all settings default. */
  public FleetFlagsConfig read() throws InvalidConfigException {
    Path file = extensionHome.resolve(CONFIG_FILE);
    byte[] xml;
    try {
      xml = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      log.info("FleetFlags: no configuration file {}, using the defaults.", file);
      return FleetFlagsConfig.defaults(brokerDataFolder);
    } catch (IOException e) {
      throw new InvalidConfigException(file, List.of("the file cannot be read: " + describe(e)));
    }
    return read(file, xml);
  }

  /**
   * Reads a configuration document.
   *
   * @param file named in messages
   */
  public FleetFlagsConfig read(Path file, byte[] xml) throws InvalidConfigException {
    SchemaErrors schemaErrors = new SchemaErrors();
    Element root = parse(file, xml, schemaErrors);
    // The remaining checks run even after schema errors, so one pass shows every problem.
    Settings settings = new Settings(root, schemaErrors.problems.isEmpty());
    FleetFlagsConfig config = settings.config();
    List<Problem> problems = new ArrayList<>(schemaErrors.problems);
    Set<String> reported = new HashSet<>();
    schemaErrors.problems.forEach(p -> reported.add(p.path()));
    settings.problems.stream().filter(p -> !reported.contains(p.path())).forEach(problems::add);
    if (!problems.isEmpty()) {
      problems.sort(Comparator.comparingInt(Problem::line));
      throw new InvalidConfigException(file, problems.stream().map(Problem::sentence).toList());
    }
    return Objects.requireNonNull(config);
  }

  /**
   * One thing wrong with the configuration; {@code path} names the setting, e.g. limits/max-depth.
   */
  private record Problem(String path, int line, String reason) {

    String sentence() {
      String at = line > 0 ? " (line " + line + ")" : "";
      return path.isEmpty()
          ? "document" + at + ": " + reason
          : "setting " + path + at + ": " + reason;
    }
  }

  // ---------------------------------------------------------------- parsing and schema errors

  /** One element of the document; {@code path} names it as a setting, e.g. limits/max-depth. */
  private record Element(String name, String path, int line, String text, List<Element> children) {

    @Nullable Element child(String name) {
      for (Element child : children) {
        if (child.name.equals(name)) {
          return child;
        }
      }
      return null;
    }

    List<Element> children(String name) {
      return children.stream().filter(c -> c.name.equals(name)).toList();
    }
  }

  private static Element parse(Path file, byte[] xml, SchemaErrors errors)
      throws InvalidConfigException {
    TreeBuilder tree = new TreeBuilder();
    errors.tree = tree;
    try {
      ValidatorHandler validator = SCHEMA.newValidatorHandler();
      // The translations below match the parser's English wording, whatever the JVM's locale.
      setIfSupported(validator, "http://apache.org/xml/properties/locale", Locale.ENGLISH);
      setIfSupported(validator, XMLConstants.ACCESS_EXTERNAL_DTD, "");
      setIfSupported(validator, XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
      validator.setErrorHandler(errors);
      validator.setContentHandler(tree);
      XMLReader reader = parserFactory().newSAXParser().getXMLReader();
      reader.setContentHandler(validator);
      reader.setErrorHandler(errors);
      reader.parse(new InputSource(new ByteArrayInputStream(xml)));
    } catch (SAXParseException e) {
      throw new InvalidConfigException(
          file,
          List.of(
              "the file is not well-formed XML at line "
                  + e.getLineNumber()
                  + ", column "
                  + e.getColumnNumber()
                  + ": "
                  + wellFormednessReason(e.getMessage())));
    } catch (SAXException | ParserConfigurationException | IOException e) {
      throw new InvalidConfigException(
          file, List.of("the file cannot be parsed as XML: " + describe(e)));
    }
    return Objects.requireNonNull(tree.root, "a well-formed document has a root element");
  }

  private static SAXParserFactory parserFactory()
      throws ParserConfigurationException, SAXException {
    // The JDK's own parser, whatever else the broker's class path holds.
    SAXParserFactory factory = SAXParserFactory.newDefaultInstance();
    factory.setNamespaceAware(true);
    factory.setXIncludeAware(false);
    // A configuration file needs no DTD; refusing one rules out entity expansion and XXE.
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    return factory;
  }

  private static void setIfSupported(ValidatorHandler validator, String property, Object value) {
    try {
      validator.setProperty(property, value);
    } catch (SAXException e) {
      // Another JAXP implementation: its messages may be worded differently, shown as they are.
    }
  }

  private static Schema loadSchema() {
    URL xsd = ConfigReader.class.getResource("config.xsd");
    if (xsd == null) {
      throw new IllegalStateException("config.xsd is missing from the FleetFlags jar");
    }
    try {
      SchemaFactory factory = SchemaFactory.newDefaultInstance();
      factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      factory.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
      return factory.newSchema(xsd);
    } catch (SAXException e) {
      throw new IllegalStateException("config.xsd in the FleetFlags jar is not a valid schema", e);
    }
  }

  private static String wellFormednessReason(@Nullable String message) {
    if (message == null) {
      return "unknown error";
    }
    if (message.startsWith("DOCTYPE is disallowed")) {
      return "a DOCTYPE declaration is not allowed";
    }
    return message;
  }

  /** Builds the element tree and knows, at any moment, which element the parser is in. */
  private static final class TreeBuilder extends DefaultHandler {

    private static final class Open {
      final String name;
      final String path;
      final int line;
      final StringBuilder text = new StringBuilder();
      final List<Element> children = new ArrayList<>();
      final Map<String, Integer> counts = new HashMap<>();

      Open(String name, String path, int line) {
        this.name = name;
        this.path = path;
        this.line = line;
      }
    }

    private final Deque<Open> open = new ArrayDeque<>();
    private @Nullable Locator locator;
    @Nullable Element root;

    @Override
    public void setDocumentLocator(Locator locator) {
      this.locator = locator;
    }

    @Override
    public void startElement(String uri, String localName, String qName, Attributes attributes) {
      Open parent = open.peek();
      String path;
      if (parent == null) {
        path = ""; // the root element; settings are named without it
      } else {
        int index = parent.counts.merge(localName, 1, Integer::sum);
        String segment = REPEATED.contains(localName) ? localName + "[" + index + "]" : localName;
        path = parent.path.isEmpty() ? segment : parent.path + "/" + segment;
      }
      open.push(new Open(localName, path, locator == null ? 0 : locator.getLineNumber()));
    }

    @Override
    public void characters(char[] ch, int start, int length) {
      Open current = open.peek();
      if (current != null) {
        current.text.append(ch, start, length);
      }
    }

    @Override
    public void endElement(String uri, String localName, String qName) {
      Open done = open.pop();
      Element element =
          new Element(done.name, done.path, done.line, done.text.toString(), done.children);
      Open parent = open.peek();
      if (parent == null) {
        root = element;
      } else {
        parent.children.add(element);
      }
    }

    /** The element being parsed; the schema validator reports before passing an event on. */
    @Nullable Open current() {
      return open.peek();
    }
  }

  /** Collects schema errors as sentences for operators. */
  private static final class SchemaErrors implements ErrorHandler {

    private static final Pattern UNEXPECTED =
        Pattern.compile(
            "cvc-complex-type\\.2\\.4\\.[ad]: Invalid content was found starting with element"
                + " '([^']*)'\\.(?: One of '\\{([^}]*)\\}' is expected\\.)?.*");
    private static final Pattern INCOMPLETE =
        Pattern.compile(
            "cvc-complex-type\\.2\\.4\\.b: The content of element '([^']*)' is not complete\\."
                + " One of '\\{([^}]*)\\}' is expected\\..*");
    private static final Pattern NOT_A_VALUE =
        Pattern.compile(
            "cvc-datatype-valid\\.1\\.2\\.1: '(.*)' is not a valid value for '([^']*)'\\..*");
    private static final Pattern BELOW =
        Pattern.compile(
            "cvc-minInclusive-valid: Value '(.*)' is not facet-valid with respect to"
                + " minInclusive '([^']*)'.*");
    private static final Pattern ABOVE =
        Pattern.compile(
            "cvc-maxInclusive-valid: Value '(.*)' is not facet-valid with respect to"
                + " maxInclusive '([^']*)'.*");
    private static final Pattern NOT_ONE_OF =
        Pattern.compile(
            "cvc-enumeration-valid: Value '(.*)' is not facet-valid with respect to enumeration"
                + " '\\[([^]]*)\\]'.*");
    private static final Pattern INVALID_VALUE =
        Pattern.compile(
            "cvc-type\\.3\\.1\\.3: The value '(.*)' of element '([^']*)' is not valid\\..*");
    private static final Pattern TEXT_NOT_ALLOWED =
        Pattern.compile("cvc-complex-type\\.2\\.3: Element '([^']*)' cannot have character.*");
    private static final Pattern ELEMENTS_NOT_ALLOWED =
        Pattern.compile("cvc-type\\.3\\.1\\.2: Element '([^']*)' is a simple type.*");
    private static final Pattern ATTRIBUTE_NOT_ALLOWED =
        Pattern.compile(
            "cvc-complex-type\\.3\\.2\\.2: Attribute '([^']*)' is not allowed to"
                + " appear in element '([^']*)'.*");
    private static final Pattern UNKNOWN_ROOT =
        Pattern.compile("cvc-elt\\.1\\.a: Cannot find the declaration of element '([^']*)'.*");
    private static final Pattern CODE = Pattern.compile("^[a-zA-Z0-9.-]+: ");

    @Nullable TreeBuilder tree;
    final List<Problem> problems = new ArrayList<>();

    /** One problem per element: the parser often reports a bad value twice. */
    private final Set<String> reported = new HashSet<>();

    @Override
    public void warning(SAXParseException e) {}

    @Override
    public void error(SAXParseException e) {
      translate(Objects.requireNonNullElse(e.getMessage(), ""), e.getLineNumber());
    }

    @Override
    public void fatalError(SAXParseException e) throws SAXException {
      throw e; // not well-formed: nothing after this point can be trusted
    }

    private void translate(String message, int line) {
      TreeBuilder.Open current = tree == null ? null : tree.current();
      String here = current == null ? "" : current.path;
      Matcher m;
      if ((m = UNEXPECTED.matcher(message)).matches()) {
        String element = localName(m.group(1));
        String path = child(here, element);
        boolean twice = current != null && current.counts.containsKey(element);
        String reason;
        if (twice && !REPEATED.contains(element)) {
          reason = "<" + element + "> appears more than once, but each setting may appear once";
        } else if (m.group(2) != null) {
          reason = "<" + element + "> is not expected here, expected " + names(m.group(2));
        } else {
          reason = "<" + element + "> is not expected here" + inside(current);
        }
        add(path, line, reason);
      } else if ((m = INCOMPLETE.matcher(message)).matches()) {
        add(here, line, "<" + m.group(1) + "> is incomplete, " + names(m.group(2)) + " is missing");
      } else if ((m = NOT_A_VALUE.matcher(message)).matches()) {
        add(here, line, "'" + m.group(1) + "' is " + typeDescription(m.group(2)));
      } else if ((m = BELOW.matcher(message)).matches()) {
        add(here, line, "'" + m.group(1) + "' is below the minimum of " + m.group(2));
      } else if ((m = ABOVE.matcher(message)).matches()) {
        add(here, line, "'" + m.group(1) + "' is above the maximum of " + m.group(2));
      } else if ((m = NOT_ONE_OF.matcher(message)).matches()) {
        add(here, line, "'" + m.group(1) + "' is not one of: " + m.group(2));
      } else if ((m = INVALID_VALUE.matcher(message)).matches()) {
        add(here, line, "'" + m.group(1) + "' is not a valid value");
      } else if ((m = TEXT_NOT_ALLOWED.matcher(message)).matches()) {
        String text = current == null ? "" : current.text.toString().strip();
        add(
            here,
            line,
            "<" + m.group(1) + "> holds only elements, not text ('" + abbreviate(text) + "')");
      } else if ((m = ELEMENTS_NOT_ALLOWED.matcher(message)).matches()) {
        add(here, line, "<" + m.group(1) + "> holds a value, not elements");
      } else if ((m = ATTRIBUTE_NOT_ALLOWED.matcher(message)).matches()) {
        add(
            here,
            line,
            "<" + m.group(2) + "> has attribute '" + m.group(1) + "', which is not allowed");
      } else if ((m = UNKNOWN_ROOT.matcher(message)).matches()) {
        add(
            "",
            line,
            "the root element must be <fleetflags> without a namespace, not <" + m.group(1) + ">");
      } else {
        add(here, line, CODE.matcher(message).replaceFirst(""));
      }
    }

    private void add(String path, int line, String reason) {
      if (reported.add(path)) {
        problems.add(new Problem(path, line, reason));
      }
    }

    private static String child(String parent, String name) {
      return parent.isEmpty() ? name : parent + "/" + name;
    }

    private static String inside(TreeBuilder.@Nullable Open current) {
      return current == null ? "" : " inside <" + current.name + ">";
    }

    /** Xerces lists expected elements as {@code a, b} or {@code "":a, "":b}. */
    private static String names(String list) {
      List<String> names =
          Arrays.stream(list.split(",")).map(s -> "<" + localName(s.strip()) + ">").toList();
      return names.size() == 1 ? names.get(0) : "one of " + String.join(", ", names);
    }

    private static String localName(String name) {
      int colon = name.lastIndexOf(':');
      return colon < 0 ? name : name.substring(colon + 1);
    }

    private static String typeDescription(String type) {
      return switch (type) {
        case "integer", "int", "long", "decimal" -> "not a whole number";
        case "boolean" -> "not true or false";
        default -> "not a valid " + type;
      };
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 37) + "...";
  }

  private static String describe(Exception e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message;
  }

  // ---------------------------------------------------------------- the settings themselves

  /** The checks a schema cannot express, over a document the schema accepted. */
  private final class Settings {

    final List<Problem> problems = new ArrayList<>();
    private final Element root;
    private final boolean schemaValid;

    /**
     * @param schemaValid whether the schema accepted the document; otherwise only the checks are
     *     made (numbers may be out of range) and no configuration is built
     */
    Settings(Element root, boolean schemaValid) {
      this.root = root;
      this.schemaValid = schemaValid;
    }

    @Nullable FleetFlagsConfig config() {
      String adminTopicPrefix =
          text(
              "admin-topic-prefix",
              FleetFlagsConfig.DEFAULT_ADMIN_TOPIC_PREFIX,
              this::checkAdminTopicPrefix);
      String deviceTopic =
          text(
              "device-topic",
              FleetFlagsConfig.DEFAULT_DEVICE_TOPIC,
              value -> checkDeviceTopic(value, adminTopicPrefix));
      Path dataFolder =
          path("data-folder", brokerDataFolder.resolve(FleetFlagsConfig.DEFAULT_DATA_FOLDER_NAME));
      Path seedFile = seedFile();
      String stateUserProperty =
          text(
              "state-user-property",
              FleetFlagsConfig.DEFAULT_STATE_USER_PROPERTY,
              value -> checkUserPropertyName(value));
      boolean includeVariants =
          bool(root.child("include-variants"), FleetFlagsConfig.DEFAULT_INCLUDE_VARIANTS);
      List<String> attributes = attributes(stateUserProperty);
      List<Operator> operators = operators();
      FleetFlagsConfig.DeviceAuthentication deviceAuthentication =
          "allow".equals(text("device-authentication", "delegate", value ->
              value.equals("delegate") || value.equals("allow") ? null : "must be delegate or allow"))
              ? FleetFlagsConfig.DeviceAuthentication.ALLOW
              : FleetFlagsConfig.DeviceAuthentication.DELEGATE;

      Element limitsElement = root.child("limits");
      Limits defaults = Limits.DEFAULT;
      Element deliveryElement = root.child("delivery");
      List<URI> endpoints = etcdEndpoints();
      Element cluster = root.child("cluster");
      String keyPrefix = cluster == null ? ClusterSettings.DEFAULT_KEY_PREFIX
          : text(cluster, "key-prefix", ClusterSettings.DEFAULT_KEY_PREFIX, Settings::checkKeyPrefix);
      Path[] clusterFiles = clusterFiles(cluster, endpoints);
      if (!problems.isEmpty() || !schemaValid) {
        return null;
      }
      int documentBytes = integer(limitsElement, "max-document-bytes", defaults.maxDocumentBytes());
      Limits limits =
          new Limits(
              documentBytes,
              integer(limitsElement, "max-depth", defaults.maxDepth()),
              integer(limitsElement, "max-nodes", defaults.maxNodes()),
              integer(limitsElement, "max-flags", defaults.maxFlags()),
              integer(limitsElement, "max-variants", defaults.maxVariants()),
              integer(limitsElement, "max-key-length", defaults.maxKeyLength()),
              // by default the set may be as large as one request: what query/flags exports can be sent back
              integer(limitsElement, "max-flag-set-bytes", documentBytes),
              integer(limitsElement, "max-evaluation-steps", defaults.maxEvaluationSteps()),
              integer(limitsElement, "max-evaluation-size", defaults.maxEvaluationSize()),
              integer(limitsElement, "max-attribute-length", defaults.maxAttributeLength()),
              integer(limitsElement, "max-attributes", defaults.maxAttributes()));
      int adminRate =
          integer(
              limitsElement,
              "admin-requests-per-second",
              FleetFlagsConfig.DEFAULT_ADMIN_REQUESTS_PER_SECOND);
      int adminQueryRate =
          integer(
              limitsElement,
              "admin-queries-per-second",
              FleetFlagsConfig.DEFAULT_ADMIN_QUERIES_PER_SECOND);
      FleetFlagsConfig.Delivery delivery =
          new FleetFlagsConfig.Delivery(
              integer(
                  deliveryElement,
                  "max-in-flight",
                  FleetFlagsConfig.Delivery.DEFAULT.maxInFlight()),
              integer(
                  deliveryElement,
                  "publish-rate",
                  FleetFlagsConfig.Delivery.DEFAULT.publishRate()),
              integer(
                  deliveryElement,
                  "history-revisions",
                  FleetFlagsConfig.Delivery.DEFAULT.historyRevisions()),
              integer(
                  deliveryElement,
                  "offline-devices",
                  FleetFlagsConfig.Delivery.DEFAULT.offlineDevices()),
              integer(
                  deliveryElement,
                  "compliance-revisions",
                  FleetFlagsConfig.Delivery.DEFAULT.complianceRevisions()));
      return new FleetFlagsConfig(
          deviceTopic,
          adminTopicPrefix,
          dataFolder,
          seedFile,
          stateUserProperty,
          includeVariants,
          attributes,
          operators,
          deviceAuthentication,
          limits,
          adminRate,
          adminQueryRate,
          integer(root, "registry-cache-size", FleetFlagsConfig.DEFAULT_REGISTRY_CACHE_SIZE),
          integer(root, "history-limit", FleetFlagsConfig.DEFAULT_HISTORY_LIMIT),
          integer(root, "worker-threads", FleetFlagsConfig.DEFAULT_WORKER_THREADS),
          integer(root, "worker-queue", FleetFlagsConfig.DEFAULT_WORKER_QUEUE),
          delivery,
          integer(root, "expected-devices", FleetFlagsConfig.DEFAULT_EXPECTED_DEVICES),

          endpoints.isEmpty() ? null : clusterSettings(cluster, endpoints, keyPrefix, clusterFiles),
          integer(root.child("rollouts"), "check-interval-millis", FleetFlagsConfig.DEFAULT_ROLLOUT_CHECK_MILLIS));
    }

    private ClusterSettings clusterSettings(@Nullable Element cluster, List<URI> endpoints, String keyPrefix, Path[] files) {
      Element username = cluster == null ? null : cluster.child("username");
      return new ClusterSettings(
          endpoints,
          keyPrefix,
          username == null || username.text().isBlank() ? null : username.text().strip(),
          files[0],
          files[1],
          files[2],
          files[3],
          Duration.ofMillis(integer(cluster, "write-timeout-millis", (int) ClusterSettings.DEFAULT_WRITE_TIMEOUT.toMillis())),
          Duration.ofMillis(integer(cluster, "request-timeout-millis", (int) ClusterSettings.DEFAULT_REQUEST_TIMEOUT.toMillis())),
          Duration.ofMillis(integer(cluster, "probe-interval-millis", (int) ClusterSettings.DEFAULT_PROBE_INTERVAL.toMillis())),
          longInteger(cluster, "quota-bytes", ClusterSettings.DEFAULT_QUOTA_BYTES),
          integer(cluster, "max-txn-ops", ClusterSettings.DEFAULT_MAX_TXN_OPS),
          integer(cluster, "max-request-bytes", ClusterSettings.DEFAULT_MAX_REQUEST_BYTES));
    }

    /** cluster/etcd-endpoints: empty (one broker on its own) or etcd client URLs of one scheme. */
    private List<URI> etcdEndpoints() {
      Element cluster = root.child("cluster");
      Element element = cluster == null ? null : cluster.child("etcd-endpoints");
      if (element == null || element.text().isBlank()) {
        return List.of();
      }
      List<URI> endpoints = new ArrayList<>();
      Set<String> schemes = new HashSet<>();
      for (String item : element.text().split(",")) {
        String value = item.strip();
        String reason = null;
        try {
          if (!value.startsWith("http://") && !value.startsWith("https://")) {
            problem(element, (value.isEmpty() ? "an empty entry" : "'" + value + "'")
                + " is not an http:// or https:// URL (etcd's client URLs look like http://10.0.0.1:2379)");
            continue;
          }
          URI uri = new URI(value);
          if (uri.getHost() == null || uri.getPort() < 0) {
            reason = "names no host and port, e.g. http://10.0.0.1:2379";
          } else if (!(uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))
              || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            reason = "has a path, query or fragment, but an endpoint is only scheme, host and port";
          } else if (endpoints.contains(uri)) {
            reason = "is listed twice";
          } else {
            endpoints.add(uri);
            schemes.add(uri.getScheme());
          }
        } catch (URISyntaxException e) {
          reason = "is not a URL: " + e.getReason();
        }
        if (reason != null) {
          problem(element, (value.isEmpty() ? "an empty entry" : "'" + value + "'") + " " + reason);
        }
      }
      if (schemes.size() > 1) {
        problem(element, "mixes http:// and https://, but etcd's members all take one or the other");
      }
      return endpoints;
    }

    private static @Nullable String checkKeyPrefix(String prefix) {
      if (!prefix.startsWith("/")) {
        return "does not start with /, e.g. /fleetflags";
      }
      if (prefix.length() == 1 || prefix.endsWith("/")) {
        return "ends with /; give the prefix without it, e.g. /fleetflags";
      }
      return null;
    }

    /**
     * cluster/password-file, tls/ca-file, cert-file and key-file, each checked to be a readable
     * file where it is given; null where not.
     */
    private Path[] clusterFiles(@Nullable Element cluster, List<URI> endpoints) {
      Path[] files = new Path[4];
      if (cluster == null) {
        return files;
      }
      Element tls = cluster.child("tls");
      files[0] = readableFile(cluster.child("password-file"));
      files[1] = tls == null ? null : readableFile(tls.child("ca-file"));
      files[2] = tls == null ? null : readableFile(tls.child("cert-file"));
      files[3] = tls == null ? null : readableFile(tls.child("key-file"));
      Element username = cluster.child("username");
      boolean hasUser = username != null && !username.text().isBlank();
      if (hasUser != (files[0] != null)) {
        problem(hasUser ? username : Objects.requireNonNull(cluster.child("password-file")),
            "etcd authentication needs both cluster/username and cluster/password-file");
      }
      if (tls != null && (files[2] != null) != (files[3] != null)) {
        problem(tls, "a client certificate needs both tls/cert-file and tls/key-file");
      }
      boolean https = endpoints.stream().anyMatch(uri -> uri.getScheme().equals("https"));
      if (tls != null && !https && (files[1] != null || files[2] != null)) {
        problem(tls, "TLS files are given but the etcd endpoints are http://, not https://");
      }
      return files;
    }

    /** A file setting checked to exist and be readable; null if empty. */
    private @Nullable Path readableFile(@Nullable Element element) {
      if (element == null || element.text().isBlank()) {
        return null;
      }
      Path file = resolve(element);
      if (file == null) {
        return null;
      }
      String value = element.text().strip();
      if (!Files.exists(file)) {
        problem(element, "'" + value + "' does not exist (looked for " + file + ")");
      } else if (!Files.isRegularFile(file)) {
        problem(element, "'" + value + "' is not a file (" + file + ")");
      } else if (!Files.isReadable(file)) {
        problem(element, "'" + value + "' cannot be read: permission denied (" + file + ")");
      }
      return file;
    }

    /** A text setting; the check returns the reason the value is wrong, or null. */
    private String text(String name, String fallback, Function<String, @Nullable String> check) {
      return text(root, name, fallback, check);
    }

    private String text(Element parent, String name, String fallback, Function<String, @Nullable String> check) {
      Element element = parent.child(name);
      if (element == null) {
        return fallback;
      }
      String value = element.text().strip();
      String reason = check.apply(value);
      if (reason != null) {
        problem(element, (value.isEmpty() ? "the value" : "'" + value + "'") + " " + reason);
      }
      return value;
    }

    private @Nullable String checkDeviceTopic(String topic, String adminTopicPrefix) {
      String general = checkTopic(topic);
      if (general != null) {
        return general;
      }
      int first = topic.indexOf(FleetFlagsConfig.CLIENT_ID);
      if (first < 0) {
        return "does not contain "
            + FleetFlagsConfig.CLIENT_ID
            + ", so all devices would share"
            + " one topic";
      }
      if (topic.indexOf(FleetFlagsConfig.CLIENT_ID, first + 1) >= 0) {
        return "contains "
            + FleetFlagsConfig.CLIENT_ID
            + " more than once, but must contain it once";
      }
      if (!Arrays.asList(topic.split("/", -1)).contains(FleetFlagsConfig.CLIENT_ID)) {
        return "has "
            + FleetFlagsConfig.CLIENT_ID
            + " inside a topic level, but it must be a whole"
            + " level, e.g. flags/"
            + FleetFlagsConfig.CLIENT_ID;
      }
      String fixed = topic.substring(0, first);
      if ((fixed + "/").startsWith(adminTopicPrefix + "/")) {
        return "lies under the admin topics ("
            + adminTopicPrefix
            + "/), which devices may not"
            + " use";
      }
      return null;
    }

    private @Nullable String checkAdminTopicPrefix(String prefix) {
      String general = checkTopic(prefix);
      if (general != null) {
        return general;
      }
      if (prefix.endsWith("/")) {
        return "ends with '/' (give the prefix without it, e.g. flags-admin)";
      }
      if (prefix.contains(FleetFlagsConfig.CLIENT_ID)) {
        return "contains " + FleetFlagsConfig.CLIENT_ID + ", which only the device topic may";
      }
      return null;
    }

    /** The rules for a topic name (MQTT 5 section 4.7) plus those for FleetFlags' own topics. */
    private static @Nullable String checkTopic(String topic) {
      if (topic.isEmpty()) {
        return "is empty";
      }
      if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) {
        return "contains a wildcard (+ or #), which a topic name cannot";
      }
      if (topic.startsWith("$")) {
        return "starts with '$', which the broker reserves for its own topics";
      }
      if (topic.indexOf('\u0000') >= 0) {
        return "contains the null character, which MQTT does not allow";
      }
      if (topic.getBytes(StandardCharsets.UTF_8).length > MAX_MQTT_STRING_BYTES) {
        return "is longer than an MQTT topic may be";
      }
      return null;
    }

    private static @Nullable String checkUserPropertyName(String name) {
      if (name.isEmpty()) {
        return "is empty";
      }
      if (name.indexOf('\u0000') >= 0) {
        return "contains the null character, which MQTT does not allow";
      }
      if (name.getBytes(StandardCharsets.UTF_8).length > MAX_MQTT_STRING_BYTES) {
        return "is longer than an MQTT string may be";
      }
      return null;
    }

    /** Empty means the default; relative paths start at the extension's folder. */
    private Path path(String name, Path fallback) {
      Element element = root.child(name);
      if (element == null || element.text().isBlank()) {
        return fallback;
      }
      Path path = resolve(element);
      return path == null ? fallback : path;
    }

    private @Nullable Path seedFile() {
      return readableFile(root.child("seed-file"));
    }

    private @Nullable Path resolve(Element element) {
      String value = element.text().strip();
      try {
        return extensionHome.resolve(value).normalize();
      } catch (InvalidPathException e) {
        problem(element, "'" + value + "' is not a valid path: " + e.getReason());
        return null;
      }
    }

    private boolean bool(@Nullable Element element, boolean fallback) {
      if (element == null) {
        return fallback;
      }
      String value = element.text().strip();
      // The schema admits only true, false, 1 and 0 (and reported anything else).
      return value.equals("true") || value.equals("1");
    }

    private long longInteger(@Nullable Element parent, String name, long fallback) {
      Element element = parent == null ? null : parent.child(name);
      if (element == null) {
        return fallback;
      }
      try {
        return Long.parseLong(element.text().strip());
      } catch (NumberFormatException e) {
        return fallback; // the schema reported it
      }
    }

    private int integer(@Nullable Element parent, String name, int fallback) {
      Element element = parent == null ? null : parent.child(name);
      if (element == null) {
        return fallback;
      }
      try {
        // Range checks are the schema's.
        return Integer.parseInt(element.text().strip());
      } catch (NumberFormatException e) {
        return fallback; // the schema reported it
      }
    }

    private List<String> attributes(String stateUserProperty) {
      Element attributes = root.child("attributes");
      if (attributes == null) {
        return List.of();
      }
      Map<String, Element> names = new LinkedHashMap<>();
      for (Element property : attributes.children("user-property")) {
        String name = property.text().strip();
        String reason = checkUserPropertyName(name);
        if (reason == null && RESERVED_ATTRIBUTES.contains(name)) {
          reason = "is set by FleetFlags itself (the device's client id)";
        } else if (reason == null && name.startsWith("$flagd")) {
          reason = "is reserved by flagd";
        } else if (reason == null && name.equals(stateUserProperty)) {
          reason = "is the state user property, not an attribute";
        } else if (reason == null && names.containsKey(name)) {
          reason = "is listed twice (also line " + names.get(name).line() + ")";
        }
        if (reason != null) {
          problem(property, (name.isEmpty() ? "the value" : "'" + name + "'") + " " + reason);
        } else {
          names.put(name, property);
        }
      }
      return List.copyOf(names.keySet());
    }

    private List<Operator> operators() {
      Element operators = root.child("operators");
      if (operators == null) {
        return List.of();
      }
      List<Operator> result = new ArrayList<>();
      Map<String, Element> usernames = new HashMap<>();
      Map<String, Element> commonNames = new HashMap<>();
      for (Element operator : operators.children("operator")) {
        Element username = operator.child("username");
        Element passwordHash = operator.child("password-hash");
        Element commonName = operator.child("certificate-common-name");
        if (username != null && passwordHash != null) {
          String name = username.text().strip();
          PasswordHash hash = null;
          if (name.isEmpty()) {
            problem(username, "the value is empty");
          } else if (usernames.containsKey(name)) {
            problem(
                username,
                "'"
                    + name
                    + "' is configured twice (also line "
                    + usernames.get(name).line()
                    + ")");
          } else {
            usernames.put(name, username);
          }
          try {
            hash = PasswordHash.parse(passwordHash.text());
          } catch (IllegalArgumentException e) {
            // The value is not repeated: it may be a password pasted by mistake.
            problem(
                passwordHash,
                "the value (not shown) "
                    + e.getMessage()
                    + " (create one with the CLI: java -jar fleetflags-cli-<version>.jar hash-password)");
          }
          if (hash != null) {
            result.add(new Operator.WithPassword(name, hash));
          }
        } else if (commonName != null) {
          String name = commonName.text().strip();
          if (name.isEmpty()) {
            problem(commonName, "the value is empty");
          } else if (commonNames.containsKey(name)) {
            problem(
                commonName,
                "'"
                    + name
                    + "' is configured twice (also line "
                    + commonNames.get(name).line()
                    + ")");
          } else {
            commonNames.put(name, commonName);
            result.add(new Operator.WithCertificate(name));
          }
        }
      }
      return result;
    }

    private void problem(Element element, String reason) {
      problems.add(new Problem(element.path(), element.line(), reason));
    }
  }

  /** For log lines: the operators without their secrets. */
  static String describe(List<Operator> operators) {
    return operators.stream()
        .map(
            o ->
                o instanceof Operator.WithPassword p
                    ? p.username() + " (password)"
                    : ((Operator.WithCertificate) o).commonName() + " (certificate)")
        .collect(Collectors.joining(", "));
  }
}
