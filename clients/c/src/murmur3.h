/* MurmurHash3 x86 32-bit over bytes fed in pieces (a flag's entry is key, 0x00, tag, value). */
#ifndef FLEETFLAGS_MURMUR3_H
#define FLEETFLAGS_MURMUR3_H

#include <stddef.h>
#include <stdint.h>

typedef struct ff_murmur {
  uint32_t h1;
  uint32_t k1; /* the pending bytes of an incomplete 4-byte block */
  uint32_t len;
} ff_murmur;

void ff_murmur_begin(ff_murmur *m, uint32_t seed);
void ff_murmur_add(ff_murmur *m, const void *data, size_t len);
uint32_t ff_murmur_end(const ff_murmur *m);

#endif
