/* airlock/bundle.h - making a whole bundle (plan, manifest, payload,
 * header, signature, container) and the fixed texts both sides share. */
#ifndef AIRLOCK_BUNDLE_H
#define AIRLOCK_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/header.h"
#include "airlock/io.h"
#include "airlock/minisign.h"
#include "airlock/objstore.h"
#include "airlock/plan.h"
#include "airlock/tree.h"

/* The .minisig's first line is "untrusted comment: " + this. */
#define AIRLOCK_BUNDLE_UNTRUSTED_COMMENT "airlock bundle signature"
#define AIRLOCK_BUNDLE_TRUSTED_MAX 64

/* "timestamp:<created>\tfile:bundle.json\thashed": the trusted comment the
 * signer writes and the importer requires. */
void airlock_bundle_trusted_comment(char out[AIRLOCK_BUNDLE_TRUSTED_MAX], int64_t created);

struct airlock_bundle_params {
	const char *feed;
	uint64_t sequence;                          /* >= 1 */
	int64_t created;                            /* unix seconds */
	int64_t expires;                            /* > created */
	const struct airlock_tree *base;            /* NULL: full bundle */
	uint64_t base_version;                      /* ignored when base is NULL */
	const struct airlock_tree *target;
	uint64_t target_version;                    /* > base_version */
	const struct airlock_objstore *os;          /* holds both trees' objects */
	const struct airlock_minisign_secret *key;  /* signs bundle.json */
	const uint8_t (*recipients)[32];            /* X25519 public keys (age1...) */
	size_t nrecipients;
	const char *output;                         /* path of the bundle to create */
	const struct airlock_plan_options *plan;    /* NULL: defaults */
	const struct airlock_progress *progress;    /* may be NULL */
};

struct airlock_bundle_result {
	uint8_t bundle_id[AIRLOCK_BUNDLE_ID_BYTES];
	uint64_t total_bytes;        /* size of the bundle file */
	uint64_t payload_bytes;      /* size of payload.age */
	uint64_t compressed_bytes;   /* the zstd stream inside payload.age */
	uint64_t overhead_bytes;     /* total - compressed: container, header,
	                                signature, age header and chunk tags */
	uint64_t unpacked_bytes;     /* the plain payload tar */
	size_t whole, copy, delta, symlinks, removed, frames;
};

/* Plans target against base, writes the payload to a temporary file in
 * the output's directory while hashing it, builds and signs bundle.json,
 * writes the container to another temporary file, fsyncs it and renames
 * it to output (an existing output is refused, never overwritten; no
 * partial file is ever left at output). AIRLOCK_E_USAGE for bad params,
 * AIRLOCK_E_FAILED for I/O (a full disk says so), AIRLOCK_E_CANCELLED. */
enum airlock_code airlock_bundle_create(const struct airlock_bundle_params *p,
    struct airlock_bundle_result *res, struct airlock_err *err);

/* A human-readable summary of a (verified) header: feed, versions and
 * tree prefixes, created/expires, key id, recipients, sizes, one
 * "name: value" per line, into a malloc'd string. NULL when out of memory. */
char *airlock_bundle_describe(const struct airlock_bundle_header *h);

#endif
