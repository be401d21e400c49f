/* test_manifest.c - MANIFEST.json written from a plan reads back the
 * same, and a table of malformed manifests is refused, each with its own
 * message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/manifest.h"
#include "../helpers/mutate.h"

/* base: a.txt, dir/big.bin, old.txt; target: a.txt (delta), b.txt (whole),
 * c.txt (copy of old.txt), dir/big.bin (delta), link -> dir/big.bin. */
static struct airlock_tree_entry base_e[3] = {
	{ "a.txt", AIRLOCK_ENTRY_FILE, 0644, 10, { 0 }, NULL },
	{ "dir/big.bin", AIRLOCK_ENTRY_FILE, 0644, 100, { 0 }, NULL },
	{ "old.txt", AIRLOCK_ENTRY_FILE, 0644, 5, { 0 }, NULL },
};
static struct airlock_tree_entry tgt_e[5] = {
	{ "a.txt", AIRLOCK_ENTRY_FILE, 0755, 12, { 0 }, NULL },
	{ "b.txt", AIRLOCK_ENTRY_FILE, 0644, 3, { 0 }, NULL },
	{ "c.txt", AIRLOCK_ENTRY_FILE, 0644, 5, { 0 }, NULL },
	{ "dir/big.bin", AIRLOCK_ENTRY_FILE, 0644, 120, { 0 }, NULL },
	{ "link", AIRLOCK_ENTRY_SYMLINK, 0777, 11, { 0 }, "dir/big.bin" },
};

struct fx {
	const struct airlock_tree_entry *removed[1];
	struct airlock_plan_entry entries[5];
	const struct airlock_tree_entry *bases[2];
	size_t members[2];
	struct airlock_plan_frame frames[1];
	struct airlock_plan plan;
	struct airlock_bundle_header hdr;
	char *json;
	size_t len;
};

static void make_plan(struct fx *f)
{
	f->removed[0] = &base_e[2];
	f->entries[0] = (struct airlock_plan_entry){ &tgt_e[0], AIRLOCK_SRC_DELTA, NULL, 0, 0,
		&base_e[0] };
	f->entries[1] = (struct airlock_plan_entry){ &tgt_e[1], AIRLOCK_SRC_WHOLE, NULL, 0, 0, NULL };
	f->entries[2] = (struct airlock_plan_entry){ &tgt_e[2], AIRLOCK_SRC_COPY, &base_e[2], 0, 0,
		NULL };
	f->entries[3] = (struct airlock_plan_entry){ &tgt_e[3], AIRLOCK_SRC_DELTA, NULL, 0, 12,
		&base_e[1] };
	f->entries[4] = (struct airlock_plan_entry){ &tgt_e[4], AIRLOCK_SRC_SYMLINK, NULL, 0, 0, NULL };
	f->bases[0] = &base_e[0];
	f->bases[1] = &base_e[1];
	f->members[0] = 0;
	f->members[1] = 3;
	f->frames[0] = (struct airlock_plan_frame){ f->bases, 2, 110, f->members, 2, 132 };
	f->plan = (struct airlock_plan){ f->removed, 1, f->entries, 5, f->frames, 1 };
}

static void make_header(struct airlock_bundle_header *h)
{
	airlock_header_init(h);
	strcpy(h->feed, "rules");
	h->has_base = 1;
	h->base_version = 3;
	memset(h->base_tree, 0xab, sizeof(h->base_tree));
	h->target_version = 4;
	memset(h->target_tree, 0xcd, sizeof(h->target_tree));
	h->target_files = 5;
	h->target_bytes = 140;
	h->entries = 3;      /* MANIFEST.json, files/b.txt, deltas/000000.zst */
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct airlock_err err;
	airlock_err_init(&err);
	make_plan(f);
	make_header(&f->hdr);
	assert_int_equal(airlock_manifest_write(&f->plan, &f->hdr, &f->json, &f->len, &err),
	    AIRLOCK_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	free(f->json);
	free(f);
	return 0;
}

static void test_roundtrip(void **state)
{
	struct fx *f = *state;
	struct airlock_manifest *m;
	struct airlock_err err;
	const struct airlock_manifest_entry *e;
	const struct airlock_manifest_frame *fr;
	airlock_err_init(&err);
	assert_null(strchr(f->json, '\n'));
	assert_null(strstr(f->json, ": "));
	assert_non_null(strstr(f->json, "{\"format\":\"airlock-manifest\",\"format_version\":1,"
	    "\"feed\":\"rules\",\"base\":3,\"target\":4,\"removed\""));
	/* the trees are the signed header's business, not repeated here */
	assert_null(strstr(f->json, "\"tree\""));
	/* no bases, no offsets, no default type or mode, no base equal to the path */
	assert_non_null(strstr(f->json, "\"removed\":[\"old.txt\"],\"frames\":[{\"name\":"
	    "\"deltas/000000.zst\",\"size\":132}],\"entries\":[{\"path\":\"a.txt\","
	    "\"mode\":\"0755\",\"size\":12,\"source\":\"delta\",\"frame\":0},"
	    "{\"path\":\"b.txt\",\"size\":3,\"source\":\"whole\"},"
	    "{\"path\":\"c.txt\",\"size\":5,\"source\":\"copy\",\"from\":\"old.txt\"},"
	    "{\"path\":\"dir/big.bin\",\"size\":120,\"source\":\"delta\",\"frame\":0},"));
	assert_non_null(strstr(f->json, "{\"path\":\"link\",\"type\":\"symlink\",\"target\":"
	    "\"dir/big.bin\"}"));
	assert_int_equal(airlock_manifest_parse(&m, f->json, f->len, &f->hdr, &err), AIRLOCK_OK);
	assert_int_equal(airlock_manifest_removed_count(m), 1);
	assert_string_equal(airlock_manifest_removed_at(m, 0), "old.txt");
	assert_int_equal(airlock_manifest_entry_count(m), 5);
	assert_int_equal(airlock_manifest_whole_count(m), 1);
	e = airlock_manifest_entry_at(m, 0);
	assert_string_equal(e->path, "a.txt");
	assert_int_equal(e->source, AIRLOCK_SRC_DELTA);
	assert_int_equal(e->mode, 0755);
	assert_int_equal(e->size, 12);
	assert_int_equal(e->offset, 0);
	assert_string_equal(e->base, "a.txt");
	e = airlock_manifest_entry_at(m, 1);
	assert_int_equal(e->type, AIRLOCK_ENTRY_FILE);
	assert_int_equal(e->mode, 0644);
	assert_null(e->base);
	e = airlock_manifest_entry_at(m, 2);
	assert_int_equal(e->source, AIRLOCK_SRC_COPY);
	assert_string_equal(e->from, "old.txt");
	e = airlock_manifest_entry_at(m, 3);
	assert_int_equal(e->frame, 0);
	assert_int_equal(e->offset, 12);
	e = airlock_manifest_entry_at(m, 4);
	assert_int_equal(e->type, AIRLOCK_ENTRY_SYMLINK);
	assert_string_equal(e->link_target, "dir/big.bin");
	assert_int_equal(e->size, 11);
	assert_null(airlock_manifest_entry_at(m, 5));
	assert_int_equal(airlock_manifest_frame_count(m), 1);
	fr = airlock_manifest_frame_at(m, 0);
	assert_string_equal(fr->name, "deltas/000000.zst");
	assert_int_equal(fr->nbases, 2);
	assert_string_equal(fr->bases[0], "a.txt");
	assert_string_equal(fr->bases[1], "dir/big.bin");
	assert_int_equal(fr->size, 132);
	assert_int_equal(fr->first_member, 0);
	assert_int_equal(fr->nmembers, 2);
	airlock_manifest_free(m);
}

static void test_full_bundle(void **state)
{
	struct airlock_plan_entry pe[1] = { { &tgt_e[1], AIRLOCK_SRC_WHOLE, NULL, 0, 0, NULL } };
	struct airlock_plan p = { NULL, 0, pe, 1, NULL, 0 };
	struct airlock_bundle_header h;
	struct airlock_manifest *m;
	struct airlock_err err;
	char *json;
	size_t len;
	airlock_err_init(&err);
	make_header(&h);
	h.has_base = 0;
	h.entries = 2;
	assert_int_equal(airlock_manifest_write(&p, &h, &json, &len, &err), AIRLOCK_OK);
	assert_non_null(strstr(json, "\"base\":null"));
	assert_non_null(strstr(json, "\"removed\":[],\"frames\":[]"));
	assert_int_equal(airlock_manifest_parse(&m, json, len, &h, &err), AIRLOCK_OK);
	airlock_manifest_free(m);
	free(json);
}

struct bad {
	const char *from, *to, *msg;
};

static const struct bad bads[] = {
	{ "airlock-manifest", "airlock-bundle", "format is not" },
	{ "\"format_version\":1", "\"format_version\":2", "format_version is not 1" },
	{ "\"feed\":\"rules\"", "\"feed\":\"other\"", "feed differs from the signed header" },
	{ "\"base\":3", "\"base\":2", "base differs from the signed header" },
	{ "\"base\":3", "\"base\":null", "base differs from the signed header" },
	{ "\"base\":3", "\"base\":\"3\"", "base differs from the signed header" },
	{ "\"base\":3", "\"base\":{\"version\":3}", "base differs from the signed header" },
	{ "\"base\":3", "\"base\":3,\"b\":3", "unknown key 'b' in the manifest" },
	{ "\"target\":4", "\"target\":5", "target differs" },
	{ "\"target\":4", "\"target\":null", "target differs" },
	{ "\"removed\":[\"old.txt\"]", "\"removed\":[\"../old.txt\"]", "removed path '../old.txt'" },
	{ "\"removed\":[\"old.txt\"]", "\"removed\":[\"/old.txt\"]", "removed path '/old.txt'" },
	{ "\"removed\":[\"old.txt\"]", "\"removed\":[\"old.txt\",\"old.txt\"]", "removed is not sorted and distinct" },
	{ "\"removed\":[\"old.txt\"]", "\"removed\":[\"z\",\"old.txt\"]", "removed is not sorted and distinct" },
	{ "\"removed\":[\"old.txt\"]", "\"removed\":[\"b.txt\"]", "'b.txt' is both removed and an entry" },
	{ "\"removed\":[\"old.txt\"]", "\"removed\":[5]", "removed path '' is not a string" },
	{ "\"removed\":[\"old.txt\"]", "\"removed\":{}", "removed is not an array" },
	{ "\"removed\":[\"old.txt\"]", "\"removed\":[\"a\\u0000b\"]", "not valid JSON" },
	{ "\"removed\":[\"old.txt\"]", "\"removed\":[\"a//b\"]", "removed path 'a//b'" },
	{ "deltas/000000.zst", "deltas/000001.zst", "frame 0 is not named deltas/000000.zst" },
	{ "deltas/000000.zst", "files/000000.zst", "frame 0 is not named" },
	{ "\"name\":\"deltas/000000.zst\",", "\"name\":\"deltas/000000.zst\",\"bases\":[\"a.txt\"],", "unknown key 'bases' in frame 0" },
	{ "\"size\":132}", "\"size\":133}", "frame 0 is not exactly filled" },
	{ "\"size\":132}", "\"size\":131}", "entry 'dir/big.bin' does not fit in frame 0" },
	{ "\"size\":132}", "\"size\":2147483649}", "size of frame 0 is out of range" },
	{ "\"size\":132}", "\"size\":\"132\"}", "size of frame 0 is not an integer" },
	{ ",\"size\":132}", "}", "missing key 'size' in frame 0" },
	{ "\"size\":132}", "\"size\":132,\"extra\":0}", "unknown key 'extra' in frame 0" },
	{ "\"path\":\"b.txt\"", "\"path\":\"a.txt\"", "entries are not sorted and distinct at 'a.txt'" },
	{ "\"path\":\"b.txt\"", "\"path\":\"b\\u0001.txt\"", "entry path" },
	{ "\"path\":\"link\",\"type\":\"symlink\",\"target\":\"dir/big.bin\"",
	  "\"path\":\"link\",\"type\":\"symlink\",\"target\":\"../x\"", "leaves the tree" },
	{ "\"target\":\"dir/big.bin\"", "\"target\":\"/etc/passwd\"", "leaves the tree" },
	{ "\"target\":\"dir/big.bin\"", "\"target\":\"dir/../../x\"", "leaves the tree" },
	{ "\"target\":\"dir/big.bin\"", "\"target\":\"\"", "leaves the tree" },
	{ "\"type\":\"symlink\"", "\"type\":\"hardlink\"", "type of entry 'link' is not" },
	{ "\"type\":\"symlink\"", "\"type\":\"file\"", "type of entry 'link' is not" },
	{ "\"type\":\"symlink\",\"target\":\"dir/big.bin\"", "\"type\":\"symlink\",\"target\":\"dir/big.bin\",\"mode\":\"0644\"", "unknown key 'mode' in entry 'link'" },
	{ "\"path\":\"link\",\"type\":\"symlink\",", "\"path\":\"link\",", "size of entry 'link' is not an integer" },
	/* defaults are left out, never spelled */
	{ "{\"path\":\"b.txt\",", "{\"path\":\"b.txt\",\"type\":\"file\",", "type of entry 'b.txt' is not \"symlink\"" },
	{ "{\"path\":\"b.txt\",", "{\"type\":5,\"path\":\"b.txt\",", "type of entry 'b.txt' is not" },
	{ "{\"path\":\"b.txt\",", "{\"path\":\"b.txt\",\"mode\":\"0644\",", "mode of entry 'b.txt' is not \"0755\"" },
	{ "\"mode\":\"0755\"", "\"mode\":\"4755\"", "mode of entry 'a.txt' is not" },
	{ "\"mode\":\"0755\"", "\"mode\":493", "mode of entry 'a.txt' is not" },
	{ "\"mode\":\"0755\"", "\"mode\":null", "mode of entry 'a.txt' is not" },
	{ "\"size\":3,\"source\":\"whole\"", "\"size\":-3,\"source\":\"whole\"", "size of entry 'b.txt' is out of range" },
	{ "\"size\":3,\"source\":\"whole\"", "\"size\":4294967297,\"source\":\"whole\"", "size of entry 'b.txt' is out of range" },
	{ "\"size\":3,\"source\":\"whole\"", "\"source\":\"whole\"", "size of entry 'b.txt' is not an integer" },
	{ "\"source\":\"whole\"", "\"source\":\"zero\"", "source of entry 'b.txt' is not whole" },
	{ "\"size\":3,\"source\":\"whole\"", "\"size\":3", "source of entry 'b.txt' is not a string" },
	{ "\"source\":\"whole\"", "\"source\":\"whole\",\"from\":\"x\"", "unknown key 'from' in entry 'b.txt'" },
	{ "\"source\":\"whole\"", "\"source\":\"whole\",\"base\":\"a.txt\"", "unknown key 'base' in entry 'b.txt'" },
	{ "\"from\":\"old.txt\"", "\"from\":\"../etc\"", "copy source '../etc'" },
	{ "\"from\":\"old.txt\"", "\"from\":\"old.txt\",\"base\":\"a.txt\"", "unknown key 'base' in entry 'c.txt'" },
	{ "\"source\":\"copy\",\"from\":\"old.txt\"", "\"source\":\"copy\"", "missing key 'from' in entry 'c.txt'" },
	/* delta entries: no offset (derived), base only when it is another path */
	{ "\"frame\":0}", "\"frame\":1}", "frame of entry 'a.txt' is out of range" },
	{ "\"frame\":0}", "\"frame\":-1}", "frame of entry 'a.txt' is out of range" },
	{ ",\"frame\":0}", "}", "missing key 'frame' in entry 'a.txt'" },
	{ "\"frame\":0}", "\"frame\":0,\"offset\":0}", "unknown key 'offset' in entry 'a.txt'" },
	{ "\"size\":120,\"source\":\"delta\",\"frame\":0}", "\"size\":120,\"source\":\"delta\",\"frame\":0,\"base\":\"dir/big.bin\"}", "base of entry 'dir/big.bin' is its own path" },
	{ "\"size\":120,\"source\":\"delta\",\"frame\":0}", "\"size\":120,\"source\":\"delta\",\"frame\":0,\"base\":\"../x\"}", "delta base '../x'" },
	{ "\"size\":120,\"source\":\"delta\",\"frame\":0}", "\"size\":120,\"source\":\"delta\",\"frame\":0,\"base\":\"/x\"}", "delta base '/x'" },
	{ "\"size\":120,\"source\":\"delta\",\"frame\":0}", "\"size\":120,\"source\":\"delta\",\"frame\":0,\"base\":5}", "delta base '' is not a string" },
	{ "\"size\":120,\"source\":\"delta\",\"frame\":0}", "\"size\":120,\"source\":\"delta\",\"frame\":0,\"base\":\"\"}", "delta base ''" },
	{ "\"size\":12,", "\"size\":13,", "entry 'dir/big.bin' does not fit in frame 0" },
	{ "\"size\":120", "\"size\":121", "entry 'dir/big.bin' does not fit in frame 0" },
	{ "\"size\":120", "\"size\":119", "frame 0 is not exactly filled" },
	{ "\"size\":12,", "\"size\":4000000000,", "entry 'a.txt' does not fit in frame 0" },
	{ "\"entries\":[", "\"entries\":{},\"e\":[", "unknown key 'e'" },
	{ "\"feed\":\"rules\"", "\"feed\":\"rules\",\"feed\":\"rules\"", "duplicate" },
	{ "{\"format\"", "[\"format\"", "not valid JSON" },
};

static void test_malformed_table(void **state)
{
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct airlock_manifest *m = (void *)1;
		struct airlock_err err;
		size_t len;
		char *bad = test_mutate(f->json, bads[i].from, bads[i].to, &len);
		airlock_err_init(&err);
		if (airlock_manifest_parse(&m, bad, len, &f->hdr, &err) != AIRLOCK_E_VERIFY)
			fail_msg("case %zu (%s) was accepted", i, bads[i].to);
		if (strstr(err.msg, bads[i].msg) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, bads[i].msg);
		assert_null(m);
		free(bad);
	}
}

static void test_header_counts(void **state)
{
	struct fx *f = *state;
	struct airlock_manifest *m;
	struct airlock_err err;
	airlock_err_init(&err);
	f->hdr.entries = 4;
	assert_int_equal(airlock_manifest_parse(&m, f->json, f->len, &f->hdr, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "do not make the 4 payload entries"));
	airlock_err_init(&err);
	f->hdr.entries = 3;
	f->hdr.target_version = 5;
	assert_int_equal(airlock_manifest_parse(&m, f->json, f->len, &f->hdr, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "target differs"));
}

static void test_truncations(void **state)
{
	struct fx *f = *state;
	for (size_t n = 0; n < f->len; n += 3) {
		struct airlock_manifest *m;
		struct airlock_err err;
		airlock_err_init(&err);
		assert_int_equal(airlock_manifest_parse(&m, f->json, n, &f->hdr, &err), AIRLOCK_E_VERIFY);
	}
}

/* A frame that no entry references would decode to nothing anyone uses. */
static void test_unreferenced_frame(void **state)
{
	struct fx *f = *state;
	size_t len;
	struct airlock_manifest *m;
	struct airlock_err err;
	char *bad = test_mutate(f->json, "\"size\":132}]",
	    "\"size\":132},{\"name\":\"deltas/000001.zst\",\"size\":0}]", &len);
	airlock_err_init(&err);
	f->hdr.entries = 4;
	assert_int_equal(airlock_manifest_parse(&m, bad, len, &f->hdr, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "frame 1 is not exactly filled"));
	free(bad);
}

/* Two frames whose members interleave, a base named explicitly because it
 * is another path, and a base shared by two members: the reader derives
 * offsets per frame and bases = members' bases in order, repeats dropped.
 * Frame 0: a.txt (base a.txt), c.txt (base a.txt again);
 * frame 1: b.txt (base old.txt), dir/big.bin (base dir/big.bin). */
struct two {
	struct airlock_plan_entry pe[4];
	const struct airlock_tree_entry *b0[1], *b1[2];
	size_t m0[2], m1[2];
	struct airlock_plan_frame fr[2];
	struct airlock_plan p;
	struct airlock_bundle_header h;
};

static void make_two(struct two *t)
{
	t->pe[0] = (struct airlock_plan_entry){ &tgt_e[0], AIRLOCK_SRC_DELTA, NULL, 0, 0, &base_e[0] };
	t->pe[1] = (struct airlock_plan_entry){ &tgt_e[1], AIRLOCK_SRC_DELTA, NULL, 1, 0, &base_e[2] };
	t->pe[2] = (struct airlock_plan_entry){ &tgt_e[2], AIRLOCK_SRC_DELTA, NULL, 0, 12, &base_e[0] };
	t->pe[3] = (struct airlock_plan_entry){ &tgt_e[3], AIRLOCK_SRC_DELTA, NULL, 1, 3, &base_e[1] };
	t->b0[0] = &base_e[0];
	t->b1[0] = &base_e[2];
	t->b1[1] = &base_e[1];
	t->m0[0] = 0;
	t->m0[1] = 2;
	t->m1[0] = 1;
	t->m1[1] = 3;
	t->fr[0] = (struct airlock_plan_frame){ t->b0, 1, 10, t->m0, 2, 17 };
	t->fr[1] = (struct airlock_plan_frame){ t->b1, 2, 105, t->m1, 2, 123 };
	t->p = (struct airlock_plan){ NULL, 0, t->pe, 4, t->fr, 2 };
	make_header(&t->h);
	t->h.entries = 3;   /* MANIFEST.json and two frames */
}

static void test_derived_bases(void **state)
{
	struct two t;
	struct airlock_manifest *m;
	struct airlock_err err;
	const struct airlock_manifest_frame *fr;
	char *json;
	size_t len;
	(void)state;
	airlock_err_init(&err);
	make_two(&t);
	assert_int_equal(airlock_manifest_write(&t.p, &t.h, &json, &len, &err), AIRLOCK_OK);
	assert_non_null(strstr(json, "{\"path\":\"b.txt\",\"size\":3,\"source\":\"delta\","
	    "\"frame\":1,\"base\":\"old.txt\"}"));
	assert_non_null(strstr(json, "{\"path\":\"c.txt\",\"size\":5,\"source\":\"delta\","
	    "\"frame\":0,\"base\":\"a.txt\"}"));
	assert_non_null(strstr(json, "{\"path\":\"dir/big.bin\",\"size\":120,\"source\":\"delta\","
	    "\"frame\":1}"));
	assert_int_equal(airlock_manifest_parse(&m, json, len, &t.h, &err), AIRLOCK_OK);
	assert_string_equal(airlock_manifest_entry_at(m, 1)->base, "old.txt");
	assert_int_equal(airlock_manifest_entry_at(m, 1)->offset, 0);
	assert_int_equal(airlock_manifest_entry_at(m, 2)->offset, 12);
	assert_int_equal(airlock_manifest_entry_at(m, 3)->offset, 3);
	assert_string_equal(airlock_manifest_entry_at(m, 3)->base, "dir/big.bin");
	fr = airlock_manifest_frame_at(m, 0);
	assert_int_equal(fr->nbases, 1);
	assert_string_equal(fr->bases[0], "a.txt");
	assert_int_equal(fr->first_member, 0);
	assert_int_equal(fr->nmembers, 2);
	assert_int_equal(fr->size, 17);
	fr = airlock_manifest_frame_at(m, 1);
	assert_int_equal(fr->nbases, 2);
	assert_string_equal(fr->bases[0], "old.txt");
	assert_string_equal(fr->bases[1], "dir/big.bin");
	assert_int_equal(fr->first_member, 1);
	assert_int_equal(fr->nmembers, 2);
	airlock_manifest_free(m);
	free(json);
}

/* The writer refuses a plan the reader could not rebuild exactly. */
static void expect_internal(struct two *t)
{
	struct airlock_err err;
	char *json = (void *)1;
	size_t len;
	airlock_err_init(&err);
	assert_int_equal(airlock_manifest_write(&t->p, &t->h, &json, &len, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "internal"));
}

static void test_writer_refuses_underivable(void **state)
{
	struct two t;
	(void)state;
	make_two(&t);
	t.b1[0] = &base_e[1];          /* bases out of member order */
	t.b1[1] = &base_e[2];
	expect_internal(&t);
	make_two(&t);
	t.fr[1].nbases = 1;            /* a member's base missing */
	expect_internal(&t);
	make_two(&t);
	t.b0[0] = &base_e[2];          /* a base no member uses */
	expect_internal(&t);
	make_two(&t);
	t.pe[3].offset = 4;            /* not the running offset */
	expect_internal(&t);
	make_two(&t);
	t.fr[0].size = 18;             /* frame size is not the sum */
	expect_internal(&t);
	make_two(&t);
	t.pe[2].base = NULL;           /* delta entry without its base */
	expect_internal(&t);
	make_two(&t);
	t.m1[0] = 3;                   /* members not in entry order */
	t.m1[1] = 1;
	expect_internal(&t);
	make_two(&t);
	t.m0[1] = 1;                   /* a member of another frame */
	expect_internal(&t);
	make_two(&t);
	t.fr[1].nmembers = 1;          /* a delta entry in no frame's members */
	t.fr[1].size = 3;
	t.fr[1].nbases = 1;
	expect_internal(&t);
	make_two(&t);
	t.pe[0].frame = 5;             /* a frame index out of range */
	expect_internal(&t);
	make_two(&t);
	t.fr[0].nmembers = 0;          /* an empty frame */
	t.fr[0].nbases = 0;
	t.fr[0].size = 0;
	expect_internal(&t);
}

/* A manifest where every member of a frame names the same other base,
 * many times: kept once (and in linear time). */
static void test_repeated_base(void **state)
{
	enum { N = 2000 };
	struct airlock_bundle_header h;
	struct airlock_manifest *m;
	struct airlock_err err;
	char *json;
	size_t n;
	(void)state;
	make_header(&h);
	h.target_files = N;
	h.entries = 2;
	struct airlock_plan_entry *pe = calloc(N, sizeof(*pe));
	struct airlock_tree_entry *te = calloc(N, sizeof(*te));
	char (*names)[16] = calloc(N, sizeof(*names));
	size_t *mem = calloc(N, sizeof(*mem));
	const struct airlock_tree_entry *fb[1] = { &base_e[0] };
	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "f%05zu", i);
		te[i] = (struct airlock_tree_entry){ names[i], AIRLOCK_ENTRY_FILE, 0644, 1, { 0 }, NULL };
		pe[i] = (struct airlock_plan_entry){ &te[i], AIRLOCK_SRC_DELTA, NULL, 0, i, &base_e[0] };
		mem[i] = i;
	}
	struct airlock_plan_frame fr = { fb, 1, 10, mem, N, N };
	struct airlock_plan p = { NULL, 0, pe, N, &fr, 1 };
	airlock_err_init(&err);
	assert_int_equal(airlock_manifest_write(&p, &h, &json, &n, &err), AIRLOCK_OK);
	assert_int_equal(airlock_manifest_parse(&m, json, n, &h, &err), AIRLOCK_OK);
	assert_int_equal(airlock_manifest_frame_at(m, 0)->nbases, 1);
	assert_string_equal(airlock_manifest_frame_at(m, 0)->bases[0], "a.txt");
	assert_int_equal(airlock_manifest_entry_at(m, N - 1)->offset, N - 1);
	airlock_manifest_free(m);
	free(json);
	free(pe);
	free(te);
	free(names);
	free(mem);
}

/* Random byte changes: never a crash; only VERIFY or a clean accept. */
static void test_mutations(void **state)
{
	struct fx *f = *state;
	char *b = malloc(f->len);
	uint32_t x = 777;
	for (int i = 0; i < 3000; i++) {
		struct airlock_manifest *m;
		struct airlock_err err;
		airlock_err_init(&err);
		memcpy(b, f->json, f->len);
		x = x * 1103515245u + 12345u;
		b[(x >> 8) % f->len] = (char)(x >> 20);
		if (airlock_manifest_parse(&m, b, f->len, &f->hdr, &err) == AIRLOCK_OK)
			airlock_manifest_free(m);
		else
			assert_int_equal(err.code, AIRLOCK_E_VERIFY);
	}
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test(test_full_bundle),
		cmocka_unit_test_setup_teardown(test_malformed_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreferenced_frame, setup, teardown),
		cmocka_unit_test(test_derived_bases),
		cmocka_unit_test(test_writer_refuses_underivable),
		cmocka_unit_test(test_repeated_base),
		cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
