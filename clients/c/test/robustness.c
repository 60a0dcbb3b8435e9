/*
 * Malformed and truncated input: every prefix and every bit flip of every vector's payload, of
 * saved states, and random bytes. Each is refused with nothing changed, or (where the damage
 * still decodes) applied with the library's invariants intact. Run under ASan and UBSan too.
 */
#include <stdio.h>
#include <string.h>

#include "suites.h"

static int refused;
static int applied;

/* Applies `payload` to a copy of `base` and checks the outcome. */
static void apply_damaged(const device *base, const uint8_t *payload, size_t len) {
  static device d;
  ff_status status;
  device_copy(&d, base);
  status = ff_apply(&d.state, payload, len);
  switch (status) {
    case FF_ERR_MALFORMED:
    case FF_ERR_LIMIT:
      refused++;
      CHECK(device_same(&d, base));
      CHECK(ff_reason(&d.state)[0] != 0);
      break;
    case FF_OK:
    case FF_RESYNC:
    case FF_MISMATCH:
      applied++;
      CHECK(device_consistent(&d));
      CHECK(ff_holds(&d.state));
      break;
    default:
      CHECK(!"ff_apply returned a status it never should");
  }
}

static void damage_payload(const device *base, const update_vector *u) {
  static uint8_t buf[sizeof(u->payload)];
  size_t len, i;
  int bit;
  for (len = 0; len < u->payload_len; len++) {
    apply_damaged(base, u->payload, len);
  }
  memcpy(buf, u->payload, u->payload_len);
  for (i = 0; i < u->payload_len; i++) {
    for (bit = 0; bit < 8; bit++) {
      buf[i] ^= (uint8_t)(1u << bit);
      apply_damaged(base, buf, u->payload_len);
      buf[i] ^= (uint8_t)(1u << bit);
    }
  }
}

/* A saved state damaged in any way is refused, and the device keeps what it held. */
static void restore_damaged(const device *holder, const uint8_t *saved, size_t len) {
  static device d;
  ff_status status;
  device_copy(&d, holder);
  status = ff_restore(&d.state, saved, len);
  CHECK(status == FF_ERR_CORRUPT || status == FF_ERR_MALFORMED || status == FF_ERR_LIMIT);
  CHECK(device_same(&d, holder));
}

static void damage_saved(const device *saved_from, const device *holder) {
  static uint8_t saved[FF_SAVE_SIZE(TEST_CAPACITY)];
  size_t len = 0, n, i;
  int bit;
  CHECK_STATUS(FF_OK, ff_save(&saved_from->state, saved, sizeof(saved), &len));
  for (n = 0; n < len; n++) {
    restore_damaged(holder, saved, n);
  }
  for (i = 0; i < len; i++) {
    for (bit = 0; bit < 8; bit++) {
      saved[i] ^= (uint8_t)(1u << bit);
      restore_damaged(holder, saved, len);
      saved[i] ^= (uint8_t)(1u << bit);
    }
  }
}

/* xorshift32: the same "random" bytes on every run. */
static uint32_t next_random(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static void random_bytes(const device *base, const vectors *v) {
  static uint8_t buf[512];
  uint32_t x = 0x9e3779b9u;
  int round;
  for (round = 0; round < 20000; round++) {
    size_t len = next_random(&x) % sizeof(buf), i;
    for (i = 0; i < len; i++) {
      buf[i] = (uint8_t)next_random(&x);
    }
    apply_damaged(base, buf, len);
  }
  /* Vectors with several bytes changed at once. */
  for (round = 0; round < 20000; round++) {
    const update_vector *u = &v->updates[next_random(&x) % v->update_count];
    int changes = 1 + (int)(next_random(&x) % 4), c;
    if (u->payload_len == 0) {
      continue;
    }
    memcpy(buf, u->payload, u->payload_len < sizeof(buf) ? u->payload_len : sizeof(buf));
    for (c = 0; c < changes; c++) {
      buf[next_random(&x) % u->payload_len % sizeof(buf)] = (uint8_t)next_random(&x);
    }
    apply_damaged(base, buf, u->payload_len < sizeof(buf) ? u->payload_len : sizeof(buf));
  }
}

void robustness_tests(const vectors *v) {
  static device base, small, other;
  size_t i;
  for (i = 0; i < v->update_count; i++) {
    const update_vector *u = &v->updates[i];
    if (!vector_base(v, u, &base)) {
      CHECK(!"vector base");
      continue;
    }
    damage_payload(&base, u);

    /* The same payloads where they do not fit: storage for 2 flags holding one. */
    device_init(&small, 2);
    {
      static message m;
      m.len = 0;
      msg_revision(&m, 1);
      msg_snapshot(&m);
      msg_flag_bool(&m, "held", true);
      msg_hash(&m, entry_hash_of("held", 'b', "\x01", 1));
      CHECK_STATUS(FF_OK, ff_apply(&small.state, m.bytes, m.len));
    }
    damage_payload(&small, u);

    /* Its result, saved and damaged, restored over a device holding something else. */
    CHECK_STATUS(FF_OK, ff_apply(&base.state, u->payload, u->payload_len));
    device_copy(&other, &small);
    damage_saved(&base, &other);
  }
  if (vector_base(v, &v->updates[0], &base)) {
    random_bytes(&base, v);
  }
  printf("damaged input: %d refused unchanged, %d applied consistently\n", refused, applied);
}
