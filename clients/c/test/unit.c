/* Hand-made payloads: what the README's device protocol says, limits, refusals, and the API. */
#include <stdio.h>
#include <string.h>

#include "suites.h"

static message m;
static device d, before;

static void start(void) {
  m.len = 0;
}

static ff_status apply(void) {
  return ff_apply(&d.state, m.bytes, m.len);
}

static const uint8_t ONE[] = {1};
static const uint8_t ZERO[] = {0};

static uint32_t bool_hash(const char *key, bool value) {
  return entry_hash_of(key, 'b', value ? ONE : ZERO, 1);
}

static uint32_t int_hash(const char *key, int64_t value) {
  uint8_t be[8];
  uint64_t bits;
  int i;
  memcpy(&bits, &value, sizeof(bits));
  for (i = 7; i >= 0; i--) {
    be[i] = (uint8_t)bits;
    bits >>= 8;
  }
  return entry_hash_of(key, 'i', be, 8);
}

static uint32_t string_hash(const char *key, const char *value) {
  return entry_hash_of(key, 's', value, strlen(value));
}

/* A snapshot of bool flags k0..k(n-1), all true. */
static void snapshot_of(size_t n, uint64_t revision) {
  uint32_t hash = 0;
  size_t i;
  char key[32];
  start();
  msg_revision(&m, revision);
  msg_snapshot(&m);
  for (i = 0; i < n; i++) {
    snprintf(key, sizeof(key), "k%zu", i);
    msg_flag_bool(&m, key, true);
    hash += bool_hash(key, true);
  }
  msg_hash(&m, hash);
}

static void readme_example(void) {
  /* The README's set {ota, level, mode} hashes to 83bc7269. */
  device_init(&d, TEST_CAPACITY);
  start();
  msg_revision(&m, 7);
  msg_snapshot(&m);
  msg_flag_bool(&m, "ota", true);
  msg_flag_int(&m, "level", 42);
  msg_flag_string(&m, "mode", "eco");
  msg_hash(&m, 0x83bc7269u);
  CHECK_STATUS(FF_OK, apply());
  CHECK(ff_state_hash(&d.state) == 0x83bc7269u);
  CHECK(ff_revision(&d.state) == 7);
  CHECK(ff_murmur3_32("hello", 5, 0) == 0x248bfa47u);
  CHECK(ff_murmur3_32("", 0, 0) == 0);
}

static void getters(void) {
  device_init(&d, TEST_CAPACITY);
  start();
  msg_revision(&m, 3);
  msg_snapshot(&m);
  msg_flag_bool(&m, "on", true);
  msg_flag_bool(&m, "off", false);
  msg_flag_int(&m, "n", -5);
  msg_flag_int(&m, "big", INT64_MIN);
  msg_flag_double(&m, "ratio", 0.25);
  msg_flag_string(&m, "mode", "\xc3\xa9" "co");
  msg_flag_json(&m, "cfg", "{\"a\":1}");
  msg_flag_string(&m, "\xe2\x9c\x93-key", "");
  msg_hash(&m, 0);
  CHECK_STATUS(FF_MISMATCH, apply()); /* the hash is not the set's: applied all the same */
  CHECK(ff_count(&d.state) == 8);
  CHECK(ff_get_bool(&d.state, "on", false) == true);
  CHECK(ff_get_bool(&d.state, "off", true) == false);
  CHECK(ff_get_int(&d.state, "n", 0) == -5);
  CHECK(ff_get_int(&d.state, "big", 0) == INT64_MIN);
  CHECK(ff_get_double(&d.state, "ratio", 0) == 0.25);
  CHECK(ff_get_double(&d.state, "n", 0) == -5.0); /* an int flag reads as a double */
  CHECK(strcmp(ff_get_string(&d.state, "mode", "x"), "\xc3\xa9" "co") == 0);
  CHECK(strcmp(ff_get_json(&d.state, "cfg", "{}"), "{\"a\":1}") == 0);
  CHECK(strcmp(ff_get_string(&d.state, "\xe2\x9c\x93-key", "x"), "") == 0);
  /* Missing, or of another type: the caller's default. */
  CHECK(ff_get_bool(&d.state, "missing", true) == true);
  CHECK(ff_get_bool(&d.state, "n", true) == true);
  CHECK(ff_get_int(&d.state, "ratio", 9) == 9);
  CHECK(ff_get_double(&d.state, "mode", 1.5) == 1.5);
  CHECK(strcmp(ff_get_string(&d.state, "cfg", "d"), "d") == 0);
  CHECK(strcmp(ff_get_json(&d.state, "mode", "{}"), "{}") == 0);
  CHECK(ff_get_string(&d.state, "missing", NULL) == NULL);
  CHECK(ff_find(&d.state, "on") != NULL && ff_flag_type(ff_find(&d.state, "on")) == FF_BOOL);
  CHECK(ff_find(&d.state, "o") == NULL);
  CHECK(ff_flag_at(&d.state, 8) == NULL);
  {
    size_t len = 99;
    CHECK(strcmp(ff_flag_text(ff_find(&d.state, "cfg"), &len), "{\"a\":1}") == 0 && len == 7);
    CHECK(strcmp(ff_flag_text(ff_find(&d.state, "on"), &len), "") == 0 && len == 0);
  }
}

/* --- changes ------------------------------------------------------------------------------ */

typedef struct seen {
  int added, changed, removed;
  char last_key[FF_MAX_KEY_LEN + 1];
} seen;

static void on_change(void *context, ff_change change, const ff_flag *flag) {
  seen *s = (seen *)context;
  if (change == FF_ADDED) {
    s->added++;
  } else if (change == FF_CHANGED) {
    s->changed++;
  } else {
    s->removed++;
  }
  memcpy(s->last_key, ff_flag_key(flag), ff_flag_key_len(flag) + 1);
}

static void changes_are_reported(void) {
  seen s;
  uint32_t hash = bool_hash("a", true) + int_hash("b", 1) + string_hash("c", "x");
  memset(&s, 0, sizeof(s));
  device_init(&d, TEST_CAPACITY);
  ff_on_change(&d.state, on_change, &s);
  start();
  msg_revision(&m, 1);
  msg_snapshot(&m);
  msg_flag_bool(&m, "a", true);
  msg_flag_int(&m, "b", 1);
  msg_flag_string(&m, "c", "x");
  msg_hash(&m, hash);
  CHECK_STATUS(FF_OK, apply());
  CHECK(s.added == 3 && s.changed == 0 && s.removed == 0);

  /* A delta: b changes, a is sent unchanged (no report), c goes, d comes. */
  memset(&s, 0, sizeof(s));
  hash = bool_hash("a", true) + int_hash("b", 2) + bool_hash("d", false);
  start();
  msg_revision(&m, 2);
  msg_flag_int(&m, "b", 2);
  msg_flag_bool(&m, "a", true);
  msg_flag_bool(&m, "d", false);
  msg_removed(&m, "c");
  msg_hash(&m, hash);
  CHECK_STATUS(FF_OK, apply());
  CHECK(s.added == 1 && s.changed == 1 && s.removed == 1);
  CHECK(ff_find(&d.state, "c") == NULL && ff_get_int(&d.state, "b", 0) == 2);

  /* A snapshot replaces: a stays, b changes, d goes, e comes. */
  memset(&s, 0, sizeof(s));
  hash = bool_hash("a", true) + int_hash("b", 3) + string_hash("e", "y");
  start();
  msg_revision(&m, 3);
  msg_snapshot(&m);
  msg_flag_string(&m, "e", "y");
  msg_flag_int(&m, "b", 3);
  msg_flag_bool(&m, "a", true);
  msg_hash(&m, hash);
  CHECK_STATUS(FF_OK, apply());
  CHECK(s.added == 1 && s.changed == 1 && s.removed == 1);
  CHECK(ff_count(&d.state) == 3 && ff_find(&d.state, "d") == NULL);

  /* A removed key the device does not hold changes nothing. */
  memset(&s, 0, sizeof(s));
  start();
  msg_revision(&m, 4);
  msg_removed(&m, "zz");
  msg_hash(&m, hash);
  CHECK_STATUS(FF_OK, apply());
  CHECK(s.added == 0 && s.changed == 0 && s.removed == 0);
  CHECK(ff_revision(&d.state) == 4);
}

/* --- confirmations, resync, mismatch --------------------------------------------------------- */

static void confirmations_and_resync(void) {
  uint32_t hash;
  char text[FF_HASH_TEXT_SIZE];
  device_init(&d, TEST_CAPACITY);
  CHECK(!ff_holds(&d.state));
  CHECK(!ff_presented_state(&d.state, text) && text[0] == 0);

  /* Zero bytes carry no state hash: refused as cut short, nothing held. */
  CHECK_STATUS(FF_ERR_MALFORMED, ff_apply(&d.state, NULL, 0));
  CHECK(!ff_holds(&d.state));

  /* The confirmation of an empty set at revision 0 carries its hash, 0. */
  start();
  msg_hash(&m, 0);
  CHECK_STATUS(FF_OK, apply());
  CHECK(ff_holds(&d.state) && ff_presented_state(&d.state, text) && strcmp(text, "00000000") == 0);

  snapshot_of(2, 10);
  CHECK_STATUS(FF_OK, apply());
  hash = ff_state_hash(&d.state);

  /* A confirmation with the set's hash. */
  start();
  msg_revision(&m, 11);
  msg_hash(&m, hash);
  CHECK_STATUS(FF_OK, apply());
  CHECK(ff_revision(&d.state) == 11 && ff_count(&d.state) == 2);

  /* One with another hash: the device diverged and asks for a resync. */
  device_copy(&before, &d);
  start();
  msg_revision(&m, 12);
  msg_hash(&m, hash + 1);
  CHECK_STATUS(FF_RESYNC, apply());
  CHECK(ff_reason(&d.state)[0] != 0);
  CHECK(ff_count(&d.state) == 2 && ff_state_hash(&d.state) == hash);
  /* What it presents is what it holds, not what it was told. */
  ff_presented_state(&d.state, text);
  {
    char want[FF_HASH_TEXT_SIZE];
    ff_hash_text(hash, want);
    CHECK(strcmp(text, want) == 0);
  }

  /* A delta whose result hashes otherwise: applied, resync. */
  start();
  msg_revision(&m, 13);
  msg_flag_bool(&m, "k0", false);
  msg_hash(&m, 12345);
  CHECK_STATUS(FF_RESYNC, apply());
  CHECK(ff_get_bool(&d.state, "k0", true) == false);

  /* The snapshot that follows repairs it. */
  snapshot_of(3, 14);
  CHECK_STATUS(FF_OK, apply());
  CHECK(ff_reason(&d.state)[0] == 0);
  CHECK(device_consistent(&d));
}

/* --- limits ------------------------------------------------------------------------------- */

static void refused_unchanged(ff_status expected) {
  device_copy(&before, &d);
  CHECK_STATUS(expected, apply());
  CHECK(device_same(&d, &before));
  CHECK(ff_reason(&d.state)[0] != 0);
}

static void limits(void) {
  char key[FF_MAX_KEY_LEN + 2];
  char value[FF_MAX_VALUE_LEN + 2];
  uint32_t hash;

  device_init(&d, 4);
  snapshot_of(3, 1);
  CHECK_STATUS(FF_OK, apply());

  /* A key or value at the limit fits; one byte more is refused, nothing changed. */
  memset(key, 'k', sizeof(key));
  key[FF_MAX_KEY_LEN] = 0;
  memset(value, 'v', sizeof(value));
  value[FF_MAX_VALUE_LEN] = 0;
  hash = ff_state_hash(&d.state) + string_hash(key, value);
  start();
  msg_revision(&m, 2);
  msg_flag_string(&m, key, value);
  msg_hash(&m, hash);
  device_copy(&before, &d);
  CHECK_STATUS(FF_OK, apply());
  CHECK(strcmp(ff_get_string(&d.state, key, ""), value) == 0);
  device_copy(&d, &before);

  key[FF_MAX_KEY_LEN] = 'k';
  key[FF_MAX_KEY_LEN + 1] = 0;
  start();
  msg_revision(&m, 2);
  msg_flag_bool(&m, key, true);
  refused_unchanged(FF_ERR_LIMIT);
  CHECK(strstr(ff_reason(&d.state), "FF_MAX_KEY_LEN") != NULL);

  value[FF_MAX_VALUE_LEN] = 'v';
  value[FF_MAX_VALUE_LEN + 1] = 0;
  start();
  msg_revision(&m, 2);
  msg_flag_bool(&m, "k0", false); /* applied first, and undone: all or nothing */
  msg_flag_json(&m, "j", value);
  refused_unchanged(FF_ERR_LIMIT);
  CHECK(strstr(ff_reason(&d.state), "FF_MAX_VALUE_LEN") != NULL);

  /* More flags than the storage holds. */
  snapshot_of(5, 3);
  refused_unchanged(FF_ERR_LIMIT);
  start();
  msg_revision(&m, 3);
  msg_flag_bool(&m, "n1", true);
  msg_flag_bool(&m, "n2", true);
  refused_unchanged(FF_ERR_LIMIT);
  /* The same key twice counts twice: refused rather than guessed. */
  start();
  msg_revision(&m, 3);
  msg_flag_bool(&m, "n1", true);
  msg_flag_bool(&m, "n1", false);
  refused_unchanged(FF_ERR_LIMIT);

  /* Full storage still takes a delta that removes as many as it adds, and changes. */
  snapshot_of(4, 4);
  CHECK_STATUS(FF_OK, apply());
  hash = ff_state_hash(&d.state) - bool_hash("k1", true) - bool_hash("k2", true) +
         bool_hash("new", true) - bool_hash("k0", true) + bool_hash("k0", false);
  start();
  msg_revision(&m, 5);
  msg_flag_bool(&m, "new", true);
  msg_flag_bool(&m, "k0", false);
  msg_removed(&m, "k1");
  msg_removed(&m, "k2");
  msg_removed(&m, "k1");
  msg_hash(&m, hash);
  CHECK_STATUS(FF_OK, apply());
  CHECK(ff_count(&d.state) == 3 && device_consistent(&d));
  /* A key both set and removed ends removed, as when flags are applied before removed keys. */
  hash = ff_state_hash(&d.state) - bool_hash("new", true);
  start();
  msg_revision(&m, 6);
  msg_flag_bool(&m, "new", false);
  msg_removed(&m, "new");
  msg_hash(&m, hash);
  CHECK_STATUS(FF_OK, apply());
  CHECK(ff_find(&d.state, "new") == NULL);
  /* A snapshot of exactly the capacity, none of them held: fits. */
  start();
  msg_revision(&m, 7);
  msg_snapshot(&m);
  msg_flag_int(&m, "x1", 1);
  msg_flag_int(&m, "x2", 2);
  msg_flag_int(&m, "x3", 3);
  msg_flag_int(&m, "x4", 4);
  msg_hash(&m, int_hash("x1", 1) + int_hash("x2", 2) + int_hash("x3", 3) + int_hash("x4", 4));
  CHECK_STATUS(FF_OK, apply());
  CHECK(ff_count(&d.state) == 4 && ff_get_int(&d.state, "x4", 0) == 4);
  /* A removed key longer than any key held is nothing to remove. */
  key[FF_MAX_KEY_LEN] = 'k';
  start();
  msg_revision(&m, 8);
  msg_removed(&m, key);
  msg_hash(&m, ff_state_hash(&d.state));
  CHECK_STATUS(FF_OK, apply());

  /* Storage compiled with other limits than the library is refused. */
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_init_limits(&d.state, d.slots, 4, FF_MAX_KEY_LEN + 1, FF_MAX_VALUE_LEN));
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_init_limits(&d.state, d.slots, 4, FF_MAX_KEY_LEN, FF_MAX_VALUE_LEN - 1));
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_init(&d.state, NULL, 4));
  CHECK_STATUS(FF_OK, ff_init(&d.state, NULL, 0));
  CHECK_STATUS(FF_ERR_ARGUMENT, ff_apply(&d.state, NULL, 3));
}

/* --- malformed --------------------------------------------------------------------------- */

static void malformed(void) {
  static message flag;
  device_init(&d, TEST_CAPACITY);
  snapshot_of(2, 1);
  CHECK_STATUS(FF_OK, apply());

  /* A flag without a value. */
  start();
  flag.len = 0;
  msg_bytes(&flag, 1, "k", 1);
  msg_flag_raw(&m, &flag);
  refused_unchanged(FF_ERR_MALFORMED);
  CHECK(strstr(ff_reason(&d.state), "no value") != NULL);

  /* A flag field of the wrong wire type (an int sent as fixed64). */
  start();
  flag.len = 0;
  msg_bytes(&flag, 1, "k", 1);
  msg_fixed64(&flag, 3, 7);
  msg_flag_raw(&m, &flag);
  refused_unchanged(FF_ERR_MALFORMED);

  /* flags and removed sent as scalars. */
  start();
  msg_tag(&m, 3, 0);
  msg_varint(&m, 8);
  refused_unchanged(FF_ERR_MALFORMED);
  start();
  msg_fixed64(&m, 3, 0x0101106b01010a00ull);
  refused_unchanged(FF_ERR_MALFORMED);
  start();
  msg_fixed32(&m, 4, 0x6b6b6b6bu);
  refused_unchanged(FF_ERR_MALFORMED);

  /* A top-level field of the wrong wire type, a group, a length past the end. */
  start();
  msg_fixed32(&m, 1, 5);
  refused_unchanged(FF_ERR_MALFORMED);
  start();
  msg_tag(&m, 9, 3);
  refused_unchanged(FF_ERR_MALFORMED);
  start();
  msg_tag(&m, 3, 2);
  msg_varint(&m, 100);
  msg_varint(&m, 1);
  refused_unchanged(FF_ERR_MALFORMED);
  start();
  flag.len = 0;
  msg_tag(&flag, 1, 2);
  msg_varint(&flag, 30);
  msg_flag_raw(&m, &flag);
  refused_unchanged(FF_ERR_MALFORMED);

  /* Unknown fields are skipped, in the update and in a flag; the variant name too. */
  start();
  msg_revision(&m, 2);
  msg_tag(&m, 15, 0);
  msg_varint(&m, 1);
  flag.len = 0;
  msg_bytes(&flag, 1, "v", 1);
  msg_bytes(&flag, 7, "on", 2);
  msg_tag(&flag, 2, 0);
  msg_varint(&flag, 1);
  msg_fixed32(&flag, 12, 1);
  msg_flag_raw(&m, &flag);
  msg_hash(&m, ff_state_hash(&d.state) + bool_hash("v", true));
  CHECK_STATUS(FF_OK, apply());

  /* The last value field wins (protobuf's oneof): a string, then a bool. */
  start();
  msg_revision(&m, 3);
  flag.len = 0;
  msg_bytes(&flag, 1, "v", 1);
  msg_bytes(&flag, 5, "long string value", 17);
  msg_tag(&flag, 2, 0);
  msg_varint(&flag, 0);
  msg_flag_raw(&m, &flag);
  msg_hash(&m, ff_state_hash(&d.state) - bool_hash("v", true) + bool_hash("v", false));
  CHECK_STATUS(FF_OK, apply());
  CHECK(ff_get_bool(&d.state, "v", true) == false && device_consistent(&d));
}

/* --- saving and restoring ----------------------------------------------------------------- */

static void saving(void) {
  static uint8_t saved[FF_SAVE_SIZE(4)];
  static device restored;
  char key[FF_MAX_KEY_LEN + 1];
  char value[FF_MAX_VALUE_LEN + 1];
  size_t len = 0, n, full = 0;
  seen s;
  uint32_t hash;

  /* A device holding something else, for the restore below. */
  device_init(&restored, 4);
  snapshot_of(2, 1);
  CHECK_STATUS(FF_OK, ff_apply(&restored.state, m.bytes, m.len));

  /* Storage full of the longest keys and values fits FF_SAVE_SIZE. */
  device_init(&d, 4);
  memset(key, 'k', sizeof(key));
  key[FF_MAX_KEY_LEN] = 0;
  memset(value, 'v', sizeof(value));
  value[FF_MAX_VALUE_LEN] = 0;
  start();
  msg_revision(&m, UINT64_MAX);
  msg_snapshot(&m);
  key[0] = 'a';
  msg_flag_json(&m, key, value);
  hash = entry_hash_of(key, 'j', value, strlen(value));
  key[0] = 'b';
  msg_flag_int(&m, key, INT64_MIN);
  hash += int_hash(key, INT64_MIN);
  key[0] = 'c';
  msg_flag_string(&m, key, value);
  hash += string_hash(key, value);
  key[0] = 'd';
  msg_flag_double(&m, key, -0.0);
  {
    uint8_t be[8] = {0x80, 0, 0, 0, 0, 0, 0, 0};
    hash += entry_hash_of(key, 'd', be, 8);
  }
  msg_hash(&m, hash);
  CHECK_STATUS(FF_OK, apply());
  CHECK_STATUS(FF_OK, ff_save(&d.state, saved, sizeof(saved), &full));
  CHECK(full <= FF_SAVE_SIZE(4));

  /* Every smaller buffer is refused. */
  for (n = 0; n < full; n++) {
    CHECK_STATUS(FF_ERR_BUFFER, ff_save(&d.state, saved, n, &len));
  }
  CHECK_STATUS(FF_OK, ff_save(&d.state, saved, full, &len));
  CHECK(len == full);

  /* Restored over what the other device held: the same set, revision and storage. */
  memset(&s, 0, sizeof(s));
  ff_on_change(&restored.state, on_change, &s);
  CHECK_STATUS(FF_OK, ff_restore(&restored.state, saved, len));
  CHECK(s.added == 4 && s.removed == 2);
  ff_on_change(&restored.state, NULL, NULL);
  CHECK(ff_count(&restored.state) == 4 && device_consistent(&restored));
  CHECK(ff_revision(&restored.state) == UINT64_MAX);
  CHECK(ff_state_hash(&restored.state) == hash);
  key[0] = 'b';
  CHECK(ff_get_int(&restored.state, key, 0) == INT64_MIN);
  key[0] = 'd';
  CHECK(ff_get_double(&restored.state, key, 1.0) == 0.0);

  /* A device that never held anything saves and restores as such, but holds a set after. */
  device_init(&d, 4);
  CHECK_STATUS(FF_OK, ff_save(&d.state, saved, sizeof(saved), &len));
  device_init(&restored, 4);
  CHECK_STATUS(FF_OK, ff_restore(&restored.state, saved, len));
  CHECK(ff_count(&restored.state) == 0 && ff_holds(&restored.state));

  /* Not a saved state, or one saved by storage larger than this. */
  CHECK_STATUS(FF_ERR_CORRUPT, ff_restore(&restored.state, (const uint8_t *)"FFS1", 4));
  CHECK_STATUS(FF_ERR_CORRUPT, ff_restore(&restored.state, (const uint8_t *)"nothing at all", 14));
  device_init(&d, 4);
  snapshot_of(4, 2);
  CHECK_STATUS(FF_OK, apply());
  CHECK_STATUS(FF_OK, ff_save(&d.state, saved, sizeof(saved), &len));
  device_init(&restored, 3);
  CHECK_STATUS(FF_ERR_LIMIT, ff_restore(&restored.state, saved, len));
  CHECK(ff_count(&restored.state) == 0 && !ff_holds(&restored.state));
}

/* --- topics ------------------------------------------------------------------------------- */

static void topics(void) {
  char out[64];
  CHECK(ff_flag_topic(out, sizeof(out), FF_DEFAULT_FLAG_TOPIC, "dev-1") == 11 &&
        strcmp(out, "flags/dev-1") == 0);
  CHECK(ff_flag_topic(out, sizeof(out), "fleet/{clientId}/flags", "d") == 13 &&
        strcmp(out, "fleet/d/flags") == 0);
  CHECK(ff_flag_topic(out, 12, FF_DEFAULT_FLAG_TOPIC, "dev-1") == 11);
  CHECK(ff_flag_topic(out, 11, FF_DEFAULT_FLAG_TOPIC, "dev-1") == 0);
  CHECK(ff_flag_topic(out, sizeof(out), "flags/all", "dev-1") == 0);
  CHECK(ff_resync_topic(out, sizeof(out), "flags/dev-1") == 18 && strcmp(out, "flags/dev-1/resync") == 0);
  CHECK(ff_resync_topic(out, 18, "flags/dev-1") == 0);
  {
    char text[FF_HASH_TEXT_SIZE];
    ff_hash_text(0x0badf00du, text);
    CHECK(strcmp(text, "0badf00d") == 0);
    ff_hash_text(0xffffffffu, text);
    CHECK(strcmp(text, "ffffffff") == 0);
  }
  CHECK(strcmp(ff_status_name(FF_RESYNC), "FF_RESYNC") == 0);
}

void unit_tests(const vectors *v) {
  (void)v;
  readme_example();
  getters();
  changes_are_reported();
  confirmations_and_resync();
  limits();
  malformed();
  saving();
  topics();
}
