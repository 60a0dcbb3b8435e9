/**
 * What a device holds and how it keeps it, as the README's device protocol specifies: the flag set
 * with its revision and state hash, applying snapshots, deltas and empty confirmations, refusing
 * what is malformed or hashes otherwise, and the saved copy a device starts from. No MQTT and no
 * OpenFeature here.
 */
@NullMarked
package dev.fleetflags.device;

import org.jspecify.annotations.NullMarked;
