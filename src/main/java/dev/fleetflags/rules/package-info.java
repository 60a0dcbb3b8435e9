/**
 * The flagd flag-definition document: reading JSON within limits, the document model, and the
 * structural validation that names every problem with its location.
 */
@NullMarked
package dev.fleetflags.rules;

import org.jspecify.annotations.NullMarked;
