/* airlock/similar.h - finding by content the base file most like a new one
 * (a file renamed or moved and edited too, where the names give no hint),
 * as DESIGN.md asks of the delta planner.
 *
 * A file is summarised by a sketch: the K smallest hash values of all its
 * 32-byte windows (a bottom-k MinHash). Two files that share a fraction f
 * of their windows share about f*K of their sketch values, so the index
 * below finds the best candidate by counting shared values. The values are
 * a plain mixing hash, not a cryptographic one: a wrong candidate costs one
 * trial encoding, never correctness (the planner keeps a delta only when it
 * is smaller than the file sent whole). */
#ifndef AIRLOCK_SIMILAR_H
#define AIRLOCK_SIMILAR_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"

#define AIRLOCK_SKETCH_K 32
#define AIRLOCK_SKETCH_WINDOW 32     /* bytes; shorter inputs have no sketch */

struct airlock_sketch {
	uint32_t n;                      /* values in v: K, or fewer for small inputs */
	uint32_t v[AIRLOCK_SKETCH_K];    /* ascending, distinct */
};

/* The sketch of data; a pure function of the bytes. */
void airlock_sketch_make(struct airlock_sketch *out, const uint8_t *data, size_t len);

/* How many values the two sketches share (0 to K). */
unsigned airlock_sketch_shared(const struct airlock_sketch *a, const struct airlock_sketch *b);

/* An index of sketches, each under a caller's id (e.g. a base entry's
 * position), answering "which indexed sketch shares most with this one"
 * without comparing against all of them. */
struct airlock_similar;   /* opaque */

enum airlock_code airlock_similar_new(struct airlock_similar **out, struct airlock_err *err)
    __attribute__((warn_unused_result));
void airlock_similar_free(struct airlock_similar *s);   /* NULL is a no-op */

/* Adds the sketch of item id (each id at most once, in any order; an id
 * above UINT32_MAX is AIRLOCK_E_FAILED). Adding after a lookup is allowed
 * (the next lookup re-sorts). */
enum airlock_code airlock_similar_add(struct airlock_similar *s, size_t id,
    const struct airlock_sketch *sk, struct airlock_err *err)
    __attribute__((warn_unused_result));

/* The id of the indexed sketch sharing the most values with sk, at least
 * min_shared of them (ties: the lowest id), in *id; *shared gets the count.
 * Values that occur in more than AIRLOCK_SIMILAR_COMMON indexed sketches
 * (boilerplate every file has) are not counted. Returns 1 if found, 0 if
 * none qualifies, -1 when out of memory (err set). */
#define AIRLOCK_SIMILAR_COMMON 64
int airlock_similar_best(struct airlock_similar *s, const struct airlock_sketch *sk,
    unsigned min_shared, size_t *id, unsigned *shared, struct airlock_err *err);

#endif
