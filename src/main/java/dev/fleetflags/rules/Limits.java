package dev.fleetflags.rules;

/**
 * Bounds on what one document may cost to parse, compile and hold. Every limit that is exceeded is
 * reported as a {@link Problem} like any other, so an operator sees which limit and where.
 *
 * @param maxDocumentBytes size of the JSON text
 * @param maxDepth nesting depth of arrays and objects
 * @param maxNodes JSON values in the document (every object, array, string, number, ...)
 * @param maxFlags flags in the document, and in the resulting flag set
 * @param maxVariants variants of one flag
 * @param maxKeyLength characters (code points) in a flag key, variant name, evaluator name, device
 *     id or attribute name
 */
public record Limits(
    int maxDocumentBytes, int maxDepth, int maxNodes, int maxFlags, int maxVariants, int maxKeyLength) {

  /** Variant indices are packed into 12 bits of an evaluation result, with one value reserved. */
  public static final int HARD_MAX_VARIANTS = 4094;

  public static final Limits DEFAULT = new Limits(8 * 1024 * 1024, 64, 1_000_000, 10_000, 256, 256);

  public Limits {
    positive("maxDocumentBytes", maxDocumentBytes);
    positive("maxDepth", maxDepth);
    positive("maxNodes", maxNodes);
    positive("maxFlags", maxFlags);
    positive("maxVariants", maxVariants);
    positive("maxKeyLength", maxKeyLength);
    if (maxVariants > HARD_MAX_VARIANTS) {
      throw new IllegalArgumentException("maxVariants must be at most " + HARD_MAX_VARIANTS);
    }
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
  }
}
