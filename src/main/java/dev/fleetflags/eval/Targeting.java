package dev.fleetflags.eval;

import org.jspecify.annotations.Nullable;

/**
 * A flag's targeting compiled one step past its {@link Expr}: it gives the index of the variant it
 * chooses instead of a value that names one. The shapes flag files are made of (a literal variant,
 * a {@code fractional} split with literal buckets, {@code if} chains whose branches are those)
 * choose a variant without producing, boxing or comparing any value; anything else evaluates the
 * expression and finds the variant by name, as the general path always did.
 */
abstract class Targeting {

  /** Targeting gave null: the default variant applies. */
  static final int NO_RESULT = -1;
  /** Targeting gave a value that names no variant of the flag: an error. */
  static final int NOT_A_VARIANT = -2;

  /** The index of the chosen variant, or {@link #NO_RESULT} or {@link #NOT_A_VARIANT}. */
  abstract int choose(Scope s);

  /** How a flag finds the variant a targeting value names (-1: none). */
  interface Variants {
    int indexOf(Object value);
  }

  /** The targeting for the compiled rule {@code rule} of a flag whose variants {@code variants} finds. */
  static Targeting of(Expr rule, Variants variants) {
    if (rule instanceof Expr.Const c) {
      return new Fixed(choice(c.value, variants));
    }
    if (rule instanceof Fractional f && f.isLiteralSplit()) {
      Object[] values = f.literalVariants();
      int[] choices = new int[values.length];
      for (int i = 0; i < values.length; i++) {
        choices[i] = choice(values[i], variants);
      }
      return new Split(f, choices);
    }
    if (rule instanceof Logic.If chain) {
      Expr[] args = chain.args();
      int pairs = args.length / 2;
      Expr[] conditions = new Expr[pairs];
      Targeting[] branches = new Targeting[pairs];
      for (int i = 0; i < pairs; i++) {
        conditions[i] = args[2 * i];
        branches[i] = of(args[2 * i + 1], variants);
      }
      Targeting otherwise = args.length % 2 == 1 ? of(args[args.length - 1], variants) : new Fixed(NO_RESULT);
      return new Branches(conditions, branches, otherwise);
    }
    return new General(rule, variants);
  }

  /** What a targeting value chooses: null none, else the variant it names, if any. */
  static int choice(@Nullable Object value, Variants variants) {
    if (value == null) {
      return NO_RESULT;
    }
    int index = variants.indexOf(value);
    return index >= 0 ? index : NOT_A_VARIANT;
  }

  /** A literal result: the same choice for every device. */
  static final class Fixed extends Targeting {
    private final int choice;

    Fixed(int choice) {
      this.choice = choice;
    }

    @Override
    int choose(Scope s) {
      return choice;
    }
  }

  /** A {@code fractional} with literal buckets: the device's bucket is its choice. */
  static final class Split extends Targeting {
    private final Fractional split;
    private final int[] choices;

    Split(Fractional split, int[] choices) {
      this.split = split;
      this.choices = choices;
    }

    @Override
    int choose(Scope s) {
      int bucket = split.bucket(s);
      return bucket < 0 ? NO_RESULT : choices[bucket];
    }
  }

  /** {@code if}: the branch of the first condition that holds, else the last one (or none). */
  static final class Branches extends Targeting {
    private final Expr[] conditions;
    private final Targeting[] branches;
    private final Targeting otherwise;

    Branches(Expr[] conditions, Targeting[] branches, Targeting otherwise) {
      this.conditions = conditions;
      this.branches = branches;
      this.otherwise = otherwise;
    }

    @Override
    int choose(Scope s) {
      for (int i = 0; i < conditions.length; i++) {
        if (conditions[i].test(s)) {
          return branches[i].choose(s);
        }
      }
      return otherwise.choose(s);
    }
  }

  /** Any other rule: its value, then the variant that value names. */
  static final class General extends Targeting {
    private final Expr rule;
    private final Variants variants;

    General(Expr rule, Variants variants) {
      this.rule = rule;
      this.variants = variants;
    }

    @Override
    int choose(Scope s) {
      return choice(rule.eval(s), variants);
    }
  }
}
