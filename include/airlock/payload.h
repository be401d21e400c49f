/* airlock/payload.h - the payload (doc/bundle-format.md, "Layer 5"): a tar
 * of MANIFEST.json, files/<path> and deltas/NNNNNN.zst, compressed as one
 * zstd frame (libzstd, not libarchive's filter, so the frame has a content
 * checksum and the reader controls the window) and encrypted with age.
 *
 * Writer: plan + objects -> tar -> zstd -> age -> sink. Delta frames are
 * encoded in a worker thread while the main thread streams the tar (the
 * manifest and whole files): two cores when a bundle has both.
 * Reader: age source -> zstd -> strict tar, one member at a time. */
#ifndef AIRLOCK_PAYLOAD_H
#define AIRLOCK_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "airlock/error.h"
#include "airlock/io.h"
#include "airlock/objstore.h"
#include "airlock/plan.h"

#define AIRLOCK_PAYLOAD_LEVEL 19                /* zstd level of the outer frame */
#define AIRLOCK_PAYLOAD_WINDOW_LOG_MAX 27       /* stock zstd and tar open it */
#define AIRLOCK_PAYLOAD_MANIFEST_NAME "MANIFEST.json"

/* The header's "limits": what the writer produced, and exactly what the
 * reader accepts. */
struct airlock_payload_limits {
	int window_log;             /* largest zstd windowLog of the outer frame and the
	                               delta frames (reader: the outer frame's maximum) */
	uint64_t unpacked_bytes;    /* bytes of the plain tar */
	uint64_t entries;           /* members of the tar */
};

/* Writes the payload for plan to out: the tar (MANIFEST.json = manifest,
 * then files/<path> for each WHOLE entry in plan order, then one
 * deltas/NNNNNN.zst per plan frame), zstd level 19 with checksum, age to
 * the n recipients. File contents come from os. *lim receives what was
 * written. compressed, if not NULL, receives the bytes of the zstd stream
 * (the age input). Memory: the encoders' tables are chosen so that the
 * process stays under airlock_plan_memory_bound(plan) (64 MiB + 2 x the
 * largest file delta-coded), given the planner's default group budget. */
enum airlock_code airlock_payload_write(const struct airlock_plan *plan, const char *manifest,
    size_t manifest_len, const struct airlock_objstore *os, const uint8_t (*recipients)[32],
    size_t n, struct airlock_sink out, struct airlock_payload_limits *lim, uint64_t *compressed,
    const struct airlock_progress *progress, struct airlock_err *err);

/* Streaming reader of untrusted plaintext (the age reader's source: every
 * byte reaching it is authenticated, but it is still only as trustworthy
 * as the signer). Strict: one zstd frame with windowLog <= lim->window_log;
 * the first member is MANIFEST.json (at most AIRLOCK_MANIFEST_JSON_MAX
 * bytes); then only regular files named files/<valid path> and then
 * deltas/NNNNNN.zst numbered from 000000; no links, directories, devices,
 * sparse files, xattrs or ACLs; the tar and the frame end together. */
struct airlock_payload_reader;

/* Reads up to and including MANIFEST.json. lim is copied. AIRLOCK_E_VERIFY
 * for anything malformed. */
enum airlock_code airlock_payload_reader_new(struct airlock_payload_reader **r,
    struct airlock_source in, const struct airlock_payload_limits *lim,
    struct airlock_err *err) __attribute__((warn_unused_result));
/* The manifest bytes (owned by r; a NUL follows them). */
void airlock_payload_reader_manifest(const struct airlock_payload_reader *r, const char **json,
    size_t *len);
/* Advances to the next member: *name is its full tar name ("files/a/b",
 * "deltas/000000.zst"), valid until the next call, and *size its size.
 * The rest of the current member, if unread, is skipped. At the end *name
 * is NULL; only then has the reader checked that the tar and the zstd
 * frame ended, that no bytes follow, and that the tar had exactly
 * lim->unpacked_bytes bytes and lim->entries members. */
enum airlock_code airlock_payload_reader_next(struct airlock_payload_reader *r,
    const char **name, uint64_t *size, struct airlock_err *err)
    __attribute__((warn_unused_result));
/* Reads the current member's data; returns bytes read, 0 at its end, or -1
 * with err set. */
ssize_t airlock_payload_reader_read(struct airlock_payload_reader *r, void *buf, size_t len,
    struct airlock_err *err);
/* The current member as a source (for airlock_delta_decode and friends). */
struct airlock_source airlock_payload_reader_source(struct airlock_payload_reader *r);
void airlock_payload_reader_free(struct airlock_payload_reader *r);   /* NULL is a no-op */

#endif
