/* similar.c - content sketches (bottom-k MinHash over 32-byte windows) and
 * an inverted index over them; see airlock/similar.h. */
#include "airlock/similar.h"

#include <stdlib.h>
#include <string.h>

/* Polynomial rolling hash over the window, mod 2^64; any odd multiplier
 * works, this one is the 64-bit golden ratio. */
#define ROLL_MUL UINT64_C(0x9E3779B97F4A7C15)

/* splitmix64's finalizer: spreads the rolling hash so that the smallest
 * values are a uniform sample of the windows. */
static uint32_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xBF58476D1CE4E5B9);
	x ^= x >> 27;
	x *= UINT64_C(0x94D049BB133111EB);
	x ^= x >> 31;
	return (uint32_t)(x >> 32);
}

/* Keeps v the n (<= K) smallest distinct values seen, ascending. */
static void keep_smallest(struct airlock_sketch *s, uint32_t value)
{
	size_t lo = 0, hi = s->n;
	if (s->n == AIRLOCK_SKETCH_K && value >= s->v[AIRLOCK_SKETCH_K - 1])
		return;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && s->v[lo] == value)
		return;
	size_t last = s->n < AIRLOCK_SKETCH_K ? s->n : AIRLOCK_SKETCH_K - 1;
	memmove(&s->v[lo + 1], &s->v[lo], (last - lo) * sizeof(s->v[0]));
	s->v[lo] = value;
	if (s->n < AIRLOCK_SKETCH_K)
		s->n++;
}

void airlock_sketch_make(struct airlock_sketch *out, const uint8_t *data, size_t len)
{
	uint64_t h = 0, out_weight = 1;   /* ROLL_MUL^WINDOW: weight of the byte leaving */
	memset(out, 0, sizeof(*out));
	if (len < AIRLOCK_SKETCH_WINDOW)
		return;
	for (size_t i = 0; i < AIRLOCK_SKETCH_WINDOW; i++) {
		h = h * ROLL_MUL + data[i];
		out_weight *= ROLL_MUL;
	}
	keep_smallest(out, mix(h));
	for (size_t i = AIRLOCK_SKETCH_WINDOW; i < len; i++) {
		h = h * ROLL_MUL + data[i] - out_weight * data[i - AIRLOCK_SKETCH_WINDOW];
		keep_smallest(out, mix(h));
	}
}

unsigned airlock_sketch_shared(const struct airlock_sketch *a, const struct airlock_sketch *b)
{
	unsigned shared = 0;
	size_t i = 0, j = 0;
	while (i < a->n && j < b->n) {
		if (a->v[i] == b->v[j]) {
			shared++;
			i++;
			j++;
		} else if (a->v[i] < b->v[j]) {
			i++;
		} else {
			j++;
		}
	}
	return shared;
}

/* ---- the index ---- */

struct posting {      /* 8 bytes: an index of 100,000 files takes 25 MB */
	uint32_t value;
	uint32_t id;
};

struct airlock_similar {
	struct posting *p;
	size_t n, cap;
	int sorted;
};

enum airlock_code airlock_similar_new(struct airlock_similar **out, struct airlock_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory indexing file contents");
	(*out)->sorted = 1;
	return AIRLOCK_OK;
}

void airlock_similar_free(struct airlock_similar *s)
{
	if (s == NULL)
		return;
	free(s->p);
	free(s);
}

enum airlock_code airlock_similar_add(struct airlock_similar *s, size_t id,
    const struct airlock_sketch *sk, struct airlock_err *err)
{
	if (id > UINT32_MAX)
		return airlock_fail(err, AIRLOCK_E_FAILED, "too many files to index by content");
	if (s->n + sk->n > s->cap) {
		size_t cap = (s->n + sk->n) * 2;
		struct posting *p = realloc(s->p, cap * sizeof(*p));
		if (p == NULL)
			return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory indexing file contents");
		s->p = p;
		s->cap = cap;
	}
	for (uint32_t k = 0; k < sk->n; k++)
		s->p[s->n++] = (struct posting){ sk->v[k], (uint32_t)id };
	if (sk->n > 0)
		s->sorted = 0;
	return AIRLOCK_OK;
}

static int posting_cmp(const void *a, const void *b)
{
	const struct posting *x = a, *y = b;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* The postings of value: [*first, *first + count). */
static size_t postings_of(const struct airlock_similar *s, uint32_t value, size_t *first)
{
	size_t lo = 0, hi = s->n, end;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->p[mid].value < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < s->n && s->p[end].value == value; end++)
		;
	*first = lo;
	return end - lo;
}

/* The most frequent id in ids[0..n) (sorted here), lowest on ties. */
static size_t most_frequent(size_t *ids, size_t n, unsigned *count)
{
	size_t best = SIZE_MAX;
	*count = 0;
	qsort(ids, n, sizeof(*ids), size_cmp);
	for (size_t i = 0, run; i < n; i += run) {
		for (run = 1; i + run < n && ids[i + run] == ids[i]; run++)
			;
		if (run > *count) {
			*count = (unsigned)run;
			best = ids[i];
		}
	}
	return best;
}

int airlock_similar_best(struct airlock_similar *s, const struct airlock_sketch *sk,
    unsigned min_shared, size_t *id, unsigned *shared, struct airlock_err *err)
{
	size_t *ids = malloc(AIRLOCK_SKETCH_K * AIRLOCK_SIMILAR_COMMON * sizeof(*ids) + 1), nids = 0;
	if (ids == NULL) {
		airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory comparing file contents");
		return -1;
	}
	if (!s->sorted) {
		qsort(s->p, s->n, sizeof(*s->p), posting_cmp);
		s->sorted = 1;
	}
	for (uint32_t k = 0; k < sk->n; k++) {
		size_t first, count = postings_of(s, sk->v[k], &first);
		if (count > AIRLOCK_SIMILAR_COMMON)
			continue;
		/* one vote per indexed sketch: values are distinct within a sketch */
		for (size_t i = 0; i < count; i++)
			ids[nids++] = s->p[first + i].id;
	}
	*id = most_frequent(ids, nids, shared);
	free(ids);
	return *shared >= min_shared && *shared > 0;
}
