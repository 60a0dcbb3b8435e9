/* What the C tests share: checks, the shared test vectors, a protobuf writer, state copies. */
#ifndef FLEETFLAGS_TEST_SUPPORT_H
#define FLEETFLAGS_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetflags.h"

extern int checks_failed;
extern int checks_passed;

#define CHECK(cond) check((cond), __FILE__, __LINE__, #cond)
#define CHECK_STATUS(expected, actual) check_status((expected), (actual), __FILE__, __LINE__)
void check(bool ok, const char *file, int line, const char *what);
void check_status(ff_status expected, ff_status actual, const char *file, int line);

/* The flags storage of the tests' devices. */
enum { TEST_CAPACITY = 64 };

typedef struct device {
  ff_state state;
  ff_flag slots[TEST_CAPACITY];
} device;

void device_init(device *d, size_t capacity);
/* A copy whose state uses the copy's own slots. */
void device_copy(device *to, const device *from);
/* Whether two devices hold exactly the same (set, hash, revision, storage bytes). */
bool device_same(const device *a, const device *b);
/* The library's invariants: packed, unique keys, within limits, hashes that add up. */
bool device_consistent(const device *d);

/* --- the shared vectors (clients/testvectors/vectors.txt) ----------------------------------- */

typedef struct vector_flag {
  uint8_t key[256];
  size_t key_len;
  char tag; /* b i d s j */
  uint8_t value[4096];
  size_t value_len;
} vector_flag;

typedef struct update_vector {
  char name[128];
  char from[128]; /* "-": a device that holds nothing */
  uint8_t payload[16384];
  size_t payload_len;
  uint64_t revision;
  size_t flag_count;
  vector_flag flags[64];
  uint32_t hash;
} update_vector;

typedef struct entry_vector {
  uint8_t key[256];
  size_t key_len;
  char tag;
  uint8_t value[4096];
  size_t value_len;
  uint8_t entry[4400];
  size_t entry_len;
  uint32_t hash;
} entry_vector;

typedef struct murmur_vector {
  uint8_t data[256];
  size_t len;
  uint32_t hash;
} murmur_vector;

/* An ack (README "Acknowledgements") and its FlagAck bytes, as the extension's proto classes write
 * them and its decoder accepts them. */
typedef struct ack_vector {
  char name[128];
  uint64_t revision;
  uint32_t hash;
  ff_ack_status status;
  char keys[FF_ACK_MAX_KEYS][FF_ACK_MAX_KEY_LEN + 1]; /* NUL-terminated */
  size_t key_count;
  char reason[FF_ACK_MAX_REASON_LEN + 1];
  uint8_t payload[FF_ACK_MAX_SIZE];
  size_t payload_len;
} ack_vector;

typedef struct vectors {
  ack_vector *acks;
  size_t ack_count;
  update_vector *updates;
  size_t update_count;
  entry_vector *entries;
  size_t entry_count;
  murmur_vector *murmurs;
  size_t murmur_count;
} vectors;

/* Reads the file; false (with a message) if it cannot. */
bool vectors_load(vectors *v, const char *path);
void vectors_free(vectors *v);
const update_vector *vectors_find(const vectors *v, const char *name);

/* The state a vector starts from: its `from` chain applied to a fresh device, each FF_OK. */
bool vector_base(const vectors *v, const update_vector *u, device *d);

/* Whether the device holds exactly the vector's resulting set, revision and hash. */
bool vector_holds(const update_vector *u, const device *d);

/* --- a protobuf writer for hand-made payloads -------------------------------------------- */

typedef struct message {
  uint8_t bytes[65536];
  size_t len;
} message;

void msg_varint(message *m, uint64_t v);
void msg_tag(message *m, uint32_t field, uint32_t wire);
void msg_bytes(message *m, uint32_t field, const void *data, size_t len);
void msg_fixed32(message *m, uint32_t field, uint32_t v);
void msg_fixed64(message *m, uint32_t field, uint64_t v);
void msg_revision(message *m, uint64_t revision);
void msg_snapshot(message *m);
void msg_hash(message *m, uint32_t hash);
void msg_removed(message *m, const char *key);
void msg_flag_bool(message *m, const char *key, bool value);
void msg_flag_int(message *m, const char *key, int64_t value);
void msg_flag_double(message *m, const char *key, double value);
void msg_flag_string(message *m, const char *key, const char *value);
void msg_flag_json(message *m, const char *key, const char *json);
/* A Flag message as it is (for malformed flags). */
void msg_flag_raw(message *m, const message *flag);

/* The state hash of a set given as flag entries, computed by the test from the README. */
uint32_t entry_hash_of(const char *key, char tag, const void *value, size_t len);

#endif
