/* plan.c - the delta planner: decides for each new or changed entry whether
 * it travels as a copy of a base file, as part of a zstd patch-from frame,
 * or whole (DESIGN.md, "What real feeds say about the delta"):
 * - identical content anywhere in the base is a COPY (renames, moves);
 * - a file without a same-path base looks for one by name, with the
 *   hash-like and numeric parts of names removed, and a similar size;
 *   failing that, by content: the base file whose sketch (similar.h)
 *   shares most with its own (renamed and edited files);
 * - changed files are coded together, one frame against the concatenation
 *   of their bases, so they share context (2x better on caniuse, 1.8x on
 *   cwe), up to a memory budget;
 * - a delta that does not beat the file compressed alone (both trial-coded
 *   at a fast level) travels whole, as do files with no usable base. */
#include "airlock/plan.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zstd.h>

#include "airlock/delta.h"
#include "airlock/similar.h"

#define TRIAL_LEVEL 3                        /* fast; only compares two sizes */
/* A frame's targets plus bases are all resident while it is coded. Files
 * coded together find new text that recurs across them (cwe's JSON and XML
 * of the same records: one frame 358 KB, per-file frames 648 KB), so the
 * group budget (plan.h) is as large as the memory target allows; a file
 * larger than it on its own gets its own frame. */
#define FRAME_BASE_MAX AIRLOCK_DELTA_TARGET_MAX
#define SIMILAR_RATIO 4                      /* a renamed file's base: size within 4x */
/* Content matching: smaller files are not worth a delta base; a base must
 * share this many of the K sketch values (about 1/8 of its text); the
 * index holds at most this many base files (256 bytes each: 16 MiB, freed
 * before any frame is coded). */
#define SKETCH_MIN 256
#define SKETCH_SHARED_MIN (AIRLOCK_SKETCH_K / 8)
#define SKETCH_FILES_MAX 65536
#define CONTENT_SCAN_MAX (UINT64_C(256) << 20)   /* about 0.3 s of reading */
#define KEY_MAX (AIRLOCK_PATH_MAX + 1)

struct builder {
	struct airlock_plan *p;
	const struct airlock_tree *base, *target;
	const struct airlock_objstore *os;
	const struct airlock_progress *progress;
	int trial_level;
	uint64_t group_max;
	const struct airlock_tree_entry **by_hash;  /* base files sorted by content hash */
	size_t nby_hash;
	char **keys;                                /* name keys of base entries (lazy) */
	struct airlock_similar *contents;           /* base files by sketch (lazy) */
	uint64_t content_scan_max;                  /* see airlock_plan_options */
	const struct airlock_tree_entry **cbase;    /* per entry: delta base candidate */
	size_t open_frame;                          /* frame taking small files, or SIZE_MAX */
};

static int is_file(const struct airlock_tree_entry *e)
{
	return e->type == AIRLOCK_ENTRY_FILE;
}

static int same_entry(const struct airlock_tree_entry *a, const struct airlock_tree_entry *b)
{
	return a->type == b->type && a->mode == b->mode && a->size == b->size &&
	    memcmp(a->hash, b->hash, AIRLOCK_HASH_BYTES) == 0;
}

/* ---- finding a base with the same content ---- */

static int hash_cmp(const void *a, const void *b)
{
	const struct airlock_tree_entry *x = *(const struct airlock_tree_entry *const *)a;
	const struct airlock_tree_entry *y = *(const struct airlock_tree_entry *const *)b;
	int c = memcmp(x->hash, y->hash, AIRLOCK_HASH_BYTES);
	return c != 0 ? c : strcmp(x->path, y->path);
}

static enum airlock_code index_base(struct builder *b, struct airlock_err *err)
{
	size_t n = b->base ? airlock_tree_count(b->base) : 0;
	b->by_hash = calloc(n + 1, sizeof *b->by_hash);
	b->keys = calloc(n + 1, sizeof *b->keys);
	if (b->by_hash == NULL || b->keys == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory planning the delta");
	for (size_t i = 0; i < n; i++)
		if (is_file(airlock_tree_at(b->base, i)))
			b->by_hash[b->nby_hash++] = airlock_tree_at(b->base, i);
	qsort(b->by_hash, b->nby_hash, sizeof *b->by_hash, hash_cmp);
	return AIRLOCK_OK;
}

/* The first base file (by path) with this content, or NULL. */
static const struct airlock_tree_entry *find_same_content(const struct builder *b,
    const uint8_t hash[AIRLOCK_HASH_BYTES])
{
	size_t lo = 0, hi = b->nby_hash;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(b->by_hash[mid]->hash, hash, AIRLOCK_HASH_BYTES) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < b->nby_hash && memcmp(b->by_hash[lo]->hash, hash, AIRLOCK_HASH_BYTES) == 0)
		return b->by_hash[lo];
	return NULL;
}

/* ---- finding a similar base by name ---- */

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Tokens that change from one release to the next: numbers, hex digests,
 * and long mixed letter-digit strings (content hashes in base36/base64). */
static int volatile_token(const char *t, size_t n)
{
	size_t digits = 0, hex = 0, alnum = 0;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		digits += c >= '0' && c <= '9';
		hex += is_hex(c);
		alnum += (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	}
	if (n > 0 && digits == n)
		return 1;
	if (n >= 6 && hex == n && digits > 0)
		return 1;
	return n >= 8 && alnum == n && digits > 0 && digits < n;
}

static int separator(char c)
{
	return c == '.' || c == '-' || c == '_' || c == '~' || c == '@' || c == '+';
}

/* A path with its volatile tokens removed and the remaining tokens joined
 * by '.': "js/app.3f9a2c1d.js" and "js/app.77b0e4aa.js" both give
 * "js/app.js", "vendor-2.1.9.js" gives "vendor.js". Without dir, only the
 * last component is used (for files that moved as well). */
static void name_key(const char *path, int with_dir, char out[KEY_MAX])
{
	const char *s = with_dir ? path : (strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	size_t o = 0;
	int fresh = 1;     /* at the start of a component: no '.' before a token */
	for (;;) {
		size_t n = 0;
		while (s[n] != '\0' && s[n] != '/' && !separator(s[n]))
			n++;
		if (n > 0 && !volatile_token(s, n) && o + n + 2 < KEY_MAX) {
			if (!fresh)
				out[o++] = '.';
			memcpy(out + o, s, n);
			o += n;
			fresh = 0;
		}
		if (s[n] == '\0')
			break;
		if (s[n] == '/' && o + 2 < KEY_MAX) {
			out[o++] = '/';
			fresh = 1;
		}
		s += n + 1;
	}
	out[o] = '\0';
}

/* The full-path key of base entry i, computed once; NULL if out of memory. */
static const char *base_key(struct builder *b, size_t i)
{
	char key[KEY_MAX];
	if (b->keys[i] == NULL) {
		name_key(airlock_tree_at(b->base, i)->path, 1, key);
		b->keys[i] = strdup(key);
	}
	return b->keys[i];
}

static int size_similar(uint64_t a, uint64_t b)
{
	return a <= b * SIMILAR_RATIO && b <= a * SIMILAR_RATIO;
}

static uint64_t size_distance(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* The base file whose key matches and whose size is closest, or NULL. */
static const struct airlock_tree_entry *match_key(struct builder *b,
    const struct airlock_tree_entry *t, int with_dir, struct airlock_err *err)
{
	char want[KEY_MAX], key[KEY_MAX];
	const struct airlock_tree_entry *best = NULL;
	name_key(t->path, with_dir, want);
	for (size_t i = 0; i < airlock_tree_count(b->base); i++) {
		const struct airlock_tree_entry *e = airlock_tree_at(b->base, i);
		if (!is_file(e) || e->size == 0 || !size_similar(e->size, t->size))
			continue;
		const char *k = key;
		if (with_dir)
			k = base_key(b, i);
		else
			name_key(e->path, 0, key);
		if (k == NULL) {
			airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory planning the delta");
			return NULL;
		}
		if (strcmp(k, want) == 0 &&
		    (best == NULL || size_distance(e->size, t->size) < size_distance(best->size, t->size)))
			best = e;
	}
	return best;
}

/* ---- finding a similar base by content ---- */

struct mapped {
	const uint8_t *data;
	size_t len;
};

static void unmap(struct mapped *m)
{
	if (m->data != NULL)
		munmap((void *)m->data, m->len);
	m->data = NULL;
}

static enum airlock_code sketch_object(const struct builder *b, const struct airlock_tree_entry *e,
    struct airlock_sketch *sk, struct airlock_err *err)
{
	struct mapped m = { 0 };
	if (airlock_objstore_map(b->os, e->hash, &m.data, &m.len, err) != AIRLOCK_OK)
		return err->code;
	airlock_sketch_make(sk, m.data, m.len);
	unmap(&m);
	return AIRLOCK_OK;
}

/* Whether base file e may serve as a base by content: any file when the
 * base is small enough to read whole, else only files gone from the target
 * (renamed or moved), so that the work stays proportional to the change. */
static int content_candidate(const struct builder *b, const struct airlock_tree_entry *e,
    int whole_base)
{
	if (!is_file(e) || e->size < SKETCH_MIN || e->size > FRAME_BASE_MAX)
		return 0;
	return whole_base || airlock_tree_find(b->target, e->path) == NULL;
}

/* Reads the base files that could serve as a base once, only when some
 * new file has no base by name. */
static enum airlock_code index_contents(struct builder *b, struct airlock_err *err)
{
	size_t indexed = 0, n = airlock_tree_count(b->base);
	uint64_t total = 0;
	if (airlock_similar_new(&b->contents, err) != AIRLOCK_OK)
		return err->code;
	for (size_t i = 0; i < n; i++)
		if (content_candidate(b, airlock_tree_at(b->base, i), 1))
			total += airlock_tree_at(b->base, i)->size;
	int whole_base = total <= b->content_scan_max;
	for (size_t i = 0; i < n && indexed < SKETCH_FILES_MAX; i++) {
		const struct airlock_tree_entry *e = airlock_tree_at(b->base, i);
		struct airlock_sketch sk;
		if (!content_candidate(b, e, whole_base))
			continue;
		if (airlock_progress_step(b->progress, "plan", i, n, err) != AIRLOCK_OK ||
		    sketch_object(b, e, &sk, err) != AIRLOCK_OK ||
		    airlock_similar_add(b->contents, i, &sk, err) != AIRLOCK_OK)
			return err->code;
		indexed++;
	}
	return AIRLOCK_OK;
}

static const struct airlock_tree_entry *match_content(struct builder *b,
    const struct airlock_tree_entry *t, struct airlock_err *err)
{
	struct airlock_sketch sk;
	size_t id;
	unsigned shared;
	if (t->size < SKETCH_MIN)
		return NULL;
	if ((b->contents == NULL && index_contents(b, err) != AIRLOCK_OK) ||
	    sketch_object(b, t, &sk, err) != AIRLOCK_OK)
		return NULL;
	if (airlock_similar_best(b->contents, &sk, SKETCH_SHARED_MIN, &id, &shared, err) != 1)
		return NULL;
	const struct airlock_tree_entry *e = airlock_tree_at(b->base, id);
	return size_similar(e->size, t->size) ? e : NULL;
}

static const struct airlock_tree_entry *similar_base(struct builder *b,
    const struct airlock_tree_entry *t, struct airlock_err *err)
{
	const struct airlock_tree_entry *e = match_key(b, t, 1, err);
	if (e == NULL && err->code == AIRLOCK_OK)
		e = match_key(b, t, 0, err);
	if (e == NULL && err->code == AIRLOCK_OK)
		e = match_content(b, t, err);
	return e;
}

/* ---- classifying entries ---- */

static struct airlock_plan_entry *push_entry(struct builder *b, const struct airlock_tree_entry *t,
    enum airlock_plan_source src)
{
	struct airlock_plan_entry *pe = &b->p->entries[b->p->nentries];
	*pe = (struct airlock_plan_entry){ .target = t, .source = src };
	b->cbase[b->p->nentries] = NULL;
	b->p->nentries++;
	return pe;
}

static enum airlock_code classify_file(struct builder *b, const struct airlock_tree_entry *t,
    const struct airlock_tree_entry *old, struct airlock_err *err)
{
	const struct airlock_tree_entry *same = NULL;
	if (old != NULL && is_file(old) && memcmp(old->hash, t->hash, AIRLOCK_HASH_BYTES) == 0)
		same = old;      /* a mode change */
	else if (t->size > 0)
		same = find_same_content(b, t->hash);
	if (same != NULL) {
		push_entry(b, t, AIRLOCK_SRC_COPY)->from = same;
		return AIRLOCK_OK;
	}
	size_t i = b->p->nentries;
	push_entry(b, t, AIRLOCK_SRC_WHOLE);
	if (t->size == 0 || t->size > AIRLOCK_DELTA_TARGET_MAX || b->base == NULL)
		return AIRLOCK_OK;
	const struct airlock_tree_entry *cand = old != NULL && is_file(old) && old->size > 0 ?
	    old : similar_base(b, t, err);
	if (cand != NULL && cand->size <= FRAME_BASE_MAX)
		b->cbase[i] = cand;
	return err->code;
}

static enum airlock_code classify(struct builder *b, struct airlock_err *err)
{
	for (size_t i = 0; i < airlock_tree_count(b->target); i++) {
		const struct airlock_tree_entry *t = airlock_tree_at(b->target, i);
		const struct airlock_tree_entry *old = b->base ? airlock_tree_find(b->base, t->path) : NULL;
		if (old != NULL && same_entry(old, t) &&
		    (t->type == AIRLOCK_ENTRY_FILE || strcmp(old->link_target, t->link_target) == 0))
			continue;
		if (t->type == AIRLOCK_ENTRY_SYMLINK)
			push_entry(b, t, AIRLOCK_SRC_SYMLINK);
		else if (classify_file(b, t, old, err) != AIRLOCK_OK)
			return err->code;
	}
	return AIRLOCK_OK;
}

static void list_removed(struct builder *b)
{
	for (size_t i = 0; b->base != NULL && i < airlock_tree_count(b->base); i++) {
		const struct airlock_tree_entry *e = airlock_tree_at(b->base, i);
		if (airlock_tree_find(b->target, e->path) == NULL)
			b->p->removed[b->p->nremoved++] = e;
	}
}

/* ---- trial coding: does the delta beat the file compressed alone? ---- */

static enum airlock_code count_sink(void *ctx, const void *buf, size_t len, struct airlock_err *err)
{
	(void)buf;
	(void)err;
	*(uint64_t *)ctx += len;
	return AIRLOCK_OK;
}

static enum airlock_code compressed_size(const uint8_t *data, size_t len, int level,
    uint64_t *out, struct airlock_err *err)
{
	uint8_t buf[16384];
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_inBuffer in = { data, len, 0 };
	size_t rem;
	if (c == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory planning the delta");
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
	*out = 0;
	do {
		ZSTD_outBuffer o = { buf, sizeof buf, 0 };
		rem = ZSTD_compressStream2(c, &o, &in, ZSTD_e_end);
		*out += o.pos;
	} while (!ZSTD_isError(rem) && rem != 0);
	ZSTD_freeCCtx(c);
	if (ZSTD_isError(rem))
		return airlock_fail(err, AIRLOCK_E_FAILED, "cannot compress: %s", ZSTD_getErrorName(rem));
	return AIRLOCK_OK;
}

/* 1 if delta-coding t against base beats compressing t alone. */
static enum airlock_code delta_pays(struct builder *b, const struct airlock_tree_entry *t,
    const struct airlock_tree_entry *base, int *pays, struct airlock_err *err)
{
	struct mapped mb = { 0 }, mt = { 0 };
	uint64_t delta = 0, alone = 0;
	if (airlock_objstore_map(b->os, base->hash, &mb.data, &mb.len, err) == AIRLOCK_OK &&
	    airlock_objstore_map(b->os, t->hash, &mt.data, &mt.len, err) == AIRLOCK_OK &&
	    airlock_delta_encode(mb.data, mb.len, mt.data, mt.len, b->trial_level,
	        (struct airlock_sink){ count_sink, &delta }, NULL, err) == AIRLOCK_OK)
		compressed_size(mt.data, mt.len, b->trial_level, &alone, err);
	unmap(&mb);
	unmap(&mt);
	*pays = delta < alone;
	return err->code;
}

static enum airlock_code trial_all(struct builder *b, struct airlock_err *err)
{
	for (size_t i = 0; i < b->p->nentries; i++) {
		int pays = 0;
		if (b->cbase[i] == NULL)
			continue;
		if (airlock_progress_step(b->progress, "plan", i, b->p->nentries, err) != AIRLOCK_OK ||
		    delta_pays(b, b->p->entries[i].target, b->cbase[i], &pays, err) != AIRLOCK_OK)
			return err->code;
		if (pays)
			b->p->entries[i].source = AIRLOCK_SRC_DELTA;
		else
			b->cbase[i] = NULL;
	}
	return AIRLOCK_OK;
}

/* ---- grouping deltas into frames ---- */

static int grow(void **v, size_t n, size_t elem)
{
	if (n == 0 || (n & (n - 1)) != 0)
		return 0;     /* capacity doubles at powers of two */
	void *p = realloc(*v, 2 * n * elem);
	if (p == NULL)
		return -1;
	*v = p;
	return 0;
}

static struct airlock_plan_frame *new_frame(struct builder *b, struct airlock_err *err)
{
	struct airlock_plan *p = b->p;
	if (p->nframes == 0 && (p->frames = malloc(sizeof *p->frames)) == NULL)
		goto nomem;
	if (grow((void **)&p->frames, p->nframes, sizeof *p->frames) != 0)
		goto nomem;
	struct airlock_plan_frame *f = &p->frames[p->nframes];
	memset(f, 0, sizeof *f);
	if ((f->bases = malloc(sizeof *f->bases)) == NULL ||
	    (f->members = malloc(sizeof *f->members)) == NULL) {
		free(f->bases);
		goto nomem;
	}
	p->nframes++;
	return f;
nomem:
	airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory planning the delta");
	return NULL;
}

static int has_base(const struct airlock_plan_frame *f, const struct airlock_tree_entry *e)
{
	for (size_t i = 0; i < f->nbases; i++)
		if (f->bases[i] == e)
			return 1;
	return 0;
}

static enum airlock_code add_member(struct builder *b, size_t fi, size_t ei, struct airlock_err *err)
{
	struct airlock_plan_frame *f = &b->p->frames[fi];
	struct airlock_plan_entry *pe = &b->p->entries[ei];
	const struct airlock_tree_entry *base = b->cbase[ei];
	if (grow((void **)&f->members, f->nmembers, sizeof *f->members) != 0 ||
	    (!has_base(f, base) && grow((void **)&f->bases, f->nbases, sizeof *f->bases) != 0))
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory planning the delta");
	if (!has_base(f, base)) {
		f->bases[f->nbases++] = base;
		f->base_size += base->size;
	}
	pe->frame = fi;
	pe->offset = f->size;
	pe->base = base;
	f->members[f->nmembers++] = ei;
	f->size += pe->target->size;
	return AIRLOCK_OK;
}

static uint64_t alone_bytes(const struct builder *b, size_t ei)
{
	return b->p->entries[ei].target->size + b->cbase[ei]->size;
}

/* Whether entry ei fits into the open group frame. */
static int fits_group(const struct builder *b, size_t ei)
{
	if (b->open_frame == SIZE_MAX)
		return 0;
	const struct airlock_plan_frame *f = &b->p->frames[b->open_frame];
	const struct airlock_tree_entry *base = b->cbase[ei];
	uint64_t base_add = has_base(f, base) ? 0 : base->size;
	return f->size + f->base_size + b->p->entries[ei].target->size + base_add <= b->group_max &&
	    f->size + b->p->entries[ei].target->size <= AIRLOCK_DELTA_TARGET_MAX &&
	    f->base_size + base_add <= FRAME_BASE_MAX;
}

/* Twice the largest file to be delta-coded (the memory target's variable
 * part) plus the extra the target leaves for grouping. */
static uint64_t default_group_max(const struct builder *b)
{
	uint64_t largest = 0;
	for (size_t i = 0; i < b->p->nentries; i++) {
		if (b->p->entries[i].source != AIRLOCK_SRC_DELTA)
			continue;
		if (b->p->entries[i].target->size > largest)
			largest = b->p->entries[i].target->size;
		if (b->cbase[i]->size > largest)
			largest = b->cbase[i]->size;
	}
	largest = 2 * largest + AIRLOCK_PLAN_GROUP_EXTRA;
	return largest > AIRLOCK_PLAN_GROUP_MIN ? largest : AIRLOCK_PLAN_GROUP_MIN;
}

static enum airlock_code make_frames(struct builder *b, struct airlock_err *err)
{
	if (b->group_max == 0)
		b->group_max = default_group_max(b);
	b->open_frame = SIZE_MAX;
	for (size_t i = 0; i < b->p->nentries; i++) {
		if (b->p->entries[i].source != AIRLOCK_SRC_DELTA)
			continue;
		int groupable = alone_bytes(b, i) <= b->group_max;
		size_t fi = b->open_frame;
		if (!groupable || !fits_group(b, i)) {
			if (new_frame(b, err) == NULL)
				return err->code;
			fi = b->p->nframes - 1;
			if (groupable)
				b->open_frame = fi;
		}
		if (add_member(b, fi, i, err) != AIRLOCK_OK)
			return err->code;
	}
	return AIRLOCK_OK;
}

/* ---- the plan ---- */

uint64_t airlock_plan_largest_delta(const struct airlock_plan *p)
{
	uint64_t largest = 0;
	for (size_t i = 0; i < p->nframes; i++) {
		const struct airlock_plan_frame *f = &p->frames[i];
		for (size_t k = 0; k < f->nbases; k++)
			if (f->bases[k]->size > largest)
				largest = f->bases[k]->size;
		for (size_t k = 0; k < f->nmembers; k++)
			if (p->entries[f->members[k]].target->size > largest)
				largest = p->entries[f->members[k]].target->size;
	}
	return largest;
}

uint64_t airlock_plan_memory_bound(const struct airlock_plan *p)
{
	return AIRLOCK_MEMORY_BASE + 2 * airlock_plan_largest_delta(p);
}

void airlock_plan_free(struct airlock_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nframes; i++) {
		free(p->frames[i].bases);
		free(p->frames[i].members);
	}
	free(p->frames);
	free(p->entries);
	free(p->removed);
	free(p);
}

static void builder_release(struct builder *b)
{
	size_t n = b->base ? airlock_tree_count(b->base) : 0;
	for (size_t i = 0; b->keys != NULL && i < n; i++)
		free(b->keys[i]);
	free(b->keys);
	airlock_similar_free(b->contents);
	free(b->by_hash);
	free(b->cbase);
}

static enum airlock_code plan_build(struct builder *b, struct airlock_err *err)
{
	size_t nt = airlock_tree_count(b->target), nb = b->base ? airlock_tree_count(b->base) : 0;
	b->p->entries = calloc(nt + 1, sizeof *b->p->entries);
	b->p->removed = calloc(nb + 1, sizeof *b->p->removed);
	b->cbase = calloc(nt + 1, sizeof *b->cbase);
	if (b->p->entries == NULL || b->p->removed == NULL || b->cbase == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory planning the delta");
	list_removed(b);
	if (index_base(b, err) != AIRLOCK_OK || classify(b, err) != AIRLOCK_OK ||
	    trial_all(b, err) != AIRLOCK_OK || make_frames(b, err) != AIRLOCK_OK)
		return err->code;
	return airlock_progress_step(b->progress, "plan", b->p->nentries, b->p->nentries, err);
}

enum airlock_code airlock_plan_make(struct airlock_plan **out, const struct airlock_tree *base,
    const struct airlock_tree *target, const struct airlock_objstore *os,
    const struct airlock_plan_options *opt, const struct airlock_progress *progress,
    struct airlock_err *err)
{
	struct builder b = { .base = base, .target = target, .os = os, .progress = progress,
		.trial_level = TRIAL_LEVEL, .group_max = 0 };
	if (opt != NULL && opt->group_max != 0)
		b.group_max = opt->group_max;
	b.content_scan_max = opt != NULL && opt->content_scan_max != 0 ? opt->content_scan_max :
	    CONTENT_SCAN_MAX;
	if (opt != NULL && opt->level > 0 && opt->level < TRIAL_LEVEL)
		b.trial_level = opt->level;
	*out = NULL;
	b.p = calloc(1, sizeof *b.p);
	if (b.p == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory planning the delta");
	enum airlock_code rc = plan_build(&b, err);
	builder_release(&b);
	if (rc != AIRLOCK_OK) {
		airlock_plan_free(b.p);
		return rc;
	}
	*out = b.p;
	return AIRLOCK_OK;
}
