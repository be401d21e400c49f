/* airlock/apply.h - step 5 and 6 of the importer's verification: apply a
 * verified, decrypted payload (its manifest already parsed) to a base
 * version, writing every new content into a work directory, never more
 * bytes than the manifest declares, and build the target tree.
 *
 * Reads untrusted (but authenticated) bytes from the payload reader. */
#ifndef AIRLOCK_APPLY_H
#define AIRLOCK_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/io.h"
#include "airlock/manifest.h"
#include "airlock/objstore.h"
#include "airlock/payload.h"
#include "airlock/tree.h"

/* A content written to the work directory: file blob-N there, fsync'ed,
 * whose hash was computed while it was written. */
struct airlock_apply_blob {
	uint8_t hash[AIRLOCK_HASH_BYTES];
	uint64_t size;
	char name[32];                /* "blob-000042" inside workdir */
};

struct airlock_apply_result {
	struct airlock_tree *target;  /* finished; caller frees */
	struct airlock_apply_blob *blobs;   /* malloc'd; caller frees */
	size_t nblobs;
	uint64_t added, changed, removed, bytes;
};

/* Applies. base may be NULL (a full bundle). Delta bases and copies come
 * from os (each base object is hashed before it is used as a delta base;
 * a mismatch is AIRLOCK_E_FAILED naming the damaged object). window_log is
 * the header's limit. AIRLOCK_E_VERIFY for any disagreement between the
 * payload, the manifest and the base (removed paths absent from the base,
 * a copy or delta base that is not a base file, member names, order or
 * sizes other than the manifest's, a duplicate or conflicting path).
 * Reports progress as stage "apply" (entries). On failure the work
 * directory may hold partial blobs: the caller removes it. */
enum airlock_code airlock_apply(struct airlock_payload_reader *r,
    const struct airlock_manifest *m, const struct airlock_tree *base,
    const struct airlock_objstore *os, int window_log, const char *workdir,
    const struct airlock_progress *progress, struct airlock_apply_result *res,
    struct airlock_err *err) __attribute__((warn_unused_result));
void airlock_apply_result_release(struct airlock_apply_result *res);

#endif
