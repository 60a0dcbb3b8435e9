/**
 * The durable store: flags, {@code $evaluators}, document metadata, the device registry and the
 * audit history in one RocksDB instance, with one synced write batch per admin change and a global
 * revision. Plain Java; nothing here knows about the broker.
 */
@NullMarked
package dev.fleetflags.store;

import org.jspecify.annotations.NullMarked;
