package dev.fleetflags.rules;

/**
 * Bounds on what one document may cost to parse, compile, hold and evaluate, and on what a device's
 * attributes may hold. Every limit that is exceeded is reported as a {@link Problem} like any
 * other, so an operator sees which limit and where.
 *
 * @param maxDocumentBytes size of the JSON text
 * @param maxDepth nesting depth of arrays and objects
 * @param maxNodes JSON values in the document (every object, array, string, number, ...); also
 *     the nodes of one flag's targeting, and of the whole flag set's, after {@code $ref} expansion
 * @param maxFlags flags in the document, and in the resulting flag set
 * @param maxVariants variants of one flag
 * @param maxKeyLength characters (code points) in a flag key, variant name, evaluator name, device
 *     id or attribute name
 * @param maxFlagSetBytes size of the whole flag set as canonical JSON, after a write
 * @param maxEvaluationSteps steps one flag's evaluation for one device may take (see {@code
 *     CostAnalysis}): its targeting's nodes, each loop's body per element, and work on long
 *     strings and arrays
 * @param maxEvaluationSize characters of strings and elements of arrays one flag's evaluation may
 *     create
 * @param maxAttributeLength characters of a device attribute's value (a string, or the strings of
 *     an array together), and elements of an array value
 * @param maxAttributes attributes of one device in the registry, and CONNECT user properties
 *     taken as attributes
 */
public record Limits(
    int maxDocumentBytes,
    int maxDepth,
    int maxNodes,
    int maxFlags,
    int maxVariants,
    int maxKeyLength,
    int maxFlagSetBytes,
    int maxEvaluationSteps,
    int maxEvaluationSize,
    int maxAttributeLength,
    int maxAttributes) {

  /** Variant indices are packed into 12 bits of an evaluation result, with one value reserved. */
  public static final int HARD_MAX_VARIANTS = 4094;

  /**
   * The defaults. The flag set may be as large as one request, so that what {@code query/flags}
   * exports can always be sent back whole. 100,000 steps are about a millisecond of CPU: a flag
   * can cost a device at most that, while flag files use a few dozen steps per flag. A million
   * characters and elements leaves room for rules that join the client id (at most 65,535
   * characters) several times, and caps what one evaluation can allocate at 2 MB of strings, or
   * ~20 MB for a million array elements of fresh numbers (the worst case).
   * Attribute values of 256 characters hold model names, firmware versions, regions and serial
   * numbers; with 32 attributes a device's context stays within a few kilobytes.
   */
  public static final Limits DEFAULT = new Limits(8 * 1024 * 1024, 64, 1_000_000, 10_000, 256, 256);

  public static final int DEFAULT_MAX_EVALUATION_STEPS = 100_000;
  public static final int DEFAULT_MAX_EVALUATION_SIZE = 1_000_000;
  public static final int DEFAULT_MAX_ATTRIBUTE_LENGTH = 256;
  public static final int DEFAULT_MAX_ATTRIBUTES = 32;

  public Limits {
    positive("maxDocumentBytes", maxDocumentBytes);
    positive("maxDepth", maxDepth);
    positive("maxNodes", maxNodes);
    positive("maxFlags", maxFlags);
    positive("maxVariants", maxVariants);
    positive("maxKeyLength", maxKeyLength);
    positive("maxFlagSetBytes", maxFlagSetBytes);
    positive("maxEvaluationSteps", maxEvaluationSteps);
    positive("maxEvaluationSize", maxEvaluationSize);
    positive("maxAttributeLength", maxAttributeLength);
    positive("maxAttributes", maxAttributes);
    if (maxVariants > HARD_MAX_VARIANTS) {
      throw new IllegalArgumentException("maxVariants must be at most " + HARD_MAX_VARIANTS);
    }
  }

  /**
   * Document limits with the default evaluation and attribute limits, and a flag set as large as
   * one document.
   */
  public Limits(int maxDocumentBytes, int maxDepth, int maxNodes, int maxFlags, int maxVariants, int maxKeyLength) {
    this(maxDocumentBytes, maxDepth, maxNodes, maxFlags, maxVariants, maxKeyLength, maxDocumentBytes,
        DEFAULT_MAX_EVALUATION_STEPS, DEFAULT_MAX_EVALUATION_SIZE, DEFAULT_MAX_ATTRIBUTE_LENGTH, DEFAULT_MAX_ATTRIBUTES);
  }

  /** These limits with other evaluation limits. */
  public Limits withEvaluation(int steps, int size) {
    return new Limits(maxDocumentBytes, maxDepth, maxNodes, maxFlags, maxVariants, maxKeyLength, maxFlagSetBytes,
        steps, size, maxAttributeLength, maxAttributes);
  }

  /** These limits with other attribute limits. */
  public Limits withAttributes(int length, int count) {
    return new Limits(maxDocumentBytes, maxDepth, maxNodes, maxFlags, maxVariants, maxKeyLength, maxFlagSetBytes,
        maxEvaluationSteps, maxEvaluationSize, length, count);
  }

  /** These limits with another limit on the whole flag set's size. */
  public Limits withFlagSetBytes(int bytes) {
    return new Limits(maxDocumentBytes, maxDepth, maxNodes, maxFlags, maxVariants, maxKeyLength, bytes,
        maxEvaluationSteps, maxEvaluationSize, maxAttributeLength, maxAttributes);
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
  }
}
