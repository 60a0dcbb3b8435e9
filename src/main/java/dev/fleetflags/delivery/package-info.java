/**
 * Getting flag sets to devices: the live flag set, device contexts, the wire encoding of updates,
 * and (fan-out) planning and pacing of deltas.
 */
@NullMarked
package dev.fleetflags.delivery;

import org.jspecify.annotations.NullMarked;
