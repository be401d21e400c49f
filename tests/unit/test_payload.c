/* test_payload.c - payload writer -> age reader -> payload reader round
 * trip over many entries (whole files of every size class, copies,
 * symlinks, single and multi-base delta frames), two recipients,
 * cancellation and a missing object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "airlock/age.h"
#include "airlock/delta.h"
#include "airlock/manifest.h"
#include "airlock/payload.h"

#define NWHOLE 150

struct mem {
	uint8_t *p;
	size_t len, cap, pos;
};

static enum airlock_code mem_write(void *ctx, const void *buf, size_t len, struct airlock_err *err)
{
	struct mem *m = ctx;
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2 + 4096;
		m->p = realloc(m->p, m->cap);
		assert_non_null(m->p);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return AIRLOCK_OK;
}

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct airlock_err *err)
{
	struct mem *m = ctx;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

struct fx {
	char dir[64];
	struct airlock_objstore *os;
	struct airlock_tree_entry base[4];
	struct airlock_tree_entry tgt[NWHOLE + 6];
	uint8_t *data[NWHOLE + 10];      /* contents of tgt[i] (and base at NWHOLE+6..) */
	const struct airlock_tree_entry *fb0[1], *fb1[2];
	size_t m0[1], m1[2];
	struct airlock_plan_frame frames[2];
	struct airlock_plan_entry entries[NWHOLE + 6];
	const struct airlock_tree_entry *removed[1];
	struct airlock_plan plan;
	struct airlock_bundle_header hdr;
	char *manifest;
	size_t manifest_len;
	struct airlock_age_identity *id1, *id2;
	uint8_t rcpt[2][32];
};

static uint8_t *content(size_t len, unsigned seed, int text)
{
	uint8_t *b = malloc(len + 1);
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = text ? (uint8_t)("abcdefgh \n"[(x >> 16) % 10]) : (uint8_t)(x >> 16);
	}
	return b;
}

static void add(struct fx *f, struct airlock_tree_entry *e, const char *path, uint8_t *data,
    size_t len, uint32_t mode)
{
	struct airlock_err err;
	airlock_err_init(&err);
	e->path = strdup(path);
	e->type = AIRLOCK_ENTRY_FILE;
	e->mode = mode;
	e->size = len;
	assert_int_equal(airlock_objstore_put_buffer(f->os, data, len, e->hash, &err), AIRLOCK_OK);
}

/* Base: a.log, b.log, c.log, gone.txt. Target: 150 whole files (sizes 0
 * to ~1 MiB), a.log delta (frame 0), b.log + c.log one frame against the
 * concatenation of their bases (frame 1), copy.txt (copy of gone.txt),
 * link (symlink). */
static void make_trees(struct fx *f)
{
	static const size_t sizes[] = { 0, 1, 511, 512, 513, 10240, 65536, 100000, 262145 };
	char path[64];
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		static const char *names[] = { "a.log", "b.log", "c.log", "gone.txt" };
		size_t len = 40000 + (size_t)i * 1000;
		f->data[NWHOLE + 6 + i] = content(len, 100u + (unsigned)i, 1);
		add(f, &f->base[i], names[i], f->data[NWHOLE + 6 + i], len, 0644);
	}
	/* edited copies of the bases: a few bytes changed and appended */
	for (int i = 0; i < 3; i++) {
		size_t len = f->base[i].size + 300;
		uint8_t *b = malloc(len);
		memcpy(b, f->data[NWHOLE + 6 + i], f->base[i].size);
		uint8_t *tail = content(300, 7, 1);
		memcpy(b + f->base[i].size, tail, 300);
		free(tail);
		b[100] ^= 1;
		f->data[n] = b;
		add(f, &f->tgt[n], f->base[i].path, b, len, i == 0 ? 0755 : 0644);
		n++;
	}
	f->data[n] = malloc(f->base[3].size);
	memcpy(f->data[n], f->data[NWHOLE + 9], f->base[3].size);
	add(f, &f->tgt[n], "copy.txt", f->data[n], f->base[3].size, 0644);
	n++;
	f->tgt[n] = (struct airlock_tree_entry){ strdup("link"), AIRLOCK_ENTRY_SYMLINK, 0777, 5,
		{ 0 }, strdup("a.log") };
	f->data[n++] = NULL;
	for (int i = 0; i < NWHOLE; i++) {
		size_t len = sizes[i % 9] + (size_t)(i / 9);
		snprintf(path, sizeof(path), "w/%03d/f\xc3\xa9-%d.bin", i, i);
		f->data[n] = content(len, (unsigned)i, i % 2);
		add(f, &f->tgt[n], path, f->data[n], len, 0644);
		n++;
	}
}

static void make_plan(struct fx *f)
{
	size_t k = 0;
	/* entries must be sorted by path: a.log b.log c.log copy.txt link w/... */
	f->entries[k++] = (struct airlock_plan_entry){ &f->tgt[0], AIRLOCK_SRC_DELTA, NULL, 0, 0,
		&f->base[0] };
	f->entries[k++] = (struct airlock_plan_entry){ &f->tgt[1], AIRLOCK_SRC_DELTA, NULL, 1, 0,
		&f->base[1] };
	f->entries[k++] = (struct airlock_plan_entry){ &f->tgt[2], AIRLOCK_SRC_DELTA, NULL, 1,
		f->tgt[1].size, &f->base[2] };
	f->entries[k++] = (struct airlock_plan_entry){ &f->tgt[3], AIRLOCK_SRC_COPY, &f->base[3], 0, 0,
		NULL };
	f->entries[k++] = (struct airlock_plan_entry){ &f->tgt[4], AIRLOCK_SRC_SYMLINK, NULL, 0, 0, NULL };
	for (int i = 0; i < NWHOLE; i++)
		f->entries[k++] = (struct airlock_plan_entry){ &f->tgt[5 + i], AIRLOCK_SRC_WHOLE, NULL, 0, 0,
			NULL };
	f->fb0[0] = &f->base[0];
	f->m0[0] = 0;
	f->fb1[0] = &f->base[1];
	f->fb1[1] = &f->base[2];
	f->m1[0] = 1;
	f->m1[1] = 2;
	f->frames[0] = (struct airlock_plan_frame){ f->fb0, 1, f->base[0].size, f->m0, 1, f->tgt[0].size };
	f->frames[1] = (struct airlock_plan_frame){ f->fb1, 2, f->base[1].size + f->base[2].size,
		f->m1, 2, f->tgt[1].size + f->tgt[2].size };
	f->removed[0] = &f->base[3];
	f->plan = (struct airlock_plan){ f->removed, 1, f->entries, k, f->frames, 2 };
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct airlock_err err;
	airlock_err_init(&err);
	strcpy(f->dir, "/tmp/airlock-payload.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(airlock_objstore_open(&f->os, f->dir, &err), AIRLOCK_OK);
	make_trees(f);
	make_plan(f);
	airlock_header_init(&f->hdr);
	strcpy(f->hdr.feed, "feed");
	f->hdr.has_base = 1;
	f->hdr.base_version = 1;
	f->hdr.target_version = 2;
	f->hdr.target_files = NWHOLE + 5;
	assert_int_equal(airlock_manifest_write(&f->plan, &f->hdr, &f->manifest, &f->manifest_len,
	    &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_identity_generate(&f->id1, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_identity_generate(&f->id2, &err), AIRLOCK_OK);
	airlock_age_identity_public(f->id1, f->rcpt[0]);
	airlock_age_identity_public(f->id2, f->rcpt[1]);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	for (size_t i = 0; i < NWHOLE + 10; i++)
		free(f->data[i]);
	for (size_t i = 0; i < NWHOLE + 5; i++) {
		free(f->tgt[i].path);
		free(f->tgt[i].link_target);
	}
	for (size_t i = 0; i < 4; i++)
		free(f->base[i].path);
	airlock_objstore_free(f->os);
	airlock_age_identity_free(f->id1);
	airlock_age_identity_free(f->id2);
	free(f->manifest);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static uint8_t *read_member(struct airlock_payload_reader *r, uint64_t size)
{
	struct airlock_err err;
	uint8_t *b = malloc(size + 1);
	uint64_t got = 0;
	airlock_err_init(&err);
	while (got < size) {
		ssize_t n = airlock_payload_reader_read(r, b + got, 7000, &err);
		assert_true(n > 0);
		got += (uint64_t)n;
	}
	assert_int_equal(airlock_payload_reader_read(r, b, 1, &err), 0);
	return b;
}

static void check_frame(struct fx *f, size_t fi, const uint8_t *frame, uint64_t len)
{
	const struct airlock_plan_frame *fr = &f->frames[fi];
	struct mem base = { NULL, 0, 0, 0 }, out = { NULL, 0, 0, 0 }, in = { (uint8_t *)frame, len, len, 0 };
	struct airlock_err err;
	airlock_err_init(&err);
	for (size_t i = 0; i < fr->nbases; i++)
		mem_write(&base, f->data[NWHOLE + 6 + (size_t)(fr->bases[i] - f->base)],
		    fr->bases[i]->size, &err);
	assert_int_equal(airlock_delta_decode(base.p, base.len, (struct airlock_source){ mem_read, &in },
	    len, fr->size, 27, (struct airlock_sink){ mem_write, &out }, &err), AIRLOCK_OK);
	for (size_t i = 0, off = 0; i < fr->nmembers; i++) {
		const struct airlock_tree_entry *t = f->entries[fr->members[i]].target;
		assert_memory_equal(out.p + off, f->data[t - f->tgt], t->size);
		off += t->size;
	}
	assert_true(len < fr->size / 4);   /* the delta is much smaller than the target */
	free(base.p);
	free(out.p);
}

static void read_back(struct fx *f, struct mem *enc, const struct airlock_age_identity *id,
    const struct airlock_payload_limits *lim)
{
	struct airlock_age_reader *ar;
	struct airlock_payload_reader *pr;
	struct airlock_err err;
	const char *name, *json;
	uint64_t size;
	size_t len, whole = 0, frames = 0;
	enc->pos = 0;
	airlock_err_init(&err);
	assert_int_equal(airlock_age_reader_new(&ar, (struct airlock_source){ mem_read, enc }, id,
	    &err), AIRLOCK_OK);
	assert_int_equal(airlock_payload_reader_new(&pr, airlock_age_reader_source(ar), lim, &err),
	    AIRLOCK_OK);
	airlock_payload_reader_manifest(pr, &json, &len);
	assert_int_equal(len, f->manifest_len);
	assert_memory_equal(json, f->manifest, len);
	while (airlock_payload_reader_next(pr, &name, &size, &err) == AIRLOCK_OK && name != NULL) {
		uint8_t *b = read_member(pr, size);
		if (strncmp(name, "files/", 6) == 0) {
			const struct airlock_tree_entry *t = f->entries[5 + whole].target;
			assert_string_equal(name + 6, t->path);
			assert_int_equal(size, t->size);
			assert_memory_equal(b, f->data[t - f->tgt], size);
			whole++;
		} else {
			check_frame(f, frames++, b, size);
		}
		free(b);
	}
	assert_int_equal(err.code, AIRLOCK_OK);
	assert_int_equal(whole, NWHOLE);
	assert_int_equal(frames, 2);
	airlock_payload_reader_free(pr);
	airlock_age_reader_free(ar);
}

static void test_roundtrip(void **state)
{
	struct fx *f = *state;
	struct mem enc = { NULL, 0, 0, 0 };
	struct airlock_payload_limits lim;
	struct airlock_err err;
	uint64_t compressed = 0;
	airlock_err_init(&err);
	assert_int_equal(airlock_payload_write(&f->plan, f->manifest, f->manifest_len, f->os,
	    (const uint8_t (*)[32])f->rcpt, 2, (struct airlock_sink){ mem_write, &enc }, &lim,
	    &compressed, NULL, &err), AIRLOCK_OK);
	assert_int_equal(lim.entries, 1 + NWHOLE + 2);
	assert_true(lim.window_log >= 10 && lim.window_log <= 27);
	assert_true(lim.unpacked_bytes % 512 == 0);
	assert_true(compressed > 0 && compressed < enc.len);
	assert_true(enc.len - compressed < 1000 + (compressed / 65536 + 1) * 16);
	assert_memory_equal(enc.p, "age-encryption.org/v1\n", 22);
	read_back(f, &enc, f->id1, &lim);
	read_back(f, &enc, f->id2, &lim);
	free(enc.p);
}

static int cancel_at_second(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	int *calls = ctx;
	return ++*calls >= 2;
}

static void test_cancel(void **state)
{
	struct fx *f = *state;
	struct mem enc = { NULL, 0, 0, 0 };
	struct airlock_payload_limits lim;
	struct airlock_err err;
	int calls = 0;
	struct airlock_progress p = { cancel_at_second, &calls, NULL };
	airlock_err_init(&err);
	assert_int_equal(airlock_payload_write(&f->plan, f->manifest, f->manifest_len, f->os,
	    (const uint8_t (*)[32])f->rcpt, 1, (struct airlock_sink){ mem_write, &enc }, &lim, NULL,
	    &p, &err), AIRLOCK_E_CANCELLED);
	free(enc.p);
}

static void test_missing_object(void **state)
{
	struct fx *f = *state;
	struct mem enc = { NULL, 0, 0, 0 };
	struct airlock_payload_limits lim;
	struct airlock_err err;
	airlock_err_init(&err);
	/* the second whole file: the writer stops there, early */
	assert_int_equal(airlock_objstore_remove(f->os, f->tgt[6].hash, &err), AIRLOCK_OK);
	assert_int_not_equal(airlock_payload_write(&f->plan, f->manifest, f->manifest_len, f->os,
	    (const uint8_t (*)[32])f->rcpt, 1, (struct airlock_sink){ mem_write, &enc }, &lim, NULL,
	    NULL, &err), AIRLOCK_OK);
	assert_true(strlen(err.msg) > 0);
	free(enc.p);
	/* a missing delta base fails in the worker thread and is reported */
	enc = (struct mem){ NULL, 0, 0, 0 };
	airlock_err_init(&err);
	assert_int_equal(airlock_objstore_put_buffer(f->os, f->data[6], f->tgt[6].size,
	    f->tgt[6].hash, &err), AIRLOCK_OK);
	assert_int_equal(airlock_objstore_remove(f->os, f->base[0].hash, &err), AIRLOCK_OK);
	assert_int_not_equal(airlock_payload_write(&f->plan, f->manifest, f->manifest_len, f->os,
	    (const uint8_t (*)[32])f->rcpt, 1, (struct airlock_sink){ mem_write, &enc }, &lim, NULL,
	    NULL, &err), AIRLOCK_OK);
	assert_true(strlen(err.msg) > 0);
	free(enc.p);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_object, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
