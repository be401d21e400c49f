/* airlock/header.h - bundle.json, the signed header of a bundle
 * (doc/bundle-format.md, "Layer 3"). A plain struct both sides fill and
 * read; the JSON form is canonical (fixed key order, 2-space indent,
 * trailing newline) and the parser accepts nothing else. */
#ifndef AIRLOCK_HEADER_H
#define AIRLOCK_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/hash.h"
#include "airlock/names.h"

#define AIRLOCK_BUNDLE_ID_BYTES 16
#define AIRLOCK_KEY_ID_BYTES 8
#define AIRLOCK_SEGMENT_SIZE (UINT64_C(16) << 20)   /* payload.segment_size, always */
#define AIRLOCK_HEADER_JSON_MAX (1u << 20)            /* bundle.json at most 1 MiB */
#define AIRLOCK_RECIPIENTS_MAX 256
/* Every integer in bundle.json and MANIFEST.json is at most 2^53 - 1, so
 * any JSON tool (jq, Python, JavaScript) reads it exactly. */
#define AIRLOCK_JSON_INT_MAX ((UINT64_C(1) << 53) - 1)
#define AIRLOCK_WINDOW_LOG_MIN 10
#define AIRLOCK_WINDOW_LOG_MAX 31
/* The payload is the third member of an uncompressed tar whose ustar size
 * field holds at most 8 GiB - 1 (beyond that a pax header would appear). */
#define AIRLOCK_PAYLOAD_SIZE_MAX ((UINT64_C(1) << 33) - 1)

struct airlock_bundle_header {
	uint8_t bundle_id[AIRLOCK_BUNDLE_ID_BYTES];
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	uint64_t sequence;                         /* >= 1 */
	int64_t created;                           /* unix seconds, UTC */
	int64_t expires;                           /* > created */
	uint8_t signer_key_id[AIRLOCK_KEY_ID_BYTES];  /* as stored in minisign files */

	int has_base;                              /* 0: full bundle ("base": null) */
	uint64_t base_version;
	uint8_t base_tree[AIRLOCK_HASH_BYTES];

	uint64_t target_version;                   /* > base_version, >= 1 */
	uint8_t target_tree[AIRLOCK_HASH_BYTES];
	uint64_t target_files;                     /* entries of the target tree */
	uint64_t target_bytes;                     /* sum of its file sizes */

	uint8_t (*recipients)[32];                 /* X25519 keys, malloc'd, distinct */
	size_t nrecipients;                        /* 1..AIRLOCK_RECIPIENTS_MAX */

	uint64_t payload_size;                     /* bytes of payload.age, >= 1 */
	uint8_t payload_hash[AIRLOCK_HASH_BYTES];  /* BLAKE2b-512 of payload.age */
	uint64_t segment_size;                     /* AIRLOCK_SEGMENT_SIZE */
	uint8_t (*segments)[AIRLOCK_HASH_BYTES];   /* malloc'd; airlock_header_segment_count */
	size_t nsegments;

	int window_log;                            /* limits.window_log, 10..31 */
	uint64_t unpacked_bytes;                   /* limits.unpacked_bytes: exact tar size */
	uint64_t entries;                          /* limits.entries: exact tar entry count */
};

/* Zeroes h (no allocation). */
void airlock_header_init(struct airlock_bundle_header *h);
/* Frees recipients and segments and zeroes h; safe on an init'ed header. */
void airlock_header_release(struct airlock_bundle_header *h);

/* Replaces h's recipients / segments with copies of the given arrays. */
enum airlock_code airlock_header_set_recipients(struct airlock_bundle_header *h,
    const uint8_t (*recipients)[32], size_t n, struct airlock_err *err);
enum airlock_code airlock_header_set_segments(struct airlock_bundle_header *h,
    const uint8_t (*segments)[AIRLOCK_HASH_BYTES], size_t n, struct airlock_err *err);

/* Checks every rule of the format on a filled struct (the same rules the
 * parser applies). AIRLOCK_E_VERIFY with a message naming the field. */
enum airlock_code airlock_header_check(const struct airlock_bundle_header *h,
    struct airlock_err *err);

/* Canonical JSON of h into a malloc'd NUL-terminated buffer (*len excludes
 * the NUL). Fails (AIRLOCK_E_VERIFY) if h breaks a rule: the signer never
 * writes a header the importer would refuse. */
enum airlock_code airlock_header_to_json(const struct airlock_bundle_header *h, char **json,
    size_t *len, struct airlock_err *err);

/* Parses untrusted bytes (no NUL needed, no I/O; a fuzz target). Rejects
 * (AIRLOCK_E_VERIFY, message naming the key) duplicate, unknown or missing
 * keys, wrong types, integers out of range, bad hex, bad recipients, a bad
 * feed name or time, target.version <= base.version, expires <= created,
 * a segment list inconsistent with the size, and any byte that differs
 * from the canonical form. On success the caller releases *h; on failure
 * *h is released already. */
enum airlock_code airlock_header_parse(const char *json, size_t len,
    struct airlock_bundle_header *h, struct airlock_err *err)
    __attribute__((warn_unused_result));

/* Key ids in minisign's display form: the little-endian u64 in uppercase
 * hex without zero padding. parse accepts only that form (0 or -1). */
void airlock_header_key_id_format(char out[17], const uint8_t id[AIRLOCK_KEY_ID_BYTES]);
int airlock_header_key_id_parse(uint8_t id[AIRLOCK_KEY_ID_BYTES], const char *s);

/* Number of segment hashes a header lists for a payload size:
 * ceil(size / AIRLOCK_SEGMENT_SIZE) when that is above 1, else 0 (a single
 * segment's hash is payload.blake2b; listing it would only cost bytes). */
uint64_t airlock_header_segment_count(uint64_t payload_size);

#endif
