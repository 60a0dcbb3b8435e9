/*
 * MurmurHash3 x86 32-bit, after Austin Appleby's MurmurHash3_x86_32 (SMHasher, MurmurHash3.cpp),
 * which its author placed in the public domain. Written here byte by byte, so that it reads
 * blocks little-endian on any CPU and needs no alignment, and can be fed in pieces.
 */
#include "murmur3.h"

#include "fleetflags.h"

#define C1 0xcc9e2d51u
#define C2 0x1b873593u

static uint32_t rotl32(uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

static uint32_t mix_k1(uint32_t k1) {
  k1 *= C1;
  k1 = rotl32(k1, 15);
  return k1 * C2;
}

void ff_murmur_begin(ff_murmur *m, uint32_t seed) {
  m->h1 = seed;
  m->k1 = 0;
  m->len = 0;
}

void ff_murmur_add(ff_murmur *m, const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  size_t i;
  for (i = 0; i < len; i++) {
    m->k1 |= (uint32_t)p[i] << ((m->len & 3u) * 8u);
    if ((m->len & 3u) == 3u) {
      m->h1 ^= mix_k1(m->k1);
      m->h1 = rotl32(m->h1, 13);
      m->h1 = m->h1 * 5u + 0xe6546b64u;
      m->k1 = 0;
    }
    m->len++;
  }
}

uint32_t ff_murmur_end(const ff_murmur *m) {
  uint32_t h1 = m->h1;
  if ((m->len & 3u) != 0) {
    h1 ^= mix_k1(m->k1);
  }
  h1 ^= m->len;
  h1 ^= h1 >> 16;
  h1 *= 0x85ebca6bu;
  h1 ^= h1 >> 13;
  h1 *= 0xc2b2ae35u;
  h1 ^= h1 >> 16;
  return h1;
}

uint32_t ff_murmur3_32(const void *data, size_t len, uint32_t seed) {
  ff_murmur m;
  ff_murmur_begin(&m, seed);
  ff_murmur_add(&m, data, len);
  return ff_murmur_end(&m);
}
