/* test_plan.c - the delta planner on synthetic trees: what is omitted,
 * copied, grouped, sent whole; and that every frame, encoded and decoded,
 * gives exactly its members at their offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/delta.h"
#include "airlock/hash.h"
#include "airlock/objstore.h"
#include "airlock/plan.h"
#include "airlock/tree.h"

static char root[64];

struct fixture {
	struct airlock_objstore *os;
	struct airlock_tree *base, *target;
	struct airlock_plan *plan;
};

static int setup(void **state)
{
	snprintf(root, sizeof root, "/tmp/airlock-plan.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	*state = calloc(1, sizeof(struct fixture));
	return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct airlock_err err;
	airlock_plan_free(f->plan);
	airlock_tree_free(f->base);
	airlock_tree_free(f->target);
	airlock_objstore_free(f->os);
	free(f);
	airlock_err_init(&err);
	return airlock_remove_tree(root, &err) == AIRLOCK_OK ? 0 : -1;
}

static void put_bytes(const char *side, const char *rel, const void *data, size_t len, mode_t mode)
{
	char path[512], dir[512];
	struct airlock_err err;
	airlock_err_init(&err);
	snprintf(path, sizeof path, "%s/%s/%s", root, side, rel);
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(airlock_mkdir_p(dir, 0755, &err), AIRLOCK_OK);
	assert_int_equal(airlock_write_file_atomic(path, data, len, mode, &err), AIRLOCK_OK);
}

static void put(const char *side, const char *rel, const char *text)
{
	put_bytes(side, rel, text, strlen(text), 0644);
}

static void link_to(const char *side, const char *rel, const char *target)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s/%s", root, side, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* Text-like data (words from a small vocabulary), seeded. */
static char *text(size_t len, uint32_t seed)
{
	static const char *words[] = { "alpha ", "beta ", "gamma ", "{\"id\": ", "\"name\": ",
		"42, ", "true, ", "null\n", "version ", "browser ", "support ", "1.0.3 " };
	char *p = malloc(len + 16);
	size_t i = 0;
	while (i < len) {
		seed = seed * 1103515245u + 12345u;
		const char *w = words[(seed >> 16) % (sizeof words / sizeof *words)];
		memcpy(p + i, w, strlen(w));
		i += strlen(w);
	}
	p[len] = '\0';
	return p;
}

static char *random_bytes(size_t len, uint64_t x)
{
	char *p = malloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p[i] = (char)(x >> 24);
	}
	p[len] = '\0';
	return p;
}

static void make_plan_with(struct fixture *f, int full, const struct airlock_plan_options *opt)
{
	struct airlock_err err;
	char dir[128];
	airlock_err_init(&err);
	snprintf(dir, sizeof dir, "%s/store", root);
	assert_int_equal(airlock_objstore_open(&f->os, dir, &err), AIRLOCK_OK);
	if (!full) {
		snprintf(dir, sizeof dir, "%s/base", root);
		assert_int_equal(airlock_tree_scan(&f->base, dir, f->os, NULL, &err), AIRLOCK_OK);
	}
	snprintf(dir, sizeof dir, "%s/target", root);
	assert_int_equal(airlock_tree_scan(&f->target, dir, f->os, NULL, &err), AIRLOCK_OK);
	assert_int_equal(airlock_plan_make(&f->plan, f->base, f->target, f->os, opt, NULL, &err),
	    AIRLOCK_OK);
}

static void make_plan(struct fixture *f, int full)
{
	make_plan_with(f, full, NULL);
}

static const struct airlock_plan_entry *entry(const struct fixture *f, const char *path)
{
	for (size_t i = 0; i < f->plan->nentries; i++)
		if (strcmp(f->plan->entries[i].target->path, path) == 0)
			return &f->plan->entries[i];
	fail_msg("no plan entry for '%s'", path);
	return NULL;
}

static uint8_t *concat(const struct fixture *f, const struct airlock_tree_entry **e, size_t n,
    uint64_t total)
{
	uint8_t *buf = malloc(total + 1);
	size_t off = 0;
	struct airlock_err err;
	airlock_err_init(&err);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d;
		size_t len;
		assert_int_equal(airlock_objstore_map(f->os, e[i]->hash, &d, &len, &err), AIRLOCK_OK);
		assert_int_equal(len, e[i]->size);
		memcpy(buf + off, d, len);
		off += len;
		if (d != NULL)
			munmap((void *)d, len);
	}
	assert_int_equal(off, total);
	return buf;
}

struct mem {
	uint8_t *p;
	size_t len, cap, pos;
};

static enum airlock_code mem_write(void *ctx, const void *buf, size_t len, struct airlock_err *err)
{
	struct mem *m = ctx;
	(void)err;
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return AIRLOCK_OK;
}

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct airlock_err *err)
{
	struct mem *m = ctx;
	(void)err;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

/* Encodes and decodes frame i as the importer would, and checks that each
 * member's slice has the member's hash. */
static void check_frame_content(const struct fixture *f, size_t i)
{
	const struct airlock_plan *p = f->plan;
	const struct airlock_plan_frame *fr = &p->frames[i];
	const struct airlock_tree_entry **t = malloc(fr->nmembers * sizeof *t);
	for (size_t k = 0; k < fr->nmembers; k++)
		t[k] = p->entries[fr->members[k]].target;
	uint8_t *base = concat(f, fr->bases, fr->nbases, fr->base_size);
	uint8_t *want = concat(f, t, fr->nmembers, fr->size);
	struct mem frame = { 0 }, out = { 0 };
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_delta_encode(base, fr->base_size, want, fr->size, 19,
	    (struct airlock_sink){ mem_write, &frame }, NULL, &err), AIRLOCK_OK);
	assert_int_equal(airlock_delta_decode(base, fr->base_size,
	    (struct airlock_source){ mem_read, &frame }, frame.len, fr->size,
	    airlock_delta_window_log(fr->size), (struct airlock_sink){ mem_write, &out }, &err),
	    AIRLOCK_OK);
	for (size_t k = 0; k < fr->nmembers; k++) {
		const struct airlock_plan_entry *pe = &p->entries[fr->members[k]];
		uint8_t h[AIRLOCK_HASH_BYTES];
		airlock_hash_buffer(h, out.p + pe->offset, pe->target->size);
		assert_memory_equal(h, pe->target->hash, AIRLOCK_HASH_BYTES);
	}
	free(t), free(base), free(want), free(frame.p), free(out.p);
}

/* Invariants of every plan: sorted distinct paths, members in manifest
 * order at cumulative offsets, sizes adding up, no empty base. */
static void check_plan(const struct fixture *f)
{
	const struct airlock_plan *p = f->plan;
	for (size_t i = 1; i < p->nentries; i++)
		assert_true(strcmp(p->entries[i - 1].target->path, p->entries[i].target->path) < 0);
	for (size_t i = 1; i < p->nremoved; i++)
		assert_true(strcmp(p->removed[i - 1]->path, p->removed[i]->path) < 0);
	for (size_t i = 0; i < p->nremoved; i++)
		assert_null(airlock_tree_find(f->target, p->removed[i]->path));
	for (size_t i = 0; i < p->nframes; i++) {
		const struct airlock_plan_frame *fr = &p->frames[i];
		uint64_t off = 0, bsum = 0;
		assert_true(fr->nmembers > 0 && fr->nbases > 0);
		for (size_t k = 0; k < fr->nbases; k++)
			bsum += fr->bases[k]->size;
		assert_int_equal(bsum, fr->base_size);
		assert_true(fr->base_size > 0);
		for (size_t k = 0; k < fr->nmembers; k++) {
			const struct airlock_plan_entry *pe = &p->entries[fr->members[k]];
			if (k > 0)
				assert_true(fr->members[k - 1] < fr->members[k]);
			assert_int_equal(pe->source, AIRLOCK_SRC_DELTA);
			assert_int_equal(pe->frame, i);
			assert_int_equal(pe->offset, off);
			off += pe->target->size;
		}
		assert_int_equal(off, fr->size);
		if (i > 0)
			assert_true(p->frames[i - 1].members[0] < fr->members[0]);
		check_frame_content(f, i);
	}
	for (size_t i = 0; i < p->nentries; i++) {
		const struct airlock_plan_entry *pe = &p->entries[i];
		if (pe->source == AIRLOCK_SRC_COPY)
			assert_memory_equal(pe->from->hash, pe->target->hash, AIRLOCK_HASH_BYTES);
		if (pe->source == AIRLOCK_SRC_SYMLINK)
			assert_int_equal(pe->target->type, AIRLOCK_ENTRY_SYMLINK);
	}
}

static void unchanged_entries_are_omitted(void **state)
{
	struct fixture *f = *state;
	char *t = text(50000, 1);
	for (int side = 0; side < 2; side++) {
		const char *s = side ? "target" : "base";
		put(s, "a/one.json", t);
		put(s, "two", "2");
		link_to(s, "link", "two");
	}
	make_plan(f, 0);
	check_plan(f);
	assert_int_equal(f->plan->nentries, 0);
	assert_int_equal(f->plan->nremoved, 0);
	assert_int_equal(f->plan->nframes, 0);
	free(t);
}

static void renames_and_mode_changes_are_copies(void **state)
{
	struct fixture *f = *state;
	char *t = text(30000, 2);
	put("base", "old/name.txt", t);
	put("target", "new/other.txt", t);
	put("base", "tool", "#!/bin/sh\n");
	put_bytes("target", "tool", "#!/bin/sh\n", 10, 0755);
	put("base", "keep", "k");
	put("target", "keep", "k");
	put("target", "dup", "k");
	make_plan(f, 0);
	check_plan(f);
	assert_int_equal(f->plan->nentries, 3);
	const struct airlock_plan_entry *e = entry(f, "new/other.txt");
	assert_int_equal(e->source, AIRLOCK_SRC_COPY);
	assert_string_equal(e->from->path, "old/name.txt");
	e = entry(f, "tool");
	assert_int_equal(e->source, AIRLOCK_SRC_COPY);
	assert_string_equal(e->from->path, "tool");
	assert_int_equal(e->target->mode, 0755);
	e = entry(f, "dup");
	assert_int_equal(e->source, AIRLOCK_SRC_COPY);
	assert_string_equal(e->from->path, "keep");
	assert_int_equal(f->plan->nremoved, 1);
	assert_string_equal(f->plan->removed[0]->path, "old/name.txt");
	free(t);
}

static void small_changed_files_share_one_frame(void **state)
{
	struct fixture *f = *state;
	char name[64];
	for (int i = 0; i < 12; i++) {
		char *t = text(8000 + 100 * i, (uint32_t)i + 10);
		snprintf(name, sizeof name, "data/f%02d.json", i);
		put("base", name, t);
		memcpy(t + 4000, "CHANGED", 7);
		put("target", name, t);
		free(t);
	}
	make_plan(f, 0);
	check_plan(f);
	assert_int_equal(f->plan->nentries, 12);
	assert_int_equal(f->plan->nframes, 1);
	assert_int_equal(f->plan->frames[0].nmembers, 12);
	assert_int_equal(f->plan->frames[0].nbases, 12);
	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof name, "data/f%02d.json", i);
		assert_string_equal(f->plan->frames[0].bases[i]->path, name);
	}
}

static void files_over_the_group_budget_get_their_own_frames(void **state)
{
	struct fixture *f = *state;
	char *big = text(1200000, 3), *big2 = text(1300000, 4), *s = text(9000, 5);
	put("base", "big1", big);
	put("base", "big2", big2);
	put("base", "small", s);
	big[600000] = 'X';
	big2[1000] = 'Y';
	s[10] = 'Z';
	put("target", "big1", big);
	put("target", "big2", big2);
	put("target", "small", s);
	put("base", "small2", s + 1000);
	put("target", "small2", s + 10);
	/* by default all fit into one frame */
	make_plan(f, 0);
	check_plan(f);
	assert_int_equal(f->plan->nframes, 1);
	assert_int_equal(f->plan->frames[0].nmembers, 4);
	/* the memory target follows the largest file coded (big2, 1.3 MB) */
	assert_int_equal(airlock_plan_largest_delta(f->plan), 1300000);
	assert_int_equal(airlock_plan_memory_bound(f->plan), AIRLOCK_MEMORY_BASE + 2600000);
	/* and the default group budget from it holds the whole frame */
	assert_true(f->plan->frames[0].size + f->plan->frames[0].base_size <=
	    2 * 1300000 + AIRLOCK_PLAN_GROUP_EXTRA);
	airlock_plan_free(f->plan);
	airlock_tree_free(f->base);
	airlock_tree_free(f->target);
	airlock_objstore_free(f->os);
	/* with a 2 MiB budget each big file (2.4 MB with its base) is alone */
	struct airlock_plan_options opt = { .level = 19, .group_max = 2 << 20 };
	make_plan_with(f, 0, &opt);
	check_plan(f);
	assert_int_equal(f->plan->nframes, 3);
	assert_int_equal(f->plan->frames[0].nmembers, 1);
	assert_int_equal(f->plan->frames[1].nmembers, 1);
	assert_int_equal(f->plan->frames[2].nmembers, 2);
	assert_string_equal(f->plan->frames[2].bases[1]->path, "small2");
	free(big), free(big2), free(s);
}

static void empty_bases_new_files_and_bad_deltas_travel_whole(void **state)
{
	struct fixture *f = *state;
	char *t = text(20000, 6), *r1 = random_bytes(40000, 7), *r2 = random_bytes(40000, 8);
	put("base", "was-empty", "");
	put("target", "was-empty", t);
	put("target", "brand-new.bin", "something entirely new");
	put("target", "new-empty", "");
	put("base", "noise", r1);
	put("target", "noise", r2);       /* unrelated content: the delta cannot win */
	put("base", "link", "was a file");
	link_to("target", "link", "noise");
	make_plan(f, 0);
	check_plan(f);
	assert_int_equal(f->plan->nframes, 0);
	assert_int_equal(entry(f, "was-empty")->source, AIRLOCK_SRC_WHOLE);
	assert_int_equal(entry(f, "brand-new.bin")->source, AIRLOCK_SRC_WHOLE);
	assert_int_equal(entry(f, "new-empty")->source, AIRLOCK_SRC_WHOLE);
	assert_int_equal(entry(f, "noise")->source, AIRLOCK_SRC_WHOLE);
	assert_int_equal(entry(f, "link")->source, AIRLOCK_SRC_SYMLINK);
	free(t), free(r1), free(r2);
}

static void symlinks_and_removals(void **state)
{
	struct fixture *f = *state;
	put("base", "a", "a");
	put("base", "b", "b");
	put("target", "b", "b");
	put("base", "gone/x", "x");
	put("base", "gone/y", "y");
	link_to("base", "l-same", "b");
	link_to("target", "l-same", "b");
	link_to("base", "l-moved", "a");
	link_to("target", "l-moved", "b");
	link_to("target", "l-new", "b");
	make_plan(f, 0);
	check_plan(f);
	assert_int_equal(f->plan->nentries, 2);
	assert_int_equal(entry(f, "l-moved")->source, AIRLOCK_SRC_SYMLINK);
	assert_string_equal(entry(f, "l-new")->target->link_target, "b");
	assert_int_equal(f->plan->nremoved, 3);
	assert_string_equal(f->plan->removed[0]->path, "a");
	assert_string_equal(f->plan->removed[1]->path, "gone/x");
	assert_string_equal(f->plan->removed[2]->path, "gone/y");
}

/* Release builds rename files after their content hash every time. */
static void hash_named_files_find_their_predecessor(void **state)
{
	struct fixture *f = *state;
	char *t = text(60000, 9), *u = text(60000, 10);
	put("base", "js/app.3f9a2c1d.js", t);
	put("base", "js/vendor.0be4aa17.js", u);
	t[30000] = '#';
	put("target", "js/app.77b0e4aa.js", t);
	u[100] = '#';
	put("target", "lib/vendor-2.1.9.js", u);    /* moved, and versioned */
	make_plan(f, 0);
	check_plan(f);
	assert_int_equal(f->plan->nframes, 1);
	assert_int_equal(entry(f, "js/app.77b0e4aa.js")->source, AIRLOCK_SRC_DELTA);
	assert_int_equal(entry(f, "lib/vendor-2.1.9.js")->source, AIRLOCK_SRC_DELTA);
	assert_string_equal(f->plan->frames[0].bases[0]->path, "js/app.3f9a2c1d.js");
	assert_string_equal(f->plan->frames[0].bases[1]->path, "js/vendor.0be4aa17.js");
	assert_int_equal(f->plan->nremoved, 2);
	free(t), free(u);
}

/* A file moved to a name with nothing in common with its old one, and
 * edited: no name matches, its content does (DESIGN: "similarity matching
 * by content, not by name"). A new file like nothing in the base stays
 * whole. */
static void renamed_and_edited_files_find_their_base_by_content(void **state)
{
	struct fixture *f = *state;
	char *a = random_bytes(40000, 21), *b = random_bytes(40000, 22), *c = random_bytes(40000, 23);
	put_bytes("base", "rules/emerging-malware.rules", a, 40000, 0644);
	put_bytes("base", "rules/emerging-policy.rules", b, 40000, 0644);
	memcpy(b + 20000, "an analyst's edit", 17);
	put_bytes("target", "rules/emerging-malware.rules", a, 40000, 0644);
	put_bytes("target", "sigs/2024/policy-set.dat", b, 40000, 0644);
	put_bytes("target", "fresh.bin", c, 40000, 0644);
	make_plan(f, 0);
	check_plan(f);
	assert_int_equal(f->plan->nentries, 2);
	const struct airlock_plan_entry *e = entry(f, "sigs/2024/policy-set.dat");
	assert_int_equal(e->source, AIRLOCK_SRC_DELTA);
	assert_string_equal(e->base->path, "rules/emerging-policy.rules");
	assert_int_equal(entry(f, "fresh.bin")->source, AIRLOCK_SRC_WHOLE);
	free(a), free(b), free(c);
}

/* On a large base only files gone from the target are read for content
 * matching (a rename or move), not the whole version: the work stays
 * proportional to the change. A small base is read whole, so a new file
 * can also start from a file that is still there. */
static void content_matching_reads_a_large_base_only_where_it_changed(void **state)
{
	struct fixture *f = *state;
	char *a = random_bytes(40000, 31), *b = random_bytes(40000, 32);
	put_bytes("base", "rules/kept.rules", a, 40000, 0644);
	put_bytes("base", "rules/old.rules", b, 40000, 0644);
	put_bytes("target", "rules/kept.rules", a, 40000, 0644);
	memcpy(a + 100, "a variant", 9);
	put_bytes("target", "x/variant.dat", a, 40000, 0644);   /* like a file still there */
	memcpy(b + 100, "an edit", 7);
	put_bytes("target", "y/moved.dat", b, 40000, 0644);     /* like a file removed */
	make_plan(f, 0);
	check_plan(f);
	assert_string_equal(entry(f, "x/variant.dat")->base->path, "rules/kept.rules");
	assert_string_equal(entry(f, "y/moved.dat")->base->path, "rules/old.rules");
	airlock_plan_free(f->plan);
	struct airlock_plan_options opt = { .content_scan_max = 1 };
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_plan_make(&f->plan, f->base, f->target, f->os, &opt, NULL, &err),
	    AIRLOCK_OK);
	check_plan(f);
	assert_int_equal(entry(f, "x/variant.dat")->source, AIRLOCK_SRC_WHOLE);
	assert_int_equal(entry(f, "y/moved.dat")->source, AIRLOCK_SRC_DELTA);
	assert_string_equal(entry(f, "y/moved.dat")->base->path, "rules/old.rules");
	free(a), free(b);
}

static void full_bundle_is_all_whole(void **state)
{
	struct fixture *f = *state;
	put("target", "a", "a");
	put("target", "d/b", "b");
	link_to("target", "l", "a");
	make_plan(f, 1);
	check_plan(f);
	assert_int_equal(f->plan->nentries, 3);
	assert_int_equal(f->plan->nremoved, 0);
	assert_int_equal(entry(f, "a")->source, AIRLOCK_SRC_WHOLE);
	assert_int_equal(entry(f, "d/b")->source, AIRLOCK_SRC_WHOLE);
	assert_int_equal(entry(f, "l")->source, AIRLOCK_SRC_SYMLINK);
	/* nothing is delta-coded: the memory target is its fixed part */
	assert_int_equal(airlock_plan_largest_delta(f->plan), 0);
	assert_int_equal(airlock_plan_memory_bound(f->plan), AIRLOCK_MEMORY_BASE);
}

static int cancel_at_once(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	(void)ctx, (void)stage, (void)done, (void)total;
	return 1;
}

static void planning_can_be_cancelled(void **state)
{
	struct fixture *f = *state;
	char *t = text(9000, 11);
	put("base", "x", t);
	t[5] = '!';
	put("target", "x", t);
	make_plan(f, 0);
	struct airlock_plan *p = (struct airlock_plan *)&p;
	struct airlock_progress prog = { .fn = cancel_at_once };
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_plan_make(&p, f->base, f->target, f->os, NULL, &prog, &err),
	    AIRLOCK_E_CANCELLED);
	assert_null(p);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(unchanged_entries_are_omitted, setup, teardown),
		cmocka_unit_test_setup_teardown(renames_and_mode_changes_are_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(small_changed_files_share_one_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(files_over_the_group_budget_get_their_own_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_bases_new_files_and_bad_deltas_travel_whole,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(symlinks_and_removals, setup, teardown),
		cmocka_unit_test_setup_teardown(hash_named_files_find_their_predecessor, setup, teardown),
		cmocka_unit_test_setup_teardown(renamed_and_edited_files_find_their_base_by_content,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(content_matching_reads_a_large_base_only_where_it_changed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(full_bundle_is_all_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(planning_can_be_cancelled, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
