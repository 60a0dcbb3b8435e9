package dev.fleetflags.store;

import org.jspecify.annotations.Nullable;

/**
 * Who made a change: the operator's MQTT client id and, if it logged in with one, its username.
 */
public record Actor(String clientId, @Nullable String username) {}
