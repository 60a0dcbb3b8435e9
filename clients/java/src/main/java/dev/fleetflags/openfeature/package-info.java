/** The OpenFeature provider: a device's flag set, held over MQTT, as OpenFeature evaluations and events. */
@NullMarked
package dev.fleetflags.openfeature;

import org.jspecify.annotations.NullMarked;
