/**
 * Several brokers, one flag state: an etcd cluster is the source of truth, every broker's store
 * its local copy. Writes are committed to etcd in one transaction guarded on the revision they
 * were validated against; every broker watches the key prefix and applies each change to its
 * store, which makes it live and fans it out to that broker's own devices. Only this package
 * knows jetcd; everything else sees the store.
 */
@NullMarked
package dev.fleetflags.replication;

import org.jspecify.annotations.NullMarked;
