/* manifest.c - MANIFEST.json: compact writer from a plan, strict parser.
 * The parsed manifest keeps the jansson document alive and points into its
 * strings, so nothing is copied twice. */
#include "airlock/manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/encoding.h"
#include "airlock/json.h"

#define FORMAT_NAME "airlock-manifest"
#define FRAME_NAME_LEN 17    /* "deltas/000000.zst" */
#define FRAME_COUNT_MAX 1000000u   /* six digits */

/* ---- writer ---- */

/* The manifest names the versions only: their tree hashes and counts are
 * in the signed bundle.json, and two incompressible hashes here would cost
 * more than a small delta does. */
static json_t *versions_base(const struct airlock_bundle_header *h)
{
	return h->has_base ? json_integer((json_int_t)h->base_version) : json_null();
}

static json_t *versions_target(const struct airlock_bundle_header *h)
{
	return json_integer((json_int_t)h->target_version);
}

/* Delta-only keys: the frame, and the base only when its path differs
 * from the entry's (a file changed in place names nothing). */
static int delta_keys(json_t *o, const struct airlock_plan *p, const struct airlock_plan_entry *e)
{
	if (e->frame >= p->nframes || e->base == NULL)
		return -1;
	if (json_object_set_new(o, "frame", json_integer((json_int_t)e->frame)) != 0)
		return -1;
	if (strcmp(e->base->path, e->target->path) == 0)
		return 0;
	return json_object_set_new(o, "base", json_string(e->base->path));
}

/* Default values are left out: no "type" for a file, no "mode" for 0644. */
static json_t *entry_json(const struct airlock_plan *p, const struct airlock_plan_entry *e)
{
	const struct airlock_tree_entry *t = e->target;
	json_t *o;
	int bad;
	if (e->source == AIRLOCK_SRC_SYMLINK)
		return json_pack("{s:s,s:s,s:s}", "path", t->path, "type", "symlink",
		    "target", t->link_target);
	if (t->type != AIRLOCK_ENTRY_FILE || (t->mode != 0644 && t->mode != 0755))
		return NULL;
	o = json_object();
	bad = json_object_set_new(o, "path", json_string(t->path)) != 0 ||
	    (t->mode == 0755 && json_object_set_new(o, "mode", json_string("0755")) != 0) ||
	    json_object_set_new(o, "size", json_integer((json_int_t)t->size)) != 0;
	if (!bad && e->source == AIRLOCK_SRC_WHOLE)
		bad = json_object_set_new(o, "source", json_string("whole")) != 0;
	else if (!bad && e->source == AIRLOCK_SRC_COPY)
		bad = json_object_set_new(o, "source", json_string("copy")) != 0 ||
		    json_object_set_new(o, "from", json_string(e->from->path)) != 0;
	else if (!bad && e->source == AIRLOCK_SRC_DELTA)
		bad = json_object_set_new(o, "source", json_string("delta")) != 0 ||
		    delta_keys(o, p, e) != 0;
	else
		bad = 1;
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *frame_json(const struct airlock_plan_frame *f, size_t i)
{
	char name[32];
	snprintf(name, sizeof(name), "deltas/%06zu.zst", i);
	return json_pack("{s:s,s:I}", "name", name, "size", (json_int_t)f->size);
}

/* Whether base path is among the first n of bases. */
static int base_listed(const struct airlock_tree_entry *const *bases, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(bases[i]->path, path) == 0)
			return 1;
	return 0;
}

/* The manifest leaves out offsets and frame bases, so the reader can only
 * rebuild them if frame fi is exactly what the planner's rule gives:
 * members strictly increasing, each a delta entry of fi at the running
 * offset, bases = the members' bases in order, duplicates dropped. */
static int frame_derivable(const struct airlock_plan *p, size_t fi)
{
	const struct airlock_plan_frame *f = &p->frames[fi];
	size_t nb = 0;
	uint64_t off = 0;
	for (size_t j = 0; j < f->nmembers; j++) {
		size_t ei = f->members[j];
		if (ei >= p->nentries || (j > 0 && ei <= f->members[j - 1]))
			return 0;
		const struct airlock_plan_entry *e = &p->entries[ei];
		if (e->source != AIRLOCK_SRC_DELTA || e->frame != fi || e->base == NULL ||
		    e->offset != off)
			return 0;
		off += e->target->size;
		if (base_listed(f->bases, nb, e->base->path))
			continue;
		if (nb == f->nbases || strcmp(f->bases[nb]->path, e->base->path) != 0)
			return 0;
		nb++;
	}
	return f->nmembers > 0 && nb == f->nbases && off == f->size;
}

static int plan_derivable(const struct airlock_plan *p)
{
	size_t ndelta = 0, nmembers = 0;
	for (size_t i = 0; i < p->nentries; i++)
		ndelta += p->entries[i].source == AIRLOCK_SRC_DELTA;
	for (size_t k = 0; k < p->nframes; k++) {
		if (!frame_derivable(p, k))
			return 0;
		nmembers += p->frames[k].nmembers;
	}
	return nmembers == ndelta;
}

static json_t *lists_json(const struct airlock_plan *p, json_t **frames, json_t **entries)
{
	json_t *removed = json_array();
	*frames = json_array();
	*entries = json_array();
	for (size_t i = 0; removed != NULL && i < p->nremoved; i++)
		if (json_array_append_new(removed, json_string(p->removed[i]->path)) != 0)
			goto fail;
	for (size_t i = 0; *frames != NULL && i < p->nframes; i++)
		if (json_array_append_new(*frames, frame_json(&p->frames[i], i)) != 0)
			goto fail;
	for (size_t i = 0; *entries != NULL && i < p->nentries; i++)
		if (json_array_append_new(*entries, entry_json(p, &p->entries[i])) != 0)
			goto fail;
	if (removed != NULL && *frames != NULL && *entries != NULL)
		return removed;
fail:
	json_decref(removed);
	json_decref(*frames);
	json_decref(*entries);
	return NULL;
}

enum airlock_code airlock_manifest_write(const struct airlock_plan *plan,
    const struct airlock_bundle_header *hdr, char **json, size_t *len,
    struct airlock_err *err)
{
	json_t *frames = NULL, *entries = NULL, *removed, *doc;
	if (plan->nframes > FRAME_COUNT_MAX)
		return airlock_fail(err, AIRLOCK_E_FAILED, "too many delta frames (%zu)", plan->nframes);
	if (!plan_derivable(plan))
		return airlock_fail(err, AIRLOCK_E_FAILED, "internal: the plan's delta frames are not "
		    "in the form MANIFEST.json can describe (offsets or bases not derivable)");
	removed = lists_json(plan, &frames, &entries);
	if (removed == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM,
		    "cannot write the manifest (out of memory, or a plan entry of an unknown kind)");
	doc = json_pack("{s:s,s:i,s:s,s:o,s:o,s:o,s:o,s:o}", "format", FORMAT_NAME,
	    "format_version", 1, "feed", hdr->feed, "base", versions_base(hdr),
	    "target", versions_target(hdr), "removed", removed, "frames", frames,
	    "entries", entries);
	*json = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (*json == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "cannot write the manifest (out of memory)");
	*len = strlen(*json);
	return AIRLOCK_OK;
}

/* ---- parser ---- */

struct airlock_manifest {
	json_t *doc;
	const char **removed;
	size_t nremoved;
	struct airlock_manifest_entry *entries;
	size_t nentries;
	struct airlock_manifest_frame *frames;
	size_t nframes;
	const char **bases;          /* storage for every frame's bases */
	size_t nwhole;
};

#define BAD(err, ...) airlock_fail((err), AIRLOCK_E_VERIFY, "manifest: " __VA_ARGS__)

/* keys[0..nreq) must be present, keys[nreq..n) may be; no other key. */
static enum airlock_code want_keys(json_t *obj, const char *where, const char *const *keys,
    size_t nreq, size_t n, struct airlock_err *err)
{
	return airlock_json_want_keys(obj, "manifest", where, keys, nreq, n, err);
}

static enum airlock_code get_uint(json_t *obj, const char *key, const char *where, uint64_t max,
    uint64_t *out, struct airlock_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return BAD(err, "%s of %s is not an integer", key, where);
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		return BAD(err, "%s of %s is out of range", key, where);
	*out = (uint64_t)json_integer_value(v);
	return AIRLOCK_OK;
}

/* A string without NUL bytes, or NULL. */
static const char *str_of(json_t *v)
{
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

static enum airlock_code get_path(json_t *v, const char *what, const char **out,
    struct airlock_err *err)
{
	const char *s = str_of(v), *why = "is not a string";
	char q[128];
	if (s != NULL && airlock_tree_path_check(s, strlen(s), &why) == 0) {
		*out = s;
		return AIRLOCK_OK;
	}
	if (s != NULL)
		airlock_escape(q, sizeof(q), s, strlen(s));
	else
		q[0] = '\0';
	return BAD(err, "%s '%s' %s", what, q, why);
}

static void path_msg(char *q, size_t qlen, const char *path)
{
	airlock_escape(q, qlen, path, strlen(path));
}

/* ---- header agreement ---- */

static int int_is(json_t *v, uint64_t want)
{
	return json_is_integer(v) && json_integer_value(v) >= 0 &&
	    (uint64_t)json_integer_value(v) == want;
}

static enum airlock_code check_versions(json_t *doc, const struct airlock_bundle_header *h,
    struct airlock_err *err)
{
	json_t *b = json_object_get(doc, "base"), *t = json_object_get(doc, "target");
	const char *feed = str_of(json_object_get(doc, "feed"));
	if (feed == NULL || strcmp(feed, h->feed) != 0)
		return BAD(err, "feed differs from the signed header");
	if (h->has_base ? !int_is(b, h->base_version) : !json_is_null(b))
		return BAD(err, "base differs from the signed header");
	if (!int_is(t, h->target_version))
		return BAD(err, "target differs from the signed header");
	return AIRLOCK_OK;
}

/* ---- removed ---- */

static enum airlock_code parse_removed(struct airlock_manifest *m, json_t *a,
    struct airlock_err *err)
{
	char q[128];
	if (!json_is_array(a))
		return BAD(err, "removed is not an array");
	m->nremoved = json_array_size(a);
	if (m->nremoved > AIRLOCK_MANIFEST_REMOVED_MAX)
		return BAD(err, "removed lists more than %llu paths",
		    (unsigned long long)AIRLOCK_MANIFEST_REMOVED_MAX);
	m->removed = calloc(m->nremoved + 1, sizeof(*m->removed));
	if (m->removed == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < m->nremoved; i++) {
		if (get_path(json_array_get(a, i), "removed path", &m->removed[i], err) != AIRLOCK_OK)
			return err->code;
		if (i > 0 && strcmp(m->removed[i - 1], m->removed[i]) >= 0) {
			path_msg(q, sizeof(q), m->removed[i]);
			return BAD(err, "removed is not sorted and distinct at '%s'", q);
		}
	}
	return AIRLOCK_OK;
}

/* ---- frames ---- */

static enum airlock_code parse_frame(struct airlock_manifest *m, size_t i, json_t *f,
    struct airlock_err *err)
{
	static const char *const keys[] = { "name", "size" };
	struct airlock_manifest_frame *fr = &m->frames[i];
	char want[32], where[48];
	snprintf(where, sizeof(where), "frame %zu", i);
	if (want_keys(f, where, keys, 2, 2, err) != AIRLOCK_OK)
		return err->code;
	snprintf(want, sizeof(want), "deltas/%06zu.zst", i);
	fr->name = str_of(json_object_get(f, "name"));
	if (fr->name == NULL || strcmp(fr->name, want) != 0)
		return BAD(err, "frame %zu is not named %s", i, want);
	return get_uint(f, "size", where, AIRLOCK_MANIFEST_FRAME_MAX, &fr->size, err);
}

/* Bases and members are filled in later, from the entries. */
static enum airlock_code parse_frames(struct airlock_manifest *m, json_t *a,
    struct airlock_err *err)
{
	if (!json_is_array(a))
		return BAD(err, "frames is not an array");
	m->nframes = json_array_size(a);
	if (m->nframes > FRAME_COUNT_MAX)
		return BAD(err, "more than %u frames", FRAME_COUNT_MAX);
	m->frames = calloc(m->nframes + 1, sizeof(*m->frames));
	if (m->frames == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < m->nframes; i++)
		if (parse_frame(m, i, json_array_get(a, i), err) != AIRLOCK_OK)
			return err->code;
	return AIRLOCK_OK;
}

/* ---- entries ---- */

/* A link target must stay inside the tree when resolved from the link's
 * own directory: count the depth component by component. */
static int link_target_ok(const char *path, const char *target)
{
	long depth = 0;
	const char *p;
	size_t len = strlen(target);
	if (len == 0 || len > AIRLOCK_PATH_MAX || target[0] == '/')
		return 0;
	for (p = path; *p != '\0'; p++)
		depth += *p == '/';
	for (p = target; *p != '\0';) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			depth--;
		else if (n > 0 && !(n == 1 && p[0] == '.'))
			depth++;
		if (depth < 0)
			return 0;
		p += n + (p[n] == '/');
	}
	return 1;
}

static enum airlock_code parse_symlink(struct airlock_manifest_entry *e, json_t *o,
    const char *where, struct airlock_err *err)
{
	static const char *const keys[] = { "path", "type", "target" };
	if (want_keys(o, where, keys, 3, 3, err) != AIRLOCK_OK)
		return err->code;
	e->type = AIRLOCK_ENTRY_SYMLINK;
	e->source = AIRLOCK_SRC_SYMLINK;
	e->mode = 0777;
	e->link_target = str_of(json_object_get(o, "target"));
	if (e->link_target == NULL || !link_target_ok(e->path, e->link_target))
		return BAD(err, "symlink %s has a target that is empty, absolute or leaves the tree",
		    where);
	e->size = strlen(e->link_target);
	return AIRLOCK_OK;
}

/* The base of a delta entry: "base" when given (then another path),
 * else the entry's own path. */
static enum airlock_code parse_delta_base(struct airlock_manifest_entry *e, json_t *o,
    const char *where, struct airlock_err *err)
{
	json_t *b = json_object_get(o, "base");
	e->base = e->path;
	if (b == NULL)
		return AIRLOCK_OK;
	if (get_path(b, "delta base", &e->base, err) != AIRLOCK_OK)
		return err->code;
	if (strcmp(e->base, e->path) == 0)
		return BAD(err, "base of %s is its own path (that base is written by leaving "
		    "\"base\" out)", where);
	return AIRLOCK_OK;
}

/* "mode" is optional in every file form: 0644 when absent. */
static enum airlock_code parse_source(struct airlock_manifest *m,
    struct airlock_manifest_entry *e, json_t *o, const char *src, const char *where,
    struct airlock_err *err)
{
	static const char *const whole[] = { "path", "size", "source", "mode" };
	static const char *const copy[] = { "path", "size", "source", "from", "mode" };
	static const char *const delta[] = { "path", "size", "source", "frame", "mode", "base" };
	uint64_t frame;
	if (strcmp(src, "whole") == 0) {
		e->source = AIRLOCK_SRC_WHOLE;
		m->nwhole++;
		return want_keys(o, where, whole, 3, 4, err);
	}
	if (strcmp(src, "copy") == 0) {
		e->source = AIRLOCK_SRC_COPY;
		if (want_keys(o, where, copy, 4, 5, err) != AIRLOCK_OK)
			return err->code;
		return get_path(json_object_get(o, "from"), "copy source", &e->from, err);
	}
	if (strcmp(src, "delta") != 0)
		return BAD(err, "source of %s is not whole, copy or delta", where);
	e->source = AIRLOCK_SRC_DELTA;
	if (want_keys(o, where, delta, 4, 6, err) != AIRLOCK_OK ||
	    get_uint(o, "frame", where, m->nframes == 0 ? 0 : m->nframes - 1, &frame, err))
		return err->code;
	if (m->nframes == 0)
		return BAD(err, "%s refers to a frame but there are none", where);
	e->frame = (size_t)frame;
	return parse_delta_base(e, o, where, err);
}

/* A file: no "type" (the default), "mode" only for 0755. */
static enum airlock_code parse_file(struct airlock_manifest *m, struct airlock_manifest_entry *e,
    json_t *o, const char *where, struct airlock_err *err)
{
	json_t *mv = json_object_get(o, "mode");
	const char *mode = str_of(mv);
	const char *src = str_of(json_object_get(o, "source"));
	e->type = AIRLOCK_ENTRY_FILE;
	if (mv != NULL && (mode == NULL || strcmp(mode, "0755") != 0))
		return BAD(err, "mode of %s is not \"0755\" (0644 is written by leaving "
		    "\"mode\" out)", where);
	e->mode = mv != NULL ? 0755 : 0644;
	if (get_uint(o, "size", where, AIRLOCK_FILE_SIZE_MAX, &e->size, err) != AIRLOCK_OK)
		return err->code;
	if (src == NULL)
		return BAD(err, "source of %s is not a string", where);
	return parse_source(m, e, o, src, where, err);
}

static enum airlock_code parse_entry(struct airlock_manifest *m, size_t i, json_t *o,
    struct airlock_err *err)
{
	struct airlock_manifest_entry *e = &m->entries[i];
	json_t *tv;
	char where[160], q[128];
	if (!json_is_object(o))
		return BAD(err, "entry %zu is not an object", i);
	if (get_path(json_object_get(o, "path"), "entry path", &e->path, err) != AIRLOCK_OK)
		return err->code;
	path_msg(q, sizeof(q), e->path);
	snprintf(where, sizeof(where), "entry '%s'", q);
	if (i > 0 && strcmp(m->entries[i - 1].path, e->path) >= 0)
		return BAD(err, "entries are not sorted and distinct at '%s'", q);
	tv = json_object_get(o, "type");
	if (tv == NULL)
		return parse_file(m, e, o, where, err);
	if (str_of(tv) != NULL && strcmp(str_of(tv), "symlink") == 0)
		return parse_symlink(e, o, where, err);
	return BAD(err, "type of %s is not \"symlink\" (a file has no \"type\")", where);
}

static enum airlock_code parse_entries(struct airlock_manifest *m, json_t *a,
    const struct airlock_bundle_header *h, struct airlock_err *err)
{
	if (!json_is_array(a))
		return BAD(err, "entries is not an array");
	m->nentries = json_array_size(a);
	if (m->nentries > h->target_files)
		return BAD(err, "%zu entries, more than the %llu files of the target", m->nentries,
		    (unsigned long long)h->target_files);
	m->entries = calloc(m->nentries + 1, sizeof(*m->entries));
	if (m->entries == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < m->nentries; i++)
		if (parse_entry(m, i, json_array_get(a, i), err) != AIRLOCK_OK)
			return err->code;
	return AIRLOCK_OK;
}

/* ---- whole-manifest rules ---- */

static enum airlock_code check_disjoint(const struct airlock_manifest *m,
    struct airlock_err *err)
{
	size_t i = 0, j = 0;
	char q[128];
	while (i < m->nremoved && j < m->nentries) {
		int c = strcmp(m->removed[i], m->entries[j].path);
		if (c == 0) {
			path_msg(q, sizeof(q), m->removed[i]);
			return BAD(err, "'%s' is both removed and an entry", q);
		}
		if (c < 0)
			i++;
		else
			j++;
	}
	return AIRLOCK_OK;
}

/* Offsets are not written: members of each frame, in manifest order, sit
 * at 0, size0, size0+size1, ... and must fill the frame exactly. */
static enum airlock_code derive_offsets(struct airlock_manifest *m, struct airlock_err *err)
{
	uint64_t *next = calloc(m->nframes + 1, sizeof(*next));
	char q[128];
	if (next == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < m->nentries; i++) {
		struct airlock_manifest_entry *e = &m->entries[i];
		struct airlock_manifest_frame *f;
		if (e->source != AIRLOCK_SRC_DELTA)
			continue;
		f = &m->frames[e->frame];
		if (e->size > f->size - next[e->frame]) {
			path_msg(q, sizeof(q), e->path);
			free(next);
			return BAD(err, "entry '%s' does not fit in frame %zu", q, e->frame);
		}
		e->offset = next[e->frame];
		if (f->nmembers++ == 0)
			f->first_member = i;
		next[e->frame] += e->size;
	}
	for (size_t k = 0; k < m->nframes; k++) {
		if (m->frames[k].nmembers == 0 || next[k] != m->frames[k].size) {
			free(next);
			return BAD(err, "frame %zu is not exactly filled by its entries", k);
		}
	}
	free(next);
	return AIRLOCK_OK;
}

/* An open-addressing set of (frame, base path) seen so far, so that
 * dropping repeated bases stays linear in a hostile manifest. */
struct base_set {
	size_t *slot;      /* entry index, or SIZE_MAX when empty */
	size_t mask;
};

static size_t base_hash(size_t frame, const char *path)
{
	uint64_t h = UINT64_C(1469598103934665603) ^ frame;
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++)
		h = (h ^ *p) * UINT64_C(1099511628211);
	return (size_t)(h ^ (h >> 29));
}

/* Adds entry i's (frame, base); returns 1 if it was new. */
static int base_set_add(struct base_set *s, const struct airlock_manifest *m, size_t i)
{
	const struct airlock_manifest_entry *e = &m->entries[i];
	size_t h = base_hash(e->frame, e->base) & s->mask;
	while (s->slot[h] != SIZE_MAX) {
		const struct airlock_manifest_entry *o = &m->entries[s->slot[h]];
		if (o->frame == e->frame && strcmp(o->base, e->base) == 0)
			return 0;
		h = (h + 1) & s->mask;
	}
	s->slot[h] = i;
	return 1;
}

/* Bases are not written either: a frame's bases are its members' bases in
 * member order, each kept at its first use (the planner's rule). Each frame
 * gets a slice of m->bases as long as its member count. */
static enum airlock_code derive_bases(struct airlock_manifest *m, struct airlock_err *err)
{
	struct base_set s = { NULL, 1 };
	size_t nmem = 0;
	for (size_t k = 0; k < m->nframes; k++)
		nmem += m->frames[k].nmembers;
	while (s.mask < 2 * nmem)
		s.mask <<= 1;
	s.slot = malloc(s.mask * sizeof(*s.slot));
	m->bases = calloc(nmem + 1, sizeof(*m->bases));
	if (s.slot == NULL || m->bases == NULL) {
		free(s.slot);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	}
	memset(s.slot, 0xff, s.mask * sizeof(*s.slot));
	s.mask--;
	for (size_t k = 0, at = 0; k < m->nframes; at += m->frames[k++].nmembers)
		m->frames[k].bases = &m->bases[at];
	for (size_t i = 0; i < m->nentries; i++) {
		struct airlock_manifest_entry *e = &m->entries[i];
		struct airlock_manifest_frame *f = &m->frames[e->frame];
		if (e->source == AIRLOCK_SRC_DELTA && base_set_add(&s, m, i))
			m->bases[(size_t)(f->bases - m->bases) + f->nbases++] = e->base;
	}
	free(s.slot);
	return AIRLOCK_OK;
}

static enum airlock_code parse_doc(struct airlock_manifest *m,
    const struct airlock_bundle_header *h, struct airlock_err *err)
{
	static const char *const keys[] = { "format", "format_version", "feed", "base", "target",
		"removed", "frames", "entries" };
	const char *fmt;
	json_t *d = m->doc;
	if (want_keys(d, "the manifest", keys, 8, 8, err) != AIRLOCK_OK)
		return err->code;
	fmt = str_of(json_object_get(d, "format"));
	if (fmt == NULL || strcmp(fmt, FORMAT_NAME) != 0)
		return BAD(err, "format is not \"" FORMAT_NAME "\"");
	if (!int_is(json_object_get(d, "format_version"), 1))
		return BAD(err, "format_version is not 1");
	if (check_versions(d, h, err) != AIRLOCK_OK ||
	    parse_removed(m, json_object_get(d, "removed"), err) != AIRLOCK_OK ||
	    parse_frames(m, json_object_get(d, "frames"), err) != AIRLOCK_OK ||
	    parse_entries(m, json_object_get(d, "entries"), h, err) != AIRLOCK_OK ||
	    check_disjoint(m, err) != AIRLOCK_OK || derive_offsets(m, err) != AIRLOCK_OK ||
	    derive_bases(m, err) != AIRLOCK_OK)
		return err->code;
	if ((uint64_t)m->nwhole + m->nframes + 1 != h->entries)
		return BAD(err, "%zu whole files and %zu frames do not make the %llu payload entries "
		    "the header declares", m->nwhole, m->nframes, (unsigned long long)h->entries);
	return AIRLOCK_OK;
}

enum airlock_code airlock_manifest_parse(struct airlock_manifest **out, const char *json,
    size_t len, const struct airlock_bundle_header *hdr, struct airlock_err *err)
{
	struct airlock_manifest *m;
	json_error_t jerr;
	char q[JSON_ERROR_TEXT_LENGTH];
	*out = NULL;
	if (len > AIRLOCK_MANIFEST_JSON_MAX)
		return BAD(err, "larger than %llu bytes", (unsigned long long)AIRLOCK_MANIFEST_JSON_MAX);
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	m->doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (m->doc == NULL) {
		airlock_escape(q, sizeof(q), jerr.text, strlen(jerr.text));
		airlock_manifest_free(m);
		return BAD(err, "not valid JSON: %s (at byte %d)", q, jerr.position);
	}
	if (parse_doc(m, hdr, err) != AIRLOCK_OK) {
		airlock_manifest_free(m);
		return err->code;
	}
	*out = m;
	return AIRLOCK_OK;
}

void airlock_manifest_free(struct airlock_manifest *m)
{
	if (m == NULL)
		return;
	json_decref(m->doc);
	free(m->removed);
	free(m->entries);
	free(m->frames);
	free(m->bases);
	free(m);
}

size_t airlock_manifest_removed_count(const struct airlock_manifest *m)
{
	return m->nremoved;
}

const char *airlock_manifest_removed_at(const struct airlock_manifest *m, size_t i)
{
	return i < m->nremoved ? m->removed[i] : NULL;
}

size_t airlock_manifest_entry_count(const struct airlock_manifest *m)
{
	return m->nentries;
}

const struct airlock_manifest_entry *airlock_manifest_entry_at(const struct airlock_manifest *m,
    size_t i)
{
	return i < m->nentries ? &m->entries[i] : NULL;
}

size_t airlock_manifest_frame_count(const struct airlock_manifest *m)
{
	return m->nframes;
}

const struct airlock_manifest_frame *airlock_manifest_frame_at(const struct airlock_manifest *m,
    size_t i)
{
	return i < m->nframes ? &m->frames[i] : NULL;
}

size_t airlock_manifest_whole_count(const struct airlock_manifest *m)
{
	return m->nwhole;
}
