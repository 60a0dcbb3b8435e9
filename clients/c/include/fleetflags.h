/*
 * FleetFlags device library: keeps the flag set a FleetFlags broker evaluated for this device.
 *
 * C99, no heap, no MQTT client of its own. The application connects with its MQTT client,
 * passes each payload that arrives on its flag topic to ff_apply(), and publishes what the
 * library asks for (the state hash at connect, a resync) and the acks it encodes. The protocol
 * is the README's "Device protocol"; clients/README.md shows a device end to end.
 *
 * Storage: the caller gives an array of ff_flag (one per flag the device can hold); keys and
 * string/json values live inline in it, up to the compile-time limits below. RAM per flag is
 * sizeof(ff_flag). Nothing else is allocated.
 *
 * Not thread-safe: one thread (or the caller's lock) per ff_state.
 */
#ifndef FLEETFLAGS_H
#define FLEETFLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Limits, fixed at compile time for the library and every file that includes this header (CMake:
 * -DFLEETFLAGS_MAX_KEY_LEN=... -DFLEETFLAGS_MAX_VALUE_LEN=...; ff_init() refuses storage built
 * with other limits than the library). Bytes of UTF-8, without a terminator. A key or value over
 * its limit makes the update that carries it refused (FF_ERR_LIMIT).
 */
#ifndef FF_MAX_KEY_LEN
#define FF_MAX_KEY_LEN 32
#endif
#ifndef FF_MAX_VALUE_LEN
#define FF_MAX_VALUE_LEN 64
#endif

#if FF_MAX_KEY_LEN < 1 || FF_MAX_KEY_LEN > 255
#error "FF_MAX_KEY_LEN must be 1 to 255"
#endif
#if FF_MAX_VALUE_LEN < 8 || FF_MAX_VALUE_LEN > 65535
#error "FF_MAX_VALUE_LEN must be 8 (an int or double value) to 65535"
#endif

/* The broker's defaults (its settings device-topic and state-user-property). */
#define FF_DEFAULT_FLAG_TOPIC "flags/{clientId}"
#define FF_STATE_PROPERTY "fleetflags-state"

/* A state hash as text: 8 lowercase hex digits and a NUL. */
#define FF_HASH_TEXT_SIZE 9

/* What ff_apply() and the other calls return. */
typedef enum ff_status {
  /* Applied; the set hashes to the update's state hash. */
  FF_OK = 0,
  /* Applied, but the set does not hash to the update's state hash: what the device held had
   * diverged from what the broker thinks. Publish an empty payload to the resync topic
   * (ff_resync_topic) and a snapshot follows. */
  FF_RESYNC,
  /* A snapshot applied whose set does not hash to its own state hash: this library and the broker
   * disagree on the protocol. A resync would bring the same snapshot, so none is asked for. */
  FF_MISMATCH,
  /* Refused, nothing changed: not a FlagUpdate (or not a saved state). ff_reason() says why. */
  FF_ERR_MALFORMED,
  /* Refused, nothing changed: a key or value over FF_MAX_KEY_LEN / FF_MAX_VALUE_LEN, or more
   * flags than the storage holds. ff_reason() says which. */
  FF_ERR_LIMIT,
  /* ff_restore(): the saved state fails its checksum or its state hash; nothing changed. */
  FF_ERR_CORRUPT,
  /* An output buffer is too small; nothing written. */
  FF_ERR_BUFFER,
  /* A bad argument: NULL, or storage built with other limits than the library. */
  FF_ERR_ARGUMENT
} ff_status;

typedef enum ff_type {
  FF_NONE = 0, /* a free slot */
  FF_BOOL,
  FF_INT,
  FF_DOUBLE,
  FF_STRING,
  FF_JSON
} ff_type;

/*
 * One flag the device holds: one element of the caller's storage. Read it through the ff_flag_*
 * functions. The value is kept as the state hash encodes it (README "State hash"): bool one byte,
 * int and double 8 bytes big-endian, string and json their bytes (followed by a NUL).
 */
typedef struct ff_flag {
  uint32_t entry_hash; /* MurmurHash3 of the flag's entry: the set's hash is their sum */
  uint16_t value_len;
  uint8_t key_len;
  uint8_t type; /* ff_type */
  uint8_t mark; /* the library's, during ff_apply() */
  char key[FF_MAX_KEY_LEN + 1];
  char value[FF_MAX_VALUE_LEN + 1];
} ff_flag;

typedef enum ff_change { FF_ADDED, FF_CHANGED, FF_REMOVED } ff_change;

/*
 * Told of each key whose value an update adds, changes or removes, during ff_apply() or
 * ff_restore() as the change is made. `flag` is the new value (FF_ADDED, FF_CHANGED) or the last
 * one (FF_REMOVED), valid during the call only. The rest of the set may be mid-update: read
 * `flag`, note what to do, and call no other ff_ function on this state from the callback.
 */
typedef void (*ff_change_fn)(void *context, ff_change change, const ff_flag *flag);

/* A device's flags. Fields are the library's; read them through the functions below. */
typedef struct ff_state {
  ff_flag *slots;
  size_t capacity;
  size_t count;
  uint32_t hash;
  uint64_t revision;
  bool holds; /* an update was applied or a saved state restored */
  ff_change_fn on_change;
  void *change_context;
  const char *reason;
} ff_state;

/*
 * Empty state on the caller's storage of `capacity` flags. Returns FF_ERR_ARGUMENT if the caller
 * was compiled with other limits than the library.
 */
#define ff_init(state, slots, capacity) \
  ff_init_limits((state), (slots), (capacity), FF_MAX_KEY_LEN, FF_MAX_VALUE_LEN)
ff_status ff_init_limits(ff_state *state, ff_flag *slots, size_t capacity, size_t max_key_len,
                         size_t max_value_len);

/* Who is told of changed keys (NULL: nobody). */
void ff_on_change(ff_state *state, ff_change_fn fn, void *context);

/*
 * Applies a FlagUpdate that arrived on the flag topic: a snapshot, a delta or an empty
 * confirmation. All or nothing: a payload that does not decode, lacks its state hash (cut short)
 * or does not fit the limits changes nothing (FF_ERR_MALFORMED, FF_ERR_LIMIT). Otherwise the update is applied and the set's hash is
 * compared with the update's: FF_OK, FF_RESYNC (publish a resync) or FF_MISMATCH.
 */
ff_status ff_apply(ff_state *state, const uint8_t *payload, size_t len);

/* Why the last call that did not return FF_OK did so; "" after FF_OK. Static text. */
const char *ff_reason(const ff_state *state);

/* The name of a status, e.g. "FF_RESYNC". */
const char *ff_status_name(ff_status status);

/* --- the set ---------------------------------------------------------------------------- */

size_t ff_count(const ff_state *state);

/* Flag i, 0 <= i < ff_count(); the order is the library's. NULL past the end. */
const ff_flag *ff_flag_at(const ff_state *state, size_t i);

/* The flag with this key (a NUL-terminated UTF-8 string), or NULL if the set has none. */
const ff_flag *ff_find(const ff_state *state, const char *key);

/*
 * Typed getters: the flag's value, or `fallback` when the set has no such flag or it has another
 * type (as an OpenFeature SDK answers with the caller's default). ff_get_double also reads int
 * flags (a flag whose variants are all integers travels as int). Strings and json are
 * NUL-terminated and valid until the next ff_apply() or ff_restore() on this state.
 */
bool ff_get_bool(const ff_state *state, const char *key, bool fallback);
int64_t ff_get_int(const ff_state *state, const char *key, int64_t fallback);
double ff_get_double(const ff_state *state, const char *key, double fallback);
const char *ff_get_string(const ff_state *state, const char *key, const char *fallback);
const char *ff_get_json(const ff_state *state, const char *key, const char *fallback);

/* One flag's key, type and value. Value readers of the wrong type give 0 / false / "". */
const char *ff_flag_key(const ff_flag *flag);
size_t ff_flag_key_len(const ff_flag *flag);
ff_type ff_flag_type(const ff_flag *flag);
bool ff_flag_bool(const ff_flag *flag);
int64_t ff_flag_int(const ff_flag *flag);
double ff_flag_double(const ff_flag *flag);
/* String or json text, NUL-terminated; its length in *len if len is not NULL. */
const char *ff_flag_text(const ff_flag *flag, size_t *len);

/* --- state hash, connect and resync ------------------------------------------------------- */

/* The state hash of the set held (README "State hash"); 0 for an empty set. */
uint32_t ff_state_hash(const ff_state *state);

/* The revision of the last update applied (or restored); 0 before any. */
uint64_t ff_revision(const ff_state *state);

/* Whether the device holds a set from the broker (applied or restored). */
bool ff_holds(const ff_state *state);

/* A state hash as 8 lowercase hex digits and a NUL. */
void ff_hash_text(uint32_t hash, char text[FF_HASH_TEXT_SIZE]);

/*
 * What the device presents when it connects, if it holds a set: the text for the MQTT 5 CONNECT
 * user property FF_STATE_PROPERTY, or the payload an MQTT 3.1.1 device publishes to its resync
 * topic before it subscribes. Returns false (text "") if it holds nothing: then it presents
 * nothing and gets a snapshot.
 */
bool ff_presented_state(const ff_state *state, char text[FF_HASH_TEXT_SIZE]);

/*
 * The device's flag topic: `template` (e.g. FF_DEFAULT_FLAG_TOPIC) with {clientId} replaced.
 * Returns its length, or 0 if it does not fit in `size` (with the NUL) or the template has no
 * {clientId}.
 */
size_t ff_flag_topic(char *out, size_t size, const char *topic_template, const char *client_id);

/* The resync topic of a flag topic: "<flag topic>/resync". Length, or 0 if it does not fit. */
size_t ff_resync_topic(char *out, size_t size, const char *flag_topic);

/* --- acknowledgements (README "Acknowledgements") ----------------------------------------- */

/* What an ack says about the update it answers (FlagAck.Status). */
typedef enum ff_ack_status {
  /* Applied, its hash checked (ff_apply() returned FF_OK), and the values are in use. */
  FF_ACK_APPLIED = 1,
  /* The application refused one or more of its values: the keys and why. */
  FF_ACK_REJECTED = 2,
  /* Applied, and then something broke because of it: why (may follow an APPLIED ack). */
  FF_ACK_FAILED = 3
} ff_ack_status;

/* The protocol's bounds on an ack (bytes of UTF-8). */
#define FF_ACK_MAX_SIZE 2048
#define FF_ACK_MAX_KEYS 32
#define FF_ACK_MAX_KEY_LEN 1024
#define FF_ACK_MAX_REASON_LEN 256
/* The most an APPLIED ack takes (a 10-byte revision); 10 bytes at revision 1000. */
#define FF_ACK_APPLIED_SIZE 18

/*
 * The device's ack topic: "<flag topic>/ack", where it publishes its acks (QoS 0 or 1, not
 * retained). Length, or 0 if it does not fit.
 */
size_t ff_ack_topic(char *out, size_t size, const char *flag_topic);

/*
 * Encodes a FlagAck into `out` (nanopb, nothing allocated); *len gets its length. `revision` is
 * the update's (not 0), `state_hash` the hash of what the device holds now (ff_state_hash()).
 * `rejected_keys` (key_count NUL-terminated UTF-8 keys; REJECTED only, else 0 and NULL) and
 * `reason` (NULL or "" for none; REJECTED and FAILED) are copied as given. Nothing is written
 * unless it returns FF_OK:
 *   FF_ERR_ARGUMENT  NULL out or len, revision 0, no such status, keys with another status than
 *                    REJECTED, a key or reason that is not UTF-8
 *   FF_ERR_LIMIT     more than FF_ACK_MAX_KEYS keys, a key empty or over FF_ACK_MAX_KEY_LEN, a
 *                    reason over FF_ACK_MAX_REASON_LEN, or an ack over FF_ACK_MAX_SIZE
 *   FF_ERR_BUFFER    `size` is less than the ack takes
 * The broker would drop an ack refused here; it drops any ack beyond 20 at once or 2 a second.
 */
ff_status ff_ack(uint8_t *out, size_t size, size_t *len, uint64_t revision, uint32_t state_hash,
                 ff_ack_status status, const char *const *rejected_keys, size_t key_count,
                 const char *reason);

/*
 * The APPLIED ack of the update ff_apply() just applied (FF_OK): its revision and the set's hash.
 * FF_ERR_ARGUMENT if the state holds nothing from the broker; FF_ERR_BUFFER if `size` is less than
 * FF_ACK_APPLIED_SIZE would need.
 */
ff_status ff_ack_applied(const ff_state *state, uint8_t *out, size_t size, size_t *len);

/* --- saving and restoring ---------------------------------------------------------------- */

/*
 * Bytes ff_save() needs at most for `capacity` flags: a header, the set as a FlagUpdate snapshot,
 * and a checksum.
 */
#define FF_SAVE_FLAG_MAX (2 + 3 + (2 + FF_MAX_KEY_LEN) + (4 + FF_MAX_VALUE_LEN))
#define FF_SAVE_SIZE(capacity) (4 + 11 + 2 + 5 + 4 + (size_t)(capacity) * FF_SAVE_FLAG_MAX)

/*
 * Writes the state (set, revision) to `out` so that the device can start from it after a reboot.
 * *len gets the bytes written. FF_ERR_BUFFER if it does not fit (FF_SAVE_SIZE(capacity) always
 * does).
 */
ff_status ff_save(const ff_state *state, uint8_t *out, size_t size, size_t *len);

/*
 * Restores what ff_save() wrote, checking it whole first (header, checksum, FlagUpdate, limits,
 * state hash): on anything wrong nothing changes (FF_ERR_CORRUPT, FF_ERR_MALFORMED,
 * FF_ERR_LIMIT). Changes are reported to the change callback as by ff_apply().
 */
ff_status ff_restore(ff_state *state, const uint8_t *saved, size_t len);

/* --- hashing ----------------------------------------------------------------------------- */

/* MurmurHash3 x86 32-bit. */
uint32_t ff_murmur3_32(const void *data, size_t len, uint32_t seed);

/* The hash of a flag's entry, computed afresh from its key and value (README "State hash"). */
uint32_t ff_entry_hash(const ff_flag *flag);

#ifdef __cplusplus
}
#endif

#endif /* FLEETFLAGS_H */
