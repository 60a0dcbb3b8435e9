/**
 * The device's MQTT side of the protocol on the HiveMQ MQTT client: connecting (presenting the
 * state hash in the MQTT 5 CONNECT), the resync publish, the subscription to the flag topic, and
 * what arrives on it; for a client the provider connects itself or one the application connects.
 */
@NullMarked
package dev.fleetflags.mqtt;

import org.jspecify.annotations.NullMarked;
