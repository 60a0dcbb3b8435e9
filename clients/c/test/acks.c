/* Acknowledgements: the shared ack vectors byte for byte, the bounds, the buffer, the topic. */
#include <stdio.h>
#include <string.h>

#include "suites.h"

/* Each ack vector: encoded exactly as the extension's proto classes write it. */
static void ack_vectors(const vectors *v) {
  size_t i, k;
  for (i = 0; i < v->ack_count; i++) {
    const ack_vector *a = &v->acks[i];
    const char *keys[FF_ACK_MAX_KEYS];
    uint8_t out[FF_ACK_MAX_SIZE];
    size_t len = 0;
    ff_status status;
    for (k = 0; k < a->key_count; k++) {
      keys[k] = a->keys[k];
    }
    status = ff_ack(out, sizeof(out), &len, a->revision, a->hash, a->status, a->key_count > 0 ? keys : NULL,
                    a->key_count, a->reason);
    if (status != FF_OK || len != a->payload_len || memcmp(out, a->payload, len) != 0) {
      fprintf(stderr, "ack vector %s: %s, %zu bytes where %zu are expected\n", a->name, ff_status_name(status), len,
              a->payload_len);
    }
    CHECK_STATUS(FF_OK, status);
    CHECK(len == a->payload_len && memcmp(out, a->payload, len) == 0);
    /* Exactly its size is enough; a byte less is not, and nothing is written then. */
    CHECK_STATUS(FF_OK, ff_ack(out, a->payload_len, &len, a->revision, a->hash, a->status,
                               a->key_count > 0 ? keys : NULL, a->key_count, a->reason));
    memset(out, 0xa5, sizeof(out));
    len = 7;
    CHECK_STATUS(FF_ERR_BUFFER, ff_ack(out, a->payload_len - 1, &len, a->revision, a->hash, a->status,
                                       a->key_count > 0 ? keys : NULL, a->key_count, a->reason));
    CHECK(len == 7 && out[0] == 0xa5);
  }
}

/* The README's example: an APPLIED ack of revision 1000 takes 10 bytes. */
static void readme_example(void) {
  static const uint8_t payload[] = {0x08, 0x01, 0x10, 0x01, 0x1a, 0x07, 0x0a, 0x03, 'o', 't', 'a', 0x10, 0x01,
                                    0x2d, 0x09, 0x50, 0x6d, 0x2d};
  static const uint8_t ack[] = {0x08, 0xe8, 0x07, 0x15, 0x09, 0x50, 0x6d, 0x2d, 0x18, 0x01};
  device d;
  uint8_t out[FF_ACK_APPLIED_SIZE];
  size_t len = 0;
  device_init(&d, TEST_CAPACITY);
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack_applied(&d.state, out, sizeof(out), &len)); /* holds nothing */
  CHECK_STATUS(FF_OK, ff_apply(&d.state, payload, sizeof(payload)));
  CHECK_STATUS(FF_OK, ff_ack_applied(&d.state, out, sizeof(out), &len));
  CHECK(len == 2 + 5 + 2 && out[0] == 0x08 && out[1] == 0x01 && out[2] == 0x15);
  CHECK_STATUS(FF_OK, ff_ack(out, sizeof(out), &len, 1000, 0x2d6d5009u, FF_ACK_APPLIED, NULL, 0, NULL));
  CHECK(len == sizeof(ack) && memcmp(out, ack, sizeof(ack)) == 0);
  /* The largest revision takes 10 bytes: FF_ACK_APPLIED_SIZE holds any APPLIED ack. */
  CHECK_STATUS(FF_OK, ff_ack(out, sizeof(out), &len, UINT64_MAX, 0, FF_ACK_APPLIED, NULL, 0, NULL));
  CHECK(len == FF_ACK_APPLIED_SIZE);
}

static void bounds(void) {
  static char key[FF_ACK_MAX_KEY_LEN + 2];
  static char reason[FF_ACK_MAX_REASON_LEN + 2];
  const char *keys[FF_ACK_MAX_KEYS + 1];
  uint8_t out[FF_ACK_MAX_SIZE + 64];
  size_t len = 0, i;

  /* Arguments. */
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack(NULL, 16, &len, 1, 0, FF_ACK_APPLIED, NULL, 0, NULL));
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack(out, sizeof(out), NULL, 1, 0, FF_ACK_APPLIED, NULL, 0, NULL));
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack(out, sizeof(out), &len, 0, 0, FF_ACK_APPLIED, NULL, 0, NULL));
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack(out, sizeof(out), &len, 1, 0, (ff_ack_status)0, NULL, 0, NULL));
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack(out, sizeof(out), &len, 1, 0, (ff_ack_status)4, NULL, 0, NULL));
  keys[0] = "ota";
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_FAILED, keys, 1, "x"));
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_REJECTED, NULL, 1, "x"));
  keys[0] = NULL;
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_REJECTED, keys, 1, "x"));

  /* Not UTF-8: a lone continuation byte, an overlong form, a surrogate, past U+10FFFF, cut short. */
  {
    static const char *const bad[] = {"a\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe6\x97"};
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      keys[0] = bad[i];
      CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_REJECTED, keys, 1, "x"));
      CHECK_STATUS(FF_ERR_ARGUMENT, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_FAILED, NULL, 0, bad[i]));
    }
    keys[0] = "\xf0\x9f\x9a\x80-\xe6\x97\xa5\xc3\xbc"; /* rocket, a CJK character, u-umlaut */
    CHECK_STATUS(FF_OK, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_REJECTED, keys, 1, keys[0]));
  }

  /* Keys: at most 32, each 1 to 1024 bytes. */
  for (i = 0; i <= FF_ACK_MAX_KEYS; i++) {
    keys[i] = "k";
  }
  CHECK_STATUS(FF_OK, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_REJECTED, keys, FF_ACK_MAX_KEYS, "x"));
  CHECK_STATUS(FF_ERR_LIMIT, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_REJECTED, keys, FF_ACK_MAX_KEYS + 1, "x"));
  keys[1] = "";
  CHECK_STATUS(FF_ERR_LIMIT, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_REJECTED, keys, 2, "x"));
  memset(key, 'k', FF_ACK_MAX_KEY_LEN);
  key[FF_ACK_MAX_KEY_LEN] = 0;
  keys[1] = key;
  CHECK_STATUS(FF_OK, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_REJECTED, keys, 2, "x"));
  CHECK(len == 2 + 5 + 2 + 3 + (3 + FF_ACK_MAX_KEY_LEN) + 3);
  key[FF_ACK_MAX_KEY_LEN] = 'k';
  key[FF_ACK_MAX_KEY_LEN + 1] = 0;
  CHECK_STATUS(FF_ERR_LIMIT, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_REJECTED, keys, 2, "x"));

  /* Reason: at most 256 bytes. */
  memset(reason, 'r', FF_ACK_MAX_REASON_LEN);
  reason[FF_ACK_MAX_REASON_LEN] = 0;
  CHECK_STATUS(FF_OK, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_FAILED, NULL, 0, reason));
  reason[FF_ACK_MAX_REASON_LEN] = 'r';
  reason[FF_ACK_MAX_REASON_LEN + 1] = 0;
  CHECK_STATUS(FF_ERR_LIMIT, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_FAILED, NULL, 0, reason));

  /* The whole ack: at most 2048 bytes, however large the buffer (two 1024-byte keys are more). */
  key[FF_ACK_MAX_KEY_LEN] = 0;
  keys[0] = key;
  keys[1] = key;
  CHECK_STATUS(FF_ERR_LIMIT, ff_ack(out, sizeof(out), &len, 1, 0, FF_ACK_REJECTED, keys, 2, NULL));
}

static void topic(void) {
  char out[64];
  CHECK(ff_ack_topic(out, sizeof(out), "flags/dev-1") == 15 && strcmp(out, "flags/dev-1/ack") == 0);
  CHECK(ff_ack_topic(out, 16, "flags/dev-1") == 15);
  CHECK(ff_ack_topic(out, 15, "flags/dev-1") == 0);
}

void ack_tests(const vectors *v) {
  ack_vectors(v);
  readme_example();
  bounds();
  topic();
  printf("%zu ack vectors\n", v->ack_count);
}
