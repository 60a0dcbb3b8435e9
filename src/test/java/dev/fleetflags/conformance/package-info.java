/**
 * The engine against the outside world: the flagd evaluator conformance suite (Cucumber) and a
 * differential test against the flagd Java provider.
 */
@NullMarked
package dev.fleetflags.conformance;

import org.jspecify.annotations.NullMarked;
