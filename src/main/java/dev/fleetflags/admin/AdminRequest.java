package dev.fleetflags.admin;

import dev.fleetflags.store.Actor;

/**
 * One operator request: what, the JSON payload as published, and who sent it.
 *
 * @param action the action the topic names
 * @param payload the JSON text
 * @param actor the operator's client id and username
 */
public record AdminRequest(AdminAction action, byte[] payload, Actor actor) {}
