/**
 * The operators' admin protocol: requests on the admin topics, their validation, durable writes
 * through the store, answers, and the audit history. Plain Java; the hivemq package routes MQTT
 * publishes here on the extension's own executor.
 */
@NullMarked
package dev.fleetflags.admin;

import org.jspecify.annotations.NullMarked;
