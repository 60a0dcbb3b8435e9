#ifndef FLEETFLAGS_TEST_SUITES_H
#define FLEETFLAGS_TEST_SUITES_H

#include "support.h"

/* Hand-made payloads: semantics, limits, refusals, getters, changes, saving, topics. */
void unit_tests(const vectors *v);
/* The shared vectors, generated from the extension's encoder: each gives exactly its set. */
void vector_tests(const vectors *v);
/* Every prefix and bit flip of every vector, saved states likewise, random bytes: refused
 * without a crash and without a change, or applied consistently. */
void robustness_tests(const vectors *v);

/* Acknowledgements: the shared ack vectors byte for byte, bounds, buffers, the ack topic. */
void ack_tests(const vectors *v);

#endif
