/* measure.c - what the planner's choices cost on real data: scans two
 * versions, plans, encodes every frame at level 19 and the whole files
 * through one zstd -19 stream (the outer payload compression), and prints
 * the bytes and times. Not built by the Makefile:
 *   make BUILD=build/delta build/delta/libairlock.a
 *   cc -O2 -Iinclude -D_GNU_SOURCE -o /tmp/measure bench/plan-explore/measure.c \
 *      build/delta/libairlock.a $(pkg-config --libs libsodium libzstd) -lpthread
 *   /tmp/measure STORE OLD NEW */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <zstd.h>

#include "airlock/delta.h"
#include "airlock/objstore.h"
#include "airlock/plan.h"
#include "airlock/tree.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const struct airlock_err *err)
{
	fprintf(stderr, "error: %s\n", err->msg);
	exit(1);
}

static enum airlock_code count_sink(void *ctx, const void *buf, size_t len, struct airlock_err *err)
{
	(void)buf;
	(void)err;
	*(uint64_t *)ctx += len;
	return AIRLOCK_OK;
}

/* Concatenates the objects of entries into one malloc'd buffer. */
static uint8_t *concat(const struct airlock_objstore *os, const struct airlock_tree_entry **e,
    size_t n, uint64_t total)
{
	uint8_t *buf = malloc(total + 1);
	size_t off = 0;
	struct airlock_err err;
	airlock_err_init(&err);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d;
		size_t len;
		if (airlock_objstore_map(os, e[i]->hash, &d, &len, &err) != AIRLOCK_OK)
			die(&err);
		memcpy(buf + off, d, len);
		off += len;
		if (d != NULL)
			munmap((void *)d, len);
	}
	return buf;
}

static uint64_t encode_frames(const struct airlock_plan *p, const struct airlock_objstore *os)
{
	uint64_t total = 0;
	struct airlock_err err;
	airlock_err_init(&err);
	for (size_t i = 0; i < p->nframes; i++) {
		const struct airlock_plan_frame *f = &p->frames[i];
		const struct airlock_tree_entry **t = malloc(f->nmembers * sizeof *t);
		for (size_t k = 0; k < f->nmembers; k++)
			t[k] = p->entries[f->members[k]].target;
		uint8_t *b = concat(os, f->bases, f->nbases, f->base_size);
		uint8_t *d = concat(os, t, f->nmembers, f->size);
		if (airlock_delta_encode(b, f->base_size, d, f->size, 19,
		    (struct airlock_sink){ count_sink, &total }, NULL, &err) != AIRLOCK_OK)
			die(&err);
		free(b), free(d), free(t);
	}
	return total;
}

static uint64_t compress_whole(const struct airlock_plan *p, const struct airlock_objstore *os)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	uint8_t out[1 << 16];
	uint64_t total = 0;
	size_t rem;
	struct airlock_err err;
	airlock_err_init(&err);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 19);
	ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 27);
	for (size_t i = 0; i < p->nentries; i++) {
		if (p->entries[i].source != AIRLOCK_SRC_WHOLE)
			continue;
		const uint8_t *d;
		size_t len;
		if (airlock_objstore_map(os, p->entries[i].target->hash, &d, &len, &err) != AIRLOCK_OK)
			die(&err);
		ZSTD_inBuffer in = { d, len, 0 };
		while (in.pos < in.size) {
			ZSTD_outBuffer o = { out, sizeof out, 0 };
			ZSTD_compressStream2(c, &o, &in, ZSTD_e_continue);
			total += o.pos;
		}
		if (d != NULL)
			munmap((void *)d, len);
	}
	do {
		ZSTD_inBuffer in = { NULL, 0, 0 };
		ZSTD_outBuffer o = { out, sizeof out, 0 };
		rem = ZSTD_compressStream2(c, &o, &in, ZSTD_e_end);
		total += o.pos;
	} while (rem != 0 && !ZSTD_isError(rem));
	ZSTD_freeCCtx(c);
	return total;
}

int main(int argc, char **argv)
{
	struct airlock_err err;
	struct airlock_objstore *os;
	struct airlock_tree *a, *b;
	struct airlock_plan *p;
	airlock_err_init(&err);
	if (argc != 4) {
		fprintf(stderr, "usage: measure STORE OLD NEW\n");
		return 2;
	}
	if (airlock_objstore_open(&os, argv[1], &err) != AIRLOCK_OK ||
	    airlock_tree_scan(&a, argv[2], os, NULL, &err) != AIRLOCK_OK ||
	    airlock_tree_scan(&b, argv[3], os, NULL, &err) != AIRLOCK_OK)
		die(&err);
	double t0 = now();
	if (airlock_plan_make(&p, a, b, os, NULL, NULL, &err) != AIRLOCK_OK)
		die(&err);
	double t1 = now();
	uint64_t fb = encode_frames(p, os);
	double t2 = now();
	uint64_t wb = compress_whole(p, os);
	double t3 = now();
	size_t n[4] = { 0 };
	for (size_t i = 0; i < p->nentries; i++)
		n[p->entries[i].source]++;
	printf("entries %zu whole %zu copy %zu delta %zu symlink %zu removed %zu frames %zu | "
	    "frames %llu whole %llu total %llu | plan %.2fs frames %.2fs whole %.2fs\n",
	    p->nentries, n[AIRLOCK_SRC_WHOLE], n[AIRLOCK_SRC_COPY], n[AIRLOCK_SRC_DELTA],
	    n[AIRLOCK_SRC_SYMLINK], p->nremoved, p->nframes, (unsigned long long)fb,
	    (unsigned long long)wb, (unsigned long long)(fb + wb), t1 - t0, t2 - t1, t3 - t2);
	airlock_plan_free(p);
	airlock_tree_free(a);
	airlock_tree_free(b);
	airlock_objstore_free(os);
	return 0;
}
