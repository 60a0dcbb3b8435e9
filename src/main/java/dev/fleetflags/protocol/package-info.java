/**
 * The admin protocol's requests and answers as records, read from JSON and written to it in one
 * place, shared by the extension (which reads requests and writes answers) and the operator's CLI
 * (which writes requests and reads answers). Reading a request names every problem with its
 * location, as the extension answers it. Depends on {@code rules} only.
 */
@NullMarked
package dev.fleetflags.protocol;

import org.jspecify.annotations.NullMarked;
