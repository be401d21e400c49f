/* airlock/container.h - the outer bundle tar (doc/bundle-format.md,
 * "Layer 1"): bundle.json, bundle.json.minisig, payload.age, in that order,
 * canonical ustar headers written by libarchive, zero padding, two zero
 * blocks at the end and nothing after. The reader takes untrusted bytes
 * and checks every byte outside the payload data. */
#ifndef AIRLOCK_CONTAINER_H
#define AIRLOCK_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"

#define AIRLOCK_CONTAINER_JSON_NAME "bundle.json"
#define AIRLOCK_CONTAINER_SIG_NAME "bundle.json.minisig"
#define AIRLOCK_CONTAINER_PAYLOAD_NAME "payload.age"
#define AIRLOCK_CONTAINER_JSON_MAX (UINT64_C(1) << 20)   /* bundle.json, 1 MiB */
#define AIRLOCK_CONTAINER_SIG_MAX UINT64_C(10240)        /* the .minisig, 10 KiB */

/* Writes the container to out_fd (at its current offset): the two small
 * members from memory, then payload_size bytes streamed from payload_fd
 * (from its current offset; fewer bytes there is an error). mtime is the
 * header's created time. Does not fsync. */
enum airlock_code airlock_container_write(int out_fd, const char *json, size_t json_len,
    const char *sig, size_t sig_len, int payload_fd, uint64_t payload_size, int64_t mtime,
    struct airlock_err *err);

/* Bytes the container adds around its three members: header blocks and
 * zero padding (for size reports). */
uint64_t airlock_container_overhead(size_t json_len, size_t sig_len, uint64_t payload_size);

struct airlock_container;   /* opaque */

/* Limits for the reader; a field of 0 means the default above, and larger
 * values than the defaults are capped to them. */
struct airlock_container_limits {
	uint64_t json_max;
	uint64_t sig_max;
};

/* Opens the container in fd (a regular file, read from offset 0 with
 * pread; the offset of fd is left alone). Reads the data of the first two
 * members only and the header of the third; checks that every header block
 * is the canonical one for its name, size and the common mtime, that all
 * padding is zero, and that the file ends exactly after the padding of the
 * payload (the container has no tar end marker). AIRLOCK_E_VERIFY for any deviation ("not an
 * airlock bundle" when it does not start with bundle.json), AIRLOCK_E_FAILED
 * for I/O errors. The caller owns *out. */
enum airlock_code airlock_container_open(struct airlock_container **out, int fd,
    const struct airlock_container_limits *lim, struct airlock_err *err)
    __attribute__((warn_unused_result));
void airlock_container_free(struct airlock_container *c);   /* NULL is a no-op */

/* bundle.json and the signature text, exactly as stored; a NUL follows
 * each in memory (not counted in *len), but they may contain NULs. */
const char *airlock_container_json(const struct airlock_container *c, size_t *len);
const char *airlock_container_sig(const struct airlock_container *c, size_t *len);
/* Where payload.age's bytes are in the file, and how many. */
uint64_t airlock_container_payload_offset(const struct airlock_container *c);
uint64_t airlock_container_payload_size(const struct airlock_container *c);
/* The members' common mtime: must equal the header's created. */
int64_t airlock_container_mtime(const struct airlock_container *c);

#endif
