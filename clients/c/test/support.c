#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int checks_failed;
int checks_passed;

void check(bool ok, const char *file, int line, const char *what) {
  if (ok) {
    checks_passed++;
  } else {
    checks_failed++;
    fprintf(stderr, "%s:%d: failed: %s\n", file, line, what);
  }
}

void check_status(ff_status expected, ff_status actual, const char *file, int line) {
  if (expected == actual) {
    checks_passed++;
  } else {
    checks_failed++;
    fprintf(stderr, "%s:%d: expected %s, got %s\n", file, line, ff_status_name(expected),
            ff_status_name(actual));
  }
}

/* --- devices ------------------------------------------------------------------------------ */

void device_init(device *d, size_t capacity) {
  ff_status status = ff_init(&d->state, d->slots, capacity);
  if (status != FF_OK) {
    fprintf(stderr, "ff_init: %s\n", ff_status_name(status));
    abort();
  }
}

void device_copy(device *to, const device *from) {
  memcpy(to, from, sizeof(*to));
  to->state.slots = to->slots;
}

bool device_same(const device *a, const device *b) {
  return a->state.count == b->state.count && a->state.capacity == b->state.capacity &&
         a->state.hash == b->state.hash && a->state.revision == b->state.revision &&
         a->state.holds == b->state.holds &&
         memcmp(a->slots, b->slots, sizeof(a->slots)) == 0;
}

bool device_consistent(const device *d) {
  const ff_state *s = &d->state;
  uint32_t sum = 0;
  size_t i, j;
  if (s->count > s->capacity) {
    return false;
  }
  for (i = 0; i < s->count; i++) {
    const ff_flag *f = &s->slots[i];
    if (f->type < FF_BOOL || f->type > FF_JSON || f->key_len > FF_MAX_KEY_LEN ||
        f->value_len > FF_MAX_VALUE_LEN || f->mark != 0 || f->key[f->key_len] != 0 ||
        f->entry_hash != ff_entry_hash(f)) {
      return false;
    }
    if ((f->type == FF_STRING || f->type == FF_JSON) && f->value[f->value_len] != 0) {
      return false;
    }
    for (j = 0; j < i; j++) {
      if (s->slots[j].key_len == f->key_len && memcmp(s->slots[j].key, f->key, f->key_len) == 0) {
        return false;
      }
    }
    sum += f->entry_hash;
  }
  for (i = s->count; i < s->capacity; i++) {
    if (s->slots[i].type != FF_NONE) {
      return false;
    }
  }
  return sum == s->hash && ff_state_hash(s) == s->hash;
}

/* --- vectors ------------------------------------------------------------------------------ */

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

/* Hex (or "-" for none) into out; false if malformed or longer than max. */
static bool unhex(const char *hex, uint8_t *out, size_t max, size_t *len) {
  size_t n = strlen(hex), i;
  if (strcmp(hex, "-") == 0) {
    *len = 0;
    return true;
  }
  if (n % 2 != 0 || n / 2 > max) {
    return false;
  }
  for (i = 0; i < n / 2; i++) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out[i] = (uint8_t)(hi * 16 + lo);
  }
  *len = n / 2;
  return true;
}

static bool hash_of(const char *hex, uint32_t *hash) {
  uint8_t b[4];
  size_t n;
  if (strlen(hex) != 8 || !unhex(hex, b, 4, &n)) {
    return false;
  }
  *hash = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
  return true;
}

/* Splits a line into words at single spaces; returns how many (at most max). */
static size_t words(char *line, char **word, size_t max) {
  size_t n = 0;
  char *p = strtok(line, " \r\n");
  while (p != NULL && n < max) {
    word[n++] = p;
    p = strtok(NULL, " \r\n");
  }
  return n;
}

/* Hex text as a NUL-terminated string of at most max bytes ("-": empty). */
static bool unhex_text(const char *hex, char *out, size_t max) {
  size_t len = 0;
  if (!unhex(hex, (uint8_t *)out, max, &len)) {
    return false;
  }
  out[len] = 0;
  return strlen(out) == len;
}

/* ack <name> <revision> <state hash> <status> <keys hex,hex,... or -> <reason hex> <FlagAck hex> */
static bool ack_line(ack_vector *a, char **w) {
  static const char *const STATUSES[] = {"", "APPLIED", "REJECTED", "FAILED"};
  char *key = w[5];
  int s;
  snprintf(a->name, sizeof(a->name), "%s", w[1]);
  a->revision = strtoull(w[2], NULL, 10);
  a->status = (ff_ack_status)0;
  for (s = 1; s <= 3; s++) {
    if (strcmp(w[4], STATUSES[s]) == 0) {
      a->status = (ff_ack_status)s;
    }
  }
  while (strcmp(w[5], "-") != 0 && key != NULL && a->key_count < FF_ACK_MAX_KEYS) {
    char *comma = strchr(key, ',');
    if (comma != NULL) {
      *comma = 0;
    }
    if (!unhex_text(key, a->keys[a->key_count++], FF_ACK_MAX_KEY_LEN)) {
      return false;
    }
    key = comma != NULL ? comma + 1 : NULL;
  }
  return a->status != 0 && hash_of(w[3], &a->hash) && unhex_text(w[6], a->reason, FF_ACK_MAX_REASON_LEN) &&
         unhex(w[7], a->payload, sizeof(a->payload), &a->payload_len);
}

static bool load_fail(const char *path, int line, const char *why) {
  fprintf(stderr, "%s:%d: %s\n", path, line, why);
  return false;
}

bool vectors_load(vectors *v, const char *path) {
  static char line[40000];
  FILE *in = fopen(path, "r");
  update_vector *u = NULL;
  int number = 0;
  memset(v, 0, sizeof(*v));
  if (in == NULL) {
    return load_fail(path, 0, "cannot open");
  }
  v->updates = calloc(256, sizeof(update_vector));
  v->entries = calloc(64, sizeof(entry_vector));
  v->murmurs = calloc(64, sizeof(murmur_vector));
  v->acks = calloc(64, sizeof(ack_vector));
  while (fgets(line, sizeof(line), in) != NULL) {
    char *w[8];
    size_t n;
    number++;
    if (line[0] == '#' || line[0] == '\n') {
      continue;
    }
    n = words(line, w, 8);
    if (n == 0) {
      continue;
    }
    if (strcmp(w[0], "murmur") == 0 && n == 3 && v->murmur_count < 64) {
      murmur_vector *m = &v->murmurs[v->murmur_count++];
      if (!unhex(w[1], m->data, sizeof(m->data), &m->len) || !hash_of(w[2], &m->hash)) {
        return load_fail(path, number, "bad murmur line");
      }
    } else if (strcmp(w[0], "entry") == 0 && n == 6 && v->entry_count < 64) {
      entry_vector *e = &v->entries[v->entry_count++];
      e->tag = w[2][0];
      if (!unhex(w[1], e->key, sizeof(e->key), &e->key_len) ||
          !unhex(w[3], e->value, sizeof(e->value), &e->value_len) ||
          !unhex(w[4], e->entry, sizeof(e->entry), &e->entry_len) || !hash_of(w[5], &e->hash)) {
        return load_fail(path, number, "bad entry line");
      }
    } else if (strcmp(w[0], "ack") == 0 && n == 8 && v->ack_count < 64) {
      if (!ack_line(&v->acks[v->ack_count++], w)) {
        return load_fail(path, number, "bad ack line");
      }
    } else if (strcmp(w[0], "update") == 0 && n == 3 && v->update_count < 256) {
      u = &v->updates[v->update_count++];
      snprintf(u->name, sizeof(u->name), "%s", w[1]);
      snprintf(u->from, sizeof(u->from), "%s", w[2]);
    } else if (u != NULL && strcmp(w[0], "payload") == 0 && n == 2) {
      if (!unhex(w[1], u->payload, sizeof(u->payload), &u->payload_len)) {
        return load_fail(path, number, "bad payload");
      }
    } else if (u != NULL && strcmp(w[0], "revision") == 0 && n == 2) {
      u->revision = strtoull(w[1], NULL, 10);
    } else if (u != NULL && strcmp(w[0], "flag") == 0 && n == 4 && u->flag_count < 64) {
      vector_flag *f = &u->flags[u->flag_count++];
      f->tag = w[2][0];
      if (!unhex(w[1], f->key, sizeof(f->key), &f->key_len) ||
          !unhex(w[3], f->value, sizeof(f->value), &f->value_len)) {
        return load_fail(path, number, "bad flag");
      }
    } else if (u != NULL && strcmp(w[0], "hash") == 0 && n == 2) {
      if (!hash_of(w[1], &u->hash)) {
        return load_fail(path, number, "bad hash");
      }
    } else if (u != NULL && strcmp(w[0], "end") == 0) {
      u = NULL;
    } else {
      return load_fail(path, number, "unknown line");
    }
  }
  fclose(in);
  if (v->update_count == 0 || v->entry_count == 0 || v->murmur_count == 0 || v->ack_count == 0) {
    return load_fail(path, number, "no update, entry, murmur or ack vectors");
  }
  return true;
}

void vectors_free(vectors *v) {
  free(v->updates);
  free(v->entries);
  free(v->murmurs);
  free(v->acks);
}

const update_vector *vectors_find(const vectors *v, const char *name) {
  size_t i;
  for (i = 0; i < v->update_count; i++) {
    if (strcmp(v->updates[i].name, name) == 0) {
      return &v->updates[i];
    }
  }
  return NULL;
}

bool vector_base(const vectors *v, const update_vector *u, device *d) {
  const update_vector *from;
  ff_status status;
  if (strcmp(u->from, "-") == 0) {
    device_init(d, TEST_CAPACITY);
    return true;
  }
  from = vectors_find(v, u->from);
  if (from == NULL || from == u || !vector_base(v, from, d)) {
    fprintf(stderr, "vector %s: no base %s\n", u->name, u->from);
    return false;
  }
  status = ff_apply(&d->state, from->payload, from->payload_len);
  if (status != FF_OK) {
    fprintf(stderr, "vector %s: its base %s gives %s (%s)\n", u->name, from->name,
            ff_status_name(status), ff_reason(&d->state));
    return false;
  }
  return true;
}

static const char TAG_OF[] = {0, 'b', 'i', 'd', 's', 'j'};

bool vector_holds(const update_vector *u, const device *d) {
  size_t i;
  if (ff_count(&d->state) != u->flag_count || ff_state_hash(&d->state) != u->hash ||
      ff_revision(&d->state) != u->revision) {
    return false;
  }
  for (i = 0; i < u->flag_count; i++) {
    const vector_flag *want = &u->flags[i];
    const ff_flag *f = NULL;
    size_t j;
    for (j = 0; j < ff_count(&d->state); j++) {
      const ff_flag *g = ff_flag_at(&d->state, j);
      if (ff_flag_key_len(g) == want->key_len && memcmp(ff_flag_key(g), want->key, want->key_len) == 0) {
        f = g;
      }
    }
    if (f == NULL || TAG_OF[ff_flag_type(f)] != want->tag || f->value_len != want->value_len ||
        memcmp(f->value, want->value, want->value_len) != 0) {
      return false;
    }
  }
  return true;
}

/* --- a protobuf writer --------------------------------------------------------------------- */

static void msg_put(message *m, const void *data, size_t len) {
  if (m->len + len > sizeof(m->bytes)) {
    fprintf(stderr, "test message too long\n");
    abort();
  }
  if (len > 0) {
    memcpy(m->bytes + m->len, data, len);
  }
  m->len += len;
}

void msg_varint(message *m, uint64_t v) {
  do {
    uint8_t b = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v != 0) {
      b |= 0x80;
    }
    msg_put(m, &b, 1);
  } while (v != 0);
}

void msg_tag(message *m, uint32_t field, uint32_t wire) {
  msg_varint(m, (uint64_t)field << 3 | wire);
}

void msg_bytes(message *m, uint32_t field, const void *data, size_t len) {
  msg_tag(m, field, 2);
  msg_varint(m, len);
  msg_put(m, data, len);
}

/* A fixed-width little-endian field: 4 bytes (wire type 5) or 8 (wire type 1). */
static void msg_fixed(message *m, uint32_t field, uint64_t v, size_t bytes) {
  uint8_t b[8];
  size_t i;
  for (i = 0; i < bytes; i++) {
    b[i] = (uint8_t)(v >> (8 * i));
  }
  msg_tag(m, field, bytes == 4 ? 5 : 1);
  msg_put(m, b, bytes);
}

void msg_fixed32(message *m, uint32_t field, uint32_t v) {
  msg_fixed(m, field, v, 4);
}

void msg_fixed64(message *m, uint32_t field, uint64_t v) {
  msg_fixed(m, field, v, 8);
}

void msg_revision(message *m, uint64_t revision) {
  msg_tag(m, 1, 0);
  msg_varint(m, revision);
}

void msg_snapshot(message *m) {
  msg_tag(m, 2, 0);
  msg_varint(m, 1);
}

void msg_hash(message *m, uint32_t hash) {
  msg_fixed32(m, 5, hash);
}

void msg_removed(message *m, const char *key) {
  msg_bytes(m, 4, key, strlen(key));
}

void msg_flag_raw(message *m, const message *flag) {
  msg_bytes(m, 3, flag->bytes, flag->len);
}

static void flag_key(message *f, const char *key) {
  f->len = 0;
  msg_bytes(f, 1, key, strlen(key));
}

void msg_flag_bool(message *m, const char *key, bool value) {
  static message f;
  flag_key(&f, key);
  msg_tag(&f, 2, 0);
  msg_varint(&f, value ? 1 : 0);
  msg_flag_raw(m, &f);
}

void msg_flag_int(message *m, const char *key, int64_t value) {
  static message f;
  uint64_t bits;
  memcpy(&bits, &value, sizeof(bits));
  flag_key(&f, key);
  msg_tag(&f, 3, 0);
  msg_varint(&f, (bits << 1) ^ (value < 0 ? ~(uint64_t)0 : 0));
  msg_flag_raw(m, &f);
}

void msg_flag_double(message *m, const char *key, double value) {
  static message f;
  uint64_t bits;
  memcpy(&bits, &value, sizeof(bits));
  flag_key(&f, key);
  msg_fixed64(&f, 4, bits);
  msg_flag_raw(m, &f);
}

void msg_flag_string(message *m, const char *key, const char *value) {
  static message f;
  flag_key(&f, key);
  msg_bytes(&f, 5, value, strlen(value));
  msg_flag_raw(m, &f);
}

void msg_flag_json(message *m, const char *key, const char *json) {
  static message f;
  flag_key(&f, key);
  msg_bytes(&f, 6, json, strlen(json));
  msg_flag_raw(m, &f);
}

uint32_t entry_hash_of(const char *key, char tag, const void *value, size_t len) {
  static uint8_t entry[8192];
  size_t k = strlen(key);
  memcpy(entry, key, k);
  entry[k] = 0;
  entry[k + 1] = (uint8_t)tag;
  memcpy(entry + k + 2, value, len);
  return ff_murmur3_32(entry, k + 2 + len, 0);
}
