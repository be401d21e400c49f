/* airlock/objstore.h - content-addressed object store: file contents named by
 * their BLAKE2b-512, at DIR/ab/cdef... (hex; first two digits a directory).
 * Objects are read-only files (0444), written through a temporary file,
 * fsync'ed and renamed, so a crash never leaves a partial object. */
#ifndef AIRLOCK_OBJSTORE_H
#define AIRLOCK_OBJSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/hash.h"

struct airlock_objstore;

/* Opens (creating if needed) the store rooted at dir. */
enum airlock_code airlock_objstore_open(struct airlock_objstore **os, const char *dir,
    struct airlock_err *err);
void airlock_objstore_free(struct airlock_objstore *os);

/* Copies everything readable from fd into the store while hashing it; the
 * hash and size are returned. An object already present is kept. */
enum airlock_code airlock_objstore_put_fd(struct airlock_objstore *os, int fd,
    uint8_t hash[AIRLOCK_HASH_BYTES], uint64_t *size, struct airlock_err *err);
/* Stores a buffer (hash computed here). */
enum airlock_code airlock_objstore_put_buffer(struct airlock_objstore *os, const void *buf,
    size_t len, uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err);
/* Moves an already complete, fsync'ed file (same filesystem) whose hash the
 * caller computed into the store. */
enum airlock_code airlock_objstore_adopt(struct airlock_objstore *os, const char *tmp_path,
    const uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err);

int airlock_objstore_has(const struct airlock_objstore *os, const uint8_t hash[AIRLOCK_HASH_BYTES]);
/* Path of an object (present or not) into out. */
enum airlock_code airlock_objstore_path(const struct airlock_objstore *os,
    const uint8_t hash[AIRLOCK_HASH_BYTES], char *out, size_t outlen, struct airlock_err *err);
/* Opens an object read-only; AIRLOCK_E_FAILED naming the hash if absent. */
enum airlock_code airlock_objstore_open_object(const struct airlock_objstore *os,
    const uint8_t hash[AIRLOCK_HASH_BYTES], int *fd, struct airlock_err *err);
/* Maps an object read-only (len 0 gives data NULL); unmap with munmap. */
enum airlock_code airlock_objstore_map(const struct airlock_objstore *os,
    const uint8_t hash[AIRLOCK_HASH_BYTES], const uint8_t **data, size_t *len,
    struct airlock_err *err);
enum airlock_code airlock_objstore_remove(struct airlock_objstore *os,
    const uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err);
/* Re-hashes an object; AIRLOCK_E_VERIFY naming it when it does not match. */
enum airlock_code airlock_objstore_verify(const struct airlock_objstore *os,
    const uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err);

/* Objects already in known are not written to os at all (put_fd reads and
 * hashes, then drops its copy): a staging store that only has to hold what
 * a home store lacks. known must outlive os; NULL clears it. */
void airlock_objstore_set_known(struct airlock_objstore *os, const struct airlock_objstore *known);

/* Deferred mode: writes skip their per-object fsyncs, so many small objects
 * cost one airlock_objstore_sync at the end instead of three fsyncs each.
 * Until that call returns OK nothing written is durable: callers record
 * objects in a catalog only afterwards. */
void airlock_objstore_set_deferred(struct airlock_objstore *os, int deferred);
enum airlock_code airlock_objstore_sync(struct airlock_objstore *os, struct airlock_err *err);

/* Calls fn for every object hash in the store (order unspecified); fn
 * returning non-OK stops the walk with that code. */
enum airlock_code airlock_objstore_each(const struct airlock_objstore *os,
    enum airlock_code (*fn)(void *ctx, const uint8_t hash[AIRLOCK_HASH_BYTES], struct airlock_err *err),
    void *ctx, struct airlock_err *err);

#endif
