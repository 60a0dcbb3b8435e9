/**
 * {@code fleetflags}, the operator's command line: validates flag files offline with the engine,
 * and talks MQTT 5 request/response to the admin topics of a broker running FleetFlags, with the
 * protocol's own records. Every failure a person meets has its message and its exit code ({@link
 * Exit}).
 */
@NullMarked
package dev.fleetflags.cli;

import org.jspecify.annotations.NullMarked;
