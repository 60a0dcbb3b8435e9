/**
 * Targeting compiled to a tree of small evaluator objects, JSON Logic's value semantics, flagd's
 * custom operators, and evaluation of a whole flag set for one device into a compact result.
 */
@NullMarked
package dev.fleetflags.eval;

import org.jspecify.annotations.NullMarked;
