/*
 * FleetFlags device library (see fleetflags.h and the README's "Device protocol").
 *
 * An update is all or nothing without a second copy of the set: it is decoded twice or more
 * from the caller's buffer. The first pass checks everything (decoding, limits, room for the
 * result) and writes nothing but transient marks; only then do the next passes apply it, and
 * they cannot fail, because they decode the same bytes.
 */
#include "fleetflags.h"

#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "fleetflags/v1/flag_ack.pb.h"
#include "fleetflags/v1/flag_update.pb.h"
#include "murmur3.h"

/* The value bytes of int and double flags (README "State hash"), and how doubles are read. */
typedef char ff_double_is_binary64[sizeof(double) == 8 ? 1 : -1];

enum { NUMBER_LEN = 8 };

/* Slot marks, set and cleared within one call. */
enum { MARK_NONE = 0, MARK_REMOVED = 1, MARK_STALE = 2 };

/* The README's entry tags, by ff_type. */
static const char TAGS[] = {0, 'b', 'i', 'd', 's', 'j'};

/* A saved state: this header, a FlagUpdate snapshot, and MurmurHash3 of both (little-endian). */
static const uint8_t SAVED_HEADER[4] = {'F', 'F', 'S', '1'};
enum { SAVED_HEADER_LEN = 4, CHECKSUM_LEN = 4 };

/* FlagUpdate and Flag field numbers and wire types (proto/fleetflags/v1/flag_update.proto). */
enum {
  FLAG_KEY = 1,
  FLAG_BOOL = 2,
  FLAG_INT = 3,
  FLAG_DOUBLE = 4,
  FLAG_STRING = 5,
  FLAG_JSON = 6
};

typedef enum pass {
  CHECK,     /* decode and check all; mark held keys the update removes */
  COUNT_NEW, /* count flags whose key is not held (or is removed): the room a delta needs */
  REMOVE,    /* remove the update's removed keys */
  SET        /* set the update's flags (in a snapshot, over what is marked stale) */
} pass;

/* One decoding pass over an update. */
typedef struct decoding {
  ff_state *state;
  pass pass;
  size_t entries;         /* flags in the update */
  size_t removed_entries; /* removed keys in the update */
  size_t removed_held;    /* distinct held keys it removes */
  size_t new_keys;        /* flags whose key is not held, or removed (COUNT_NEW) */
  uint32_t entries_hash;  /* the sum of its flags' entry hashes */
  const uint8_t *payload; /* the bytes decoded, [payload, payload_end) */
  const uint8_t *payload_end;
  ff_status error;        /* a refusal from a callback, with its reason */
  const char *reason;
} decoding;

static const char *const NO_REASON = "";

/* --- slots -------------------------------------------------------------------------------- */

static ff_flag *find(const ff_state *s, const char *key, size_t len) {
  size_t i;
  for (i = 0; i < s->count; i++) {
    ff_flag *f = &s->slots[i];
    if (f->key_len == len && memcmp(f->key, key, len) == 0) {
      return f;
    }
  }
  return NULL;
}

static void notify(const ff_state *s, ff_change change, const ff_flag *flag) {
  if (s->on_change != NULL) {
    s->on_change(s->change_context, change, flag);
  }
}

static bool same_value(const ff_flag *a, const ff_flag *b) {
  return a->type == b->type && a->value_len == b->value_len &&
         memcmp(a->value, b->value, a->value_len) == 0;
}

/* Removes slot i, moving the last one into its place: the set stays packed in [0, count). */
static void remove_at(ff_state *s, size_t i) {
  s->hash -= s->slots[i].entry_hash;
  s->count--;
  if (i != s->count) {
    s->slots[i] = s->slots[s->count];
  }
  memset(&s->slots[s->count], 0, sizeof(ff_flag));
}

static void clear_marks(ff_state *s) {
  size_t i;
  for (i = 0; i < s->count; i++) {
    s->slots[i].mark = MARK_NONE;
  }
}

/* --- values ------------------------------------------------------------------------------- */

static void put_be64(char *out, uint64_t v) {
  int i;
  for (i = NUMBER_LEN - 1; i >= 0; i--) {
    out[i] = (char)(uint8_t)(v & 0xffu);
    v >>= 8;
  }
}

static uint64_t get_be64(const char *in) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < NUMBER_LEN; i++) {
    v = (v << 8) | (uint8_t)in[i];
  }
  return v;
}

/* Two's complement bits as int64_t, without relying on the implementation-defined conversion. */
static int64_t to_int64(uint64_t u) {
  return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

uint32_t ff_entry_hash(const ff_flag *flag) {
  ff_murmur m;
  char zero_tag[2];
  zero_tag[0] = 0;
  zero_tag[1] = flag->type < sizeof(TAGS) ? TAGS[flag->type] : 0;
  ff_murmur_begin(&m, 0);
  ff_murmur_add(&m, flag->key, flag->key_len);
  ff_murmur_add(&m, zero_tag, sizeof(zero_tag));
  ff_murmur_add(&m, flag->value, flag->value_len);
  return ff_murmur_end(&m);
}

/* --- decoding ----------------------------------------------------------------------------- */

/* A callback's refusal: the update is refused with this status and reason. */
static bool refuse(decoding *d, pb_istream_t *in, ff_status status, const char *reason) {
  if (d->error == FF_OK) {
    d->error = status;
    d->reason = reason;
  }
  PB_RETURN_ERROR(in, reason);
}

/* A length-delimited field into buf (NUL-terminated), refused with `too_long` over max bytes. */
static bool read_text(pb_istream_t *in, decoding *d, char *buf, size_t max, size_t *len,
                      const char *too_long) {
  uint32_t n;
  if (!pb_decode_varint32(in, &n)) {
    return false;
  }
  if (n > in->bytes_left) {
    PB_RETURN_ERROR(in, "a length-delimited field runs past the end of its message");
  }
  if (n > max) {
    return refuse(d, in, FF_ERR_LIMIT, too_long);
  }
  if (!pb_read(in, (pb_byte_t *)buf, n)) {
    return false;
  }
  buf[n] = 0;
  *len = n;
  return true;
}

/*
 * One Flag message, decoded by hand with nanopb's stream functions (see flag_update.options): its
 * key and its value as the state hash encodes it. As protobuf has it, the last of the value
 * fields wins; the variant name and unknown fields are skipped.
 */
static bool decode_flag(pb_istream_t *in, decoding *d, ff_flag *f) {
  memset(f, 0, sizeof(*f));
  while (in->bytes_left > 0) {
    pb_wire_type_t wire;
    uint32_t field;
    bool eof;
    size_t len = 0;
    if (!pb_decode_tag(in, &wire, &field, &eof)) {
      return false;
    }
    if (field >= FLAG_KEY && field <= FLAG_JSON) {
      static const pb_wire_type_t WIRE[] = {PB_WT_STRING, PB_WT_VARINT, PB_WT_VARINT,
                                            PB_WT_64BIT,  PB_WT_STRING, PB_WT_STRING};
      if (wire != WIRE[field - FLAG_KEY]) {
        PB_RETURN_ERROR(in, "a flag field has the wrong wire type");
      }
    }
    switch (field) {
      case FLAG_KEY:
        if (!read_text(in, d, f->key, FF_MAX_KEY_LEN, &len, "a flag key is longer than FF_MAX_KEY_LEN")) {
          return false;
        }
        f->key_len = (uint8_t)len;
        break;
      case FLAG_BOOL: {
        bool b;
        if (!pb_decode_bool(in, &b)) {
          return false;
        }
        f->type = FF_BOOL;
        f->value[0] = b ? 1 : 0;
        f->value_len = 1;
        break;
      }
      case FLAG_INT: {
        int64_t v;
        if (!pb_decode_svarint(in, &v)) {
          return false;
        }
        f->type = FF_INT;
        put_be64(f->value, (uint64_t)v);
        f->value_len = NUMBER_LEN;
        break;
      }
      case FLAG_DOUBLE: {
        uint64_t bits; /* the IEEE 754 bits as sent, whatever this CPU's doubles */
        if (!pb_decode_fixed64(in, &bits)) {
          return false;
        }
        f->type = FF_DOUBLE;
        put_be64(f->value, bits);
        f->value_len = NUMBER_LEN;
        break;
      }
      case FLAG_STRING:
      case FLAG_JSON:
        if (!read_text(in, d, f->value, FF_MAX_VALUE_LEN, &len,
                       "a string or json value is longer than FF_MAX_VALUE_LEN")) {
          return false;
        }
        f->type = field == FLAG_STRING ? FF_STRING : FF_JSON;
        f->value_len = (uint16_t)len;
        break;
      default:
        if (!pb_skip_field(in, wire)) {
          return false;
        }
    }
  }
  if (f->type == FF_NONE) {
    PB_RETURN_ERROR(in, "a flag has no value");
  }
  /* A key or value that came earlier may have left bytes past this one's end. */
  memset(f->key + f->key_len, 0, sizeof(f->key) - f->key_len);
  memset(f->value + f->value_len, 0, sizeof(f->value) - f->value_len);
  f->entry_hash = ff_entry_hash(f);
  return true;
}

/* Sets one flag of the update (SET pass). */
static bool set_flag(decoding *d, pb_istream_t *in, const ff_flag *f) {
  ff_state *s = d->state;
  ff_flag *slot = find(s, f->key, f->key_len);
  if (slot != NULL) {
    bool same = same_value(slot, f);
    s->hash += f->entry_hash - slot->entry_hash;
    *slot = *f;
    if (!same) {
      notify(s, FF_CHANGED, slot);
    }
    return true;
  }
  if (s->count < s->capacity) {
    slot = &s->slots[s->count++];
  } else {
    /* Only in a snapshot (the check pass made sure): take the place of a flag it leaves out. */
    size_t i;
    for (i = 0; i < s->count && s->slots[i].mark != MARK_STALE; i++) {
    }
    if (i == s->count) {
      return refuse(d, in, FF_ERR_LIMIT, "internal: no room while applying a checked update");
    }
    slot = &s->slots[i];
    notify(s, FF_REMOVED, slot);
    s->hash -= slot->entry_hash;
  }
  *slot = *f;
  s->hash += f->entry_hash;
  notify(s, FF_ADDED, slot);
  return true;
}

/*
 * Whether a callback reads a length-delimited field of the payload. nanopb hands a callback the
 * value of a field sent with a scalar wire type too, copied to its own stack: that is neither a
 * Flag nor a key (protobuf would skip it as an unknown field; the update is refused instead).
 */
static bool in_payload(const decoding *d, const pb_istream_t *in) {
  uintptr_t at = (uintptr_t)in->state;
  return at >= (uintptr_t)d->payload && at <= (uintptr_t)d->payload_end;
}

static bool on_flag(pb_istream_t *in, const pb_field_t *field, void **arg) {
  decoding *d = (decoding *)*arg;
  ff_flag f;
  (void)field;
  if (!in_payload(d, in)) {
    PB_RETURN_ERROR(in, "flags has the wrong wire type");
  }
  if (!decode_flag(in, d, &f)) {
    return false;
  }
  switch (d->pass) {
    case CHECK:
      d->entries++;
      d->entries_hash += f.entry_hash;
      return true;
    case COUNT_NEW: {
      const ff_flag *held = find(d->state, f.key, f.key_len);
      if (held == NULL || held->mark == MARK_REMOVED) {
        d->new_keys++;
      }
      return true;
    }
    case SET:
      return set_flag(d, in, &f);
    case REMOVE:
      break;
  }
  return true;
}

static bool on_removed(pb_istream_t *in, const pb_field_t *field, void **arg) {
  decoding *d = (decoding *)*arg;
  char key[FF_MAX_KEY_LEN];
  size_t len = in->bytes_left;
  ff_flag *held;
  (void)field;
  if (!in_payload(d, in)) {
    PB_RETURN_ERROR(in, "removed has the wrong wire type");
  }
  if (len > FF_MAX_KEY_LEN) {
    return pb_read(in, NULL, len); /* longer than any key the device can hold */
  }
  if (!pb_read(in, (pb_byte_t *)key, len)) {
    return false;
  }
  held = find(d->state, key, len);
  if (d->pass == CHECK) {
    d->removed_entries++;
    if (held != NULL && held->mark != MARK_REMOVED) {
      held->mark = MARK_REMOVED;
      d->removed_held++;
    }
  } else if (d->pass == REMOVE && held != NULL) {
    notify(d->state, FF_REMOVED, held);
    remove_at(d->state, (size_t)(held - d->state->slots));
  }
  return true;
}

/* Decodes the whole update once, in one pass, with the callbacks that pass needs. */
static ff_status run(decoding *d, pass p, const uint8_t *payload, size_t len,
                     fleetflags_v1_FlagUpdate *msg) {
  pb_istream_t in = pb_istream_from_buffer(payload, len);
  fleetflags_v1_FlagUpdate zero = fleetflags_v1_FlagUpdate_init_zero;
  *msg = zero;
  d->pass = p;
  d->payload = payload;
  d->payload_end = payload + len;
  if (p != REMOVE) {
    msg->flags.funcs.decode = on_flag;
    msg->flags.arg = d;
  }
  if (p == CHECK || p == REMOVE) {
    msg->removed.funcs.decode = on_removed;
    msg->removed.arg = d;
  }
  if (pb_decode(&in, fleetflags_v1_FlagUpdate_fields, msg)) {
    return FF_OK;
  }
  if (d->error != FF_OK) {
    d->state->reason = d->reason;
    return d->error;
  }
  d->state->reason = PB_GET_ERROR(&in);
  return FF_ERR_MALFORMED;
}

/* The check pass, and the count of new keys where room is short: nothing is changed. */
static ff_status check(decoding *d, const uint8_t *payload, size_t len, fleetflags_v1_FlagUpdate *msg) {
  ff_state *s = d->state;
  ff_status status = run(d, CHECK, payload, len, msg);
  if (status == FF_OK) {
    if (msg->snapshot) {
      if (d->entries > s->capacity) {
        s->reason = "the snapshot has more flags than the storage holds";
        status = FF_ERR_LIMIT;
      }
    } else if (s->count - d->removed_held + d->entries > s->capacity) {
      fleetflags_v1_FlagUpdate again;
      status = run(d, COUNT_NEW, payload, len, &again);
      if (status == FF_OK && s->count - d->removed_held + d->new_keys > s->capacity) {
        s->reason = "the delta adds more flags than the storage holds";
        status = FF_ERR_LIMIT;
      }
    }
  }
  clear_marks(s);
  return status;
}

/*
 * Applies a checked update. A delta removes first, so that it has room for what it sets, then
 * sets, then removes again: a key both set and removed ends removed (as the flags are applied
 * before the removed keys, the order the README gives). A snapshot sets over the flags it
 * holds, marked stale, and then drops those it did not set.
 */
static ff_status apply_checked(decoding *d, const uint8_t *payload, size_t len, bool snapshot) {
  ff_state *s = d->state;
  fleetflags_v1_FlagUpdate msg;
  ff_status status = FF_OK;
  size_t i;
  if (snapshot) {
    for (i = 0; i < s->count; i++) {
      s->slots[i].mark = MARK_STALE;
    }
  } else if (d->removed_entries > 0) {
    status = run(d, REMOVE, payload, len, &msg);
  }
  if (status == FF_OK && d->entries > 0) {
    status = run(d, SET, payload, len, &msg);
  }
  if (snapshot) {
    for (i = 0; i < s->count;) {
      if (s->slots[i].mark == MARK_STALE) {
        notify(s, FF_REMOVED, &s->slots[i]);
        remove_at(s, i);
      } else {
        i++;
      }
    }
  }
  if (status == FF_OK && d->removed_entries > 0) {
    status = run(d, REMOVE, payload, len, &msg);
  }
  clear_marks(s);
  return status;
}

ff_status ff_apply(ff_state *s, const uint8_t *payload, size_t len) {
  static const uint8_t EMPTY[1] = {0};
  decoding d;
  fleetflags_v1_FlagUpdate msg;
  ff_status status;
  if (s == NULL || (payload == NULL && len > 0)) {
    return FF_ERR_ARGUMENT;
  }
  if (payload == NULL) {
    payload = EMPTY; /* zero bytes: refused below, as it has no state hash */
  }
  memset(&d, 0, sizeof(d));
  d.state = s;
  status = check(&d, payload, len, &msg);
  if (status != FF_OK) {
    return status;
  }
  if (!msg.has_state_hash) {
    /* Every update carries its state hash, last on the wire: without it, it was cut short. */
    s->reason = "the update has no state_hash: it was cut short";
    return FF_ERR_MALFORMED;
  }
  status = apply_checked(&d, payload, len, msg.snapshot);
  s->revision = msg.revision;
  s->holds = true;
  if (status != FF_OK) {
    return FF_RESYNC; /* cannot happen: the same bytes passed the check; a snapshot repairs it */
  }
  if (s->hash == msg.state_hash) {
    s->reason = NO_REASON;
    return FF_OK;
  }
  if (msg.snapshot) {
    s->reason = "the snapshot's flags do not hash to its state hash";
    return FF_MISMATCH;
  }
  s->reason = "the flags after this update do not hash to its state hash";
  return FF_RESYNC;
}

/* --- state -------------------------------------------------------------------------------- */

ff_status ff_init_limits(ff_state *s, ff_flag *slots, size_t capacity, size_t max_key_len,
                         size_t max_value_len) {
  if (s == NULL || (slots == NULL && capacity > 0)) {
    return FF_ERR_ARGUMENT;
  }
  memset(s, 0, sizeof(*s));
  if (max_key_len != FF_MAX_KEY_LEN || max_value_len != FF_MAX_VALUE_LEN) {
    s->reason = "the storage was compiled with other FF_MAX_KEY_LEN or FF_MAX_VALUE_LEN than the library";
    return FF_ERR_ARGUMENT;
  }
  if (capacity > 0) {
    memset(slots, 0, capacity * sizeof(ff_flag));
  }
  s->slots = slots;
  s->capacity = capacity;
  s->reason = NO_REASON;
  return FF_OK;
}

void ff_on_change(ff_state *s, ff_change_fn fn, void *context) {
  s->on_change = fn;
  s->change_context = context;
}

const char *ff_reason(const ff_state *s) {
  return s->reason != NULL ? s->reason : NO_REASON;
}

const char *ff_status_name(ff_status status) {
  switch (status) {
    case FF_OK:
      return "FF_OK";
    case FF_RESYNC:
      return "FF_RESYNC";
    case FF_MISMATCH:
      return "FF_MISMATCH";
    case FF_ERR_MALFORMED:
      return "FF_ERR_MALFORMED";
    case FF_ERR_LIMIT:
      return "FF_ERR_LIMIT";
    case FF_ERR_CORRUPT:
      return "FF_ERR_CORRUPT";
    case FF_ERR_BUFFER:
      return "FF_ERR_BUFFER";
    case FF_ERR_ARGUMENT:
      return "FF_ERR_ARGUMENT";
  }
  return "?";
}

size_t ff_count(const ff_state *s) {
  return s->count;
}

const ff_flag *ff_flag_at(const ff_state *s, size_t i) {
  return i < s->count ? &s->slots[i] : NULL;
}

const ff_flag *ff_find(const ff_state *s, const char *key) {
  return key != NULL ? find(s, key, strlen(key)) : NULL;
}

uint32_t ff_state_hash(const ff_state *s) {
  return s->hash;
}

uint64_t ff_revision(const ff_state *s) {
  return s->revision;
}

bool ff_holds(const ff_state *s) {
  return s->holds;
}

/* --- getters ------------------------------------------------------------------------------ */

const char *ff_flag_key(const ff_flag *f) {
  return f->key;
}

size_t ff_flag_key_len(const ff_flag *f) {
  return f->key_len;
}

ff_type ff_flag_type(const ff_flag *f) {
  return (ff_type)f->type;
}

bool ff_flag_bool(const ff_flag *f) {
  return f->type == FF_BOOL && f->value[0] != 0;
}

int64_t ff_flag_int(const ff_flag *f) {
  return f->type == FF_INT ? to_int64(get_be64(f->value)) : 0;
}

double ff_flag_double(const ff_flag *f) {
  if (f->type == FF_DOUBLE) {
    uint64_t bits = get_be64(f->value);
    double v;
    memcpy(&v, &bits, sizeof(v));
    return v;
  }
  return f->type == FF_INT ? (double)ff_flag_int(f) : 0.0;
}

const char *ff_flag_text(const ff_flag *f, size_t *len) {
  bool text = f->type == FF_STRING || f->type == FF_JSON;
  if (len != NULL) {
    *len = text ? f->value_len : 0;
  }
  return text ? f->value : "";
}

bool ff_get_bool(const ff_state *s, const char *key, bool fallback) {
  const ff_flag *f = ff_find(s, key);
  return f != NULL && f->type == FF_BOOL ? ff_flag_bool(f) : fallback;
}

int64_t ff_get_int(const ff_state *s, const char *key, int64_t fallback) {
  const ff_flag *f = ff_find(s, key);
  return f != NULL && f->type == FF_INT ? ff_flag_int(f) : fallback;
}

double ff_get_double(const ff_state *s, const char *key, double fallback) {
  const ff_flag *f = ff_find(s, key);
  return f != NULL && (f->type == FF_DOUBLE || f->type == FF_INT) ? ff_flag_double(f) : fallback;
}

const char *ff_get_string(const ff_state *s, const char *key, const char *fallback) {
  const ff_flag *f = ff_find(s, key);
  return f != NULL && f->type == FF_STRING ? f->value : fallback;
}

const char *ff_get_json(const ff_state *s, const char *key, const char *fallback) {
  const ff_flag *f = ff_find(s, key);
  return f != NULL && f->type == FF_JSON ? f->value : fallback;
}

/* --- hash text and topics ------------------------------------------------------------------ */

void ff_hash_text(uint32_t hash, char text[FF_HASH_TEXT_SIZE]) {
  static const char HEX[] = "0123456789abcdef";
  int i;
  for (i = 7; i >= 0; i--) {
    text[i] = HEX[hash & 0xfu];
    hash >>= 4;
  }
  text[8] = 0;
}

bool ff_presented_state(const ff_state *s, char text[FF_HASH_TEXT_SIZE]) {
  if (!s->holds) {
    text[0] = 0;
    return false;
  }
  ff_hash_text(s->hash, text);
  return true;
}

size_t ff_flag_topic(char *out, size_t size, const char *topic_template, const char *client_id) {
  static const char PLACEHOLDER[] = "{clientId}";
  const char *at = strstr(topic_template, PLACEHOLDER);
  size_t before, id, after;
  if (at == NULL) {
    return 0;
  }
  before = (size_t)(at - topic_template);
  id = strlen(client_id);
  after = strlen(at + sizeof(PLACEHOLDER) - 1);
  if (before + id + after >= size) {
    return 0;
  }
  memcpy(out, topic_template, before);
  memcpy(out + before, client_id, id);
  memcpy(out + before + id, at + sizeof(PLACEHOLDER) - 1, after + 1);
  return before + id + after;
}

/* A topic below the flag topic: "<flag topic><suffix>". Length, or 0 if it does not fit. */
static size_t below(char *out, size_t size, const char *flag_topic, const char *suffix) {
  size_t len = strlen(flag_topic);
  size_t more = strlen(suffix);
  if (len + more >= size) {
    return 0;
  }
  memcpy(out, flag_topic, len);
  memcpy(out + len, suffix, more + 1);
  return len + more;
}

size_t ff_resync_topic(char *out, size_t size, const char *flag_topic) {
  return below(out, size, flag_topic, "/resync");
}

size_t ff_ack_topic(char *out, size_t size, const char *flag_topic) {
  return below(out, size, flag_topic, "/ack");
}

/* --- acknowledgements ----------------------------------------------------------------------- */

/* What the ack's string callbacks write: the caller's keys and reason, checked before. */
typedef struct ack_text {
  const char *const *keys;
  size_t key_count;
  const char *reason;
} ack_text;

static bool put_keys(pb_ostream_t *out, const pb_field_t *field, void *const *arg) {
  const ack_text *t = (const ack_text *)*arg;
  size_t i;
  for (i = 0; i < t->key_count; i++) {
    if (!pb_encode_tag_for_field(out, field) ||
        !pb_encode_string(out, (const pb_byte_t *)t->keys[i], strlen(t->keys[i]))) {
      return false;
    }
  }
  return true;
}

static bool put_reason(pb_ostream_t *out, const pb_field_t *field, void *const *arg) {
  const ack_text *t = (const ack_text *)*arg;
  /* proto3 leaves an empty string out, as the broker's encoder does */
  return t->reason[0] == 0 ||
         (pb_encode_tag_for_field(out, field) &&
          pb_encode_string(out, (const pb_byte_t *)t->reason, strlen(t->reason)));
}

/* Whether text is UTF-8 (no overlong forms, surrogates or code points past U+10FFFF) within max bytes. */
static bool utf8_within(const char *text, size_t max, size_t *len) {
  const uint8_t *p = (const uint8_t *)text;
  size_t n = 0;
  while (p[n] != 0) {
    uint8_t b = p[n];
    size_t more = b < 0x80u ? 0 : b >= 0xc2u && b <= 0xdfu ? 1 : b >= 0xe0u && b <= 0xefu ? 2 : b >= 0xf0u && b <= 0xf4u ? 3 : 4;
    size_t i;
    if (more == 4) {
      return false;
    }
    for (i = 1; i <= more; i++) {
      if ((p[n + i] & 0xc0u) != 0x80u) {
        return false;
      }
    }
    if ((b == 0xe0u && p[n + 1] < 0xa0u) || (b == 0xedu && p[n + 1] >= 0xa0u) ||
        (b == 0xf0u && p[n + 1] < 0x90u) || (b == 0xf4u && p[n + 1] >= 0x90u)) {
      return false;
    }
    n += more + 1;
    if (n > max) {
      *len = n;
      return true; /* over its bound: the caller says so */
    }
  }
  *len = n;
  return true;
}

ff_status ff_ack(uint8_t *out, size_t size, size_t *len, uint64_t revision, uint32_t state_hash,
                 ff_ack_status status, const char *const *rejected_keys, size_t key_count,
                 const char *reason) {
  fleetflags_v1_FlagAck ack = fleetflags_v1_FlagAck_init_zero;
  ack_text text;
  pb_ostream_t stream;
  size_t i, n, encoded = 0;
  if (out == NULL || len == NULL || revision == 0 ||
      (status != FF_ACK_APPLIED && status != FF_ACK_REJECTED && status != FF_ACK_FAILED) ||
      (key_count > 0 && (status != FF_ACK_REJECTED || rejected_keys == NULL))) {
    return FF_ERR_ARGUMENT;
  }
  if (key_count > FF_ACK_MAX_KEYS) {
    return FF_ERR_LIMIT;
  }
  for (i = 0; i < key_count; i++) {
    if (rejected_keys[i] == NULL || !utf8_within(rejected_keys[i], FF_ACK_MAX_KEY_LEN, &n)) {
      return FF_ERR_ARGUMENT;
    }
    if (n == 0 || n > FF_ACK_MAX_KEY_LEN) {
      return FF_ERR_LIMIT;
    }
  }
  text.keys = rejected_keys;
  text.key_count = key_count;
  text.reason = reason != NULL ? reason : "";
  if (!utf8_within(text.reason, FF_ACK_MAX_REASON_LEN, &n)) {
    return FF_ERR_ARGUMENT;
  }
  if (n > FF_ACK_MAX_REASON_LEN) {
    return FF_ERR_LIMIT;
  }
  ack.revision = revision;
  ack.has_state_hash = true;
  ack.state_hash = state_hash;
  ack.status = (fleetflags_v1_FlagAck_Status)status;
  ack.rejected_keys.funcs.encode = put_keys;
  ack.rejected_keys.arg = &text;
  ack.reason.funcs.encode = put_reason;
  ack.reason.arg = &text;
  if (!pb_get_encoded_size(&encoded, fleetflags_v1_FlagAck_fields, &ack)) {
    return FF_ERR_ARGUMENT; /* cannot happen: nothing here fails to size */
  }
  if (encoded > FF_ACK_MAX_SIZE) {
    return FF_ERR_LIMIT;
  }
  if (encoded > size) {
    return FF_ERR_BUFFER;
  }
  stream = pb_ostream_from_buffer(out, size);
  if (!pb_encode(&stream, fleetflags_v1_FlagAck_fields, &ack)) {
    return FF_ERR_BUFFER;
  }
  *len = stream.bytes_written;
  return FF_OK;
}

ff_status ff_ack_applied(const ff_state *s, uint8_t *out, size_t size, size_t *len) {
  if (s == NULL || !s->holds || s->revision == 0) {
    return FF_ERR_ARGUMENT;
  }
  return ff_ack(out, size, len, s->revision, s->hash, FF_ACK_APPLIED, NULL, 0, NULL);
}

/* --- saving and restoring ------------------------------------------------------------------- */

/* Protobuf written by hand: the few field kinds a snapshot needs, into a bounded buffer. */
typedef struct writer {
  uint8_t *at;
  size_t left;
  bool ok;
} writer;

static void put(writer *w, const void *bytes, size_t n) {
  if (!w->ok || n > w->left) {
    w->ok = false;
    return;
  }
  if (n > 0) {
    memcpy(w->at, bytes, n);
  }
  w->at += n;
  w->left -= n;
}

static size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80u) {
    v >>= 7;
    n++;
  }
  return n;
}

static void put_varint(writer *w, uint64_t v) {
  uint8_t b[10];
  size_t n = 0;
  do {
    b[n] = (uint8_t)(v & 0x7fu);
    v >>= 7;
    if (v != 0) {
      b[n] |= 0x80u;
    }
    n++;
  } while (v != 0);
  put(w, b, n);
}

static void put_tag(writer *w, uint32_t field, pb_wire_type_t wire) {
  put_varint(w, ((uint64_t)field << 3) | (uint64_t)wire);
}

static void put_le(writer *w, uint64_t v, size_t n) {
  uint8_t b[8];
  size_t i;
  for (i = 0; i < n; i++) {
    b[i] = (uint8_t)(v >> (8 * i));
  }
  put(w, b, n);
}

static uint64_t zigzag(uint64_t bits) {
  return (bits << 1) ^ ((bits >> 63) != 0 ? ~(uint64_t)0 : 0);
}

/* A Flag message's length, and the message itself. */
static size_t flag_len(const ff_flag *f) {
  size_t n = 1 + varint_len(f->key_len) + f->key_len;
  switch (f->type) {
    case FF_BOOL:
      return n + 2;
    case FF_INT:
      return n + 1 + varint_len(zigzag(get_be64(f->value)));
    case FF_DOUBLE:
      return n + 1 + NUMBER_LEN;
    default:
      return n + 1 + varint_len(f->value_len) + f->value_len;
  }
}

static void put_flag(writer *w, const ff_flag *f) {
  put_tag(w, FLAG_KEY, PB_WT_STRING);
  put_varint(w, f->key_len);
  put(w, f->key, f->key_len);
  switch (f->type) {
    case FF_BOOL:
      put_tag(w, FLAG_BOOL, PB_WT_VARINT);
      put_varint(w, f->value[0] != 0 ? 1 : 0);
      break;
    case FF_INT:
      put_tag(w, FLAG_INT, PB_WT_VARINT);
      put_varint(w, zigzag(get_be64(f->value)));
      break;
    case FF_DOUBLE:
      put_tag(w, FLAG_DOUBLE, PB_WT_64BIT);
      put_le(w, get_be64(f->value), NUMBER_LEN);
      break;
    default:
      put_tag(w, f->type == FF_STRING ? FLAG_STRING : FLAG_JSON, PB_WT_STRING);
      put_varint(w, f->value_len);
      put(w, f->value, f->value_len);
  }
}

ff_status ff_save(const ff_state *s, uint8_t *out, size_t size, size_t *len) {
  writer w;
  size_t i;
  if (s == NULL || out == NULL || len == NULL) {
    return FF_ERR_ARGUMENT;
  }
  w.at = out;
  w.left = size;
  w.ok = true;
  put(&w, SAVED_HEADER, SAVED_HEADER_LEN);
  put_tag(&w, fleetflags_v1_FlagUpdate_revision_tag, PB_WT_VARINT);
  put_varint(&w, s->revision);
  put_tag(&w, fleetflags_v1_FlagUpdate_snapshot_tag, PB_WT_VARINT);
  put_varint(&w, 1);
  for (i = 0; i < s->count; i++) {
    put_tag(&w, fleetflags_v1_FlagUpdate_flags_tag, PB_WT_STRING);
    put_varint(&w, flag_len(&s->slots[i]));
    put_flag(&w, &s->slots[i]);
  }
  put_tag(&w, fleetflags_v1_FlagUpdate_state_hash_tag, PB_WT_32BIT);
  put_le(&w, s->hash, 4);
  if (w.ok) {
    put_le(&w, ff_murmur3_32(out, (size_t)(w.at - out), 0), CHECKSUM_LEN);
  }
  if (!w.ok) {
    return FF_ERR_BUFFER;
  }
  *len = (size_t)(w.at - out);
  return FF_OK;
}

ff_status ff_restore(ff_state *s, const uint8_t *saved, size_t len) {
  decoding d;
  fleetflags_v1_FlagUpdate msg;
  ff_status status;
  const uint8_t *payload;
  size_t payload_len;
  uint32_t checksum;
  if (s == NULL || (saved == NULL && len > 0)) {
    return FF_ERR_ARGUMENT;
  }
  if (len < SAVED_HEADER_LEN + CHECKSUM_LEN || memcmp(saved, SAVED_HEADER, SAVED_HEADER_LEN) != 0) {
    s->reason = "not a saved FleetFlags state (FFS1)";
    return FF_ERR_CORRUPT;
  }
  checksum = (uint32_t)saved[len - 4] | (uint32_t)saved[len - 3] << 8 |
             (uint32_t)saved[len - 2] << 16 | (uint32_t)saved[len - 1] << 24;
  if (ff_murmur3_32(saved, len - CHECKSUM_LEN, 0) != checksum) {
    s->reason = "the saved state fails its checksum";
    return FF_ERR_CORRUPT;
  }
  payload = saved + SAVED_HEADER_LEN;
  payload_len = len - SAVED_HEADER_LEN - CHECKSUM_LEN;
  memset(&d, 0, sizeof(d));
  d.state = s;
  status = check(&d, payload, payload_len, &msg);
  if (status != FF_OK) {
    return status;
  }
  if (!msg.snapshot || !msg.has_state_hash || d.removed_entries > 0 || d.entries_hash != msg.state_hash) {
    s->reason = "the saved flags do not hash to the saved state hash";
    return FF_ERR_CORRUPT;
  }
  status = apply_checked(&d, payload, payload_len, true);
  s->revision = msg.revision;
  s->holds = true;
  if (status != FF_OK || s->hash != msg.state_hash) {
    s->reason = "the saved flags hold a key twice";
    return FF_MISMATCH;
  }
  s->reason = NO_REASON;
  return FF_OK;
}
