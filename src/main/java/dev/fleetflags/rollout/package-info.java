/**
 * Changes the extension makes over time on an operator's behalf: staged rollouts (a flag moved to
 * a new definition in waves, each an ordinary audited write of a standard flagd definition,
 * advanced, halted or reverted by gates on what devices report) and scheduled changes (an admin
 * write carried out at a given time). Their state is durable in the store, written in the same
 * batch as the flags they change. Beside admin: requests arrive through {@code FlagAdmin} on the
 * admin thread, and every write goes through its write path.
 */
@NullMarked
package dev.fleetflags.rollout;

import org.jspecify.annotations.NullMarked;
