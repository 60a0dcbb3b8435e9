/**
 * The broker side: the extension's entry point, its configuration, and the parts that connect
 * HiveMQ's callbacks to delivery and admin. The only package that imports the HiveMQ extension
 * SDK; everything else is plain Java.
 */
@NullMarked
package dev.fleetflags.hivemq;

import org.jspecify.annotations.NullMarked;
