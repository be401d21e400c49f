/* apply.c - rebuild a target version from a base version and a payload
 * (doc/bundle-format.md, "MANIFEST.json"). Every new content goes to its
 * own blob file in the work directory, hashed as it is written, and no
 * blob ever grows past the size the manifest declares. */
#include "airlock/apply.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "airlock/delta.h"
#include "airlock/fault.h"
#include "airlock/hash.h"

#define CHUNK (256 * 1024)

struct slot {                          /* what we learn about entry i */
	uint8_t hash[AIRLOCK_HASH_BYTES];
	int done;
};

struct blobw {                         /* one blob being written */
	int fd;
	struct airlock_hasher h;
	uint64_t written, limit;
	const char *path;                  /* the manifest path, for messages */
};

struct applier {
	struct airlock_payload_reader *r;
	const struct airlock_manifest *m;
	const struct airlock_tree *base;
	const struct airlock_objstore *os;
	int window_log;
	int wfd;                           /* work directory */
	const struct airlock_progress *progress;
	struct slot *slots;
	struct airlock_apply_result *res;
	size_t cap;
	uint64_t steps;
};

/* Untrusted paths are escaped before they reach a message. */
static const char *esc(char out[256], const char *path)
{
	airlock_escape(out, 256, path, strlen(path));
	return out;
}
#define bad(err, fmt, path) airlock_fail((err), AIRLOCK_E_VERIFY, fmt, esc((char[256]){ 0 }, (path)))

static enum airlock_code blob_open(struct applier *a, struct blobw *b, uint64_t limit,
    const char *path, struct airlock_err *err)
{
	struct airlock_apply_result *res = a->res;
	if (res->nblobs == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;
		struct airlock_apply_blob *p = realloc(res->blobs, cap * sizeof *p);
		if (p == NULL)
			return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory applying the bundle");
		res->blobs = p;
		a->cap = cap;
	}
	struct airlock_apply_blob *bl = &res->blobs[res->nblobs];
	snprintf(bl->name, sizeof bl->name, "blob-%06zu", res->nblobs);
	b->fd = openat(a->wfd, bl->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (b->fd < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot create '%s' in staging",
		    bl->name);
	res->nblobs++;
	airlock_hasher_init(&b->h);
	b->written = 0;
	b->limit = limit;
	b->path = path;
	return AIRLOCK_OK;
}

static enum airlock_code blob_write(struct blobw *b, const void *buf, size_t len,
    struct airlock_err *err)
{
	if (len > b->limit - b->written)
		return bad(err, "payload: '%s' is larger than the manifest says", b->path);
	airlock_hasher_update(&b->h, buf, len);
	b->written += len;
	return airlock_write_all(b->fd, buf, len, "a staged file", err);
}

/* Closes the blob; its hash goes to the last blob record and to slot. */
static enum airlock_code blob_close(struct applier *a, struct blobw *b, struct slot *slot,
    struct airlock_err *err)
{
	struct airlock_apply_blob *bl = &a->res->blobs[a->res->nblobs - 1];
	enum airlock_code rc = AIRLOCK_OK;
	/* No fsync per blob: one syncfs(2) at the end of airlock_apply makes
	 * them all durable at once (a 100,000-file import would otherwise wait
	 * for 100,000 flushes). */
	if (b->written != b->limit)
		rc = bad(err, "payload: '%s' is shorter than the manifest says", b->path);
	close(b->fd);
	b->fd = -1;
	if (rc != AIRLOCK_OK)
		return rc;
	airlock_hasher_final(&b->h, bl->hash);
	bl->size = b->written;
	memcpy(slot->hash, bl->hash, AIRLOCK_HASH_BYTES);
	slot->done = 1;
	return AIRLOCK_OK;
}

static enum airlock_code step(struct applier *a, struct airlock_err *err)
{
	a->steps++;
	return airlock_progress_step(a->progress, "apply", a->steps,
	    airlock_manifest_entry_count(a->m), err);
}

/* ---- whole files ---- */

static enum airlock_code next_member(struct applier *a, const char *want, uint64_t *size,
    struct airlock_err *err)
{
	const char *name = NULL;
	if (airlock_payload_reader_next(a->r, &name, size, err) != AIRLOCK_OK)
		return err->code;
	if (name == NULL)
		return bad(err, "payload: member '%s' is missing", want);
	if (strcmp(name, want) != 0)
		return bad(err, "payload: unexpected member '%s'", name);
	return AIRLOCK_OK;
}

static enum airlock_code apply_whole(struct applier *a, size_t i,
    const struct airlock_manifest_entry *e, struct airlock_err *err)
{
	char want[AIRLOCK_PATH_MAX + 8];
	uint64_t size;
	struct blobw b = { .fd = -1 };
	snprintf(want, sizeof want, "files/%s", e->path);
	if (next_member(a, want, &size, err) != AIRLOCK_OK)
		return err->code;
	if (size != e->size)
		return bad(err, "payload: '%s' does not have the size the manifest says", e->path);
	if (blob_open(a, &b, e->size, e->path, err) != AIRLOCK_OK)
		return err->code;
	char *buf = malloc(CHUNK);
	enum airlock_code rc = buf ? AIRLOCK_OK : airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	ssize_t n;
	while (rc == AIRLOCK_OK && (n = airlock_payload_reader_read(a->r, buf, CHUNK, err)) != 0)
		rc = n < 0 ? err->code : blob_write(&b, buf, (size_t)n, err);
	free(buf);
	if (rc == AIRLOCK_OK)
		return blob_close(a, &b, &a->slots[i], err);
	close(b.fd);
	return rc;
}

/* ---- base files (copies and delta bases) ---- */

static enum airlock_code base_file(struct applier *a, const char *path,
    const struct airlock_tree_entry **out, struct airlock_err *err)
{
	const struct airlock_tree_entry *be = a->base ? airlock_tree_find(a->base, path) : NULL;
	if (be == NULL || be->type != AIRLOCK_ENTRY_FILE)
		return bad(err, "manifest: '%s' is not a file of the base version", path);
	*out = be;
	return AIRLOCK_OK;
}

static enum airlock_code apply_copy(struct applier *a, size_t i,
    const struct airlock_manifest_entry *e, struct airlock_err *err)
{
	const struct airlock_tree_entry *be;
	if (base_file(a, e->from, &be, err) != AIRLOCK_OK)
		return err->code;
	if (be->size != e->size)
		return bad(err, "manifest: copy '%s' does not have its source's size", e->path);
	if (!airlock_objstore_has(a->os, be->hash))
		return airlock_fail(err, AIRLOCK_E_FAILED, "the store lacks the object of '%s'", be->path);
	memcpy(a->slots[i].hash, be->hash, AIRLOCK_HASH_BYTES);
	a->slots[i].done = 1;
	return AIRLOCK_OK;
}

/* The concatenation of a frame's bases, each object hashed first: a zstd
 * patch against a wrong base would otherwise "succeed" with garbage. */
static enum airlock_code frame_base(struct applier *a, const struct airlock_manifest_frame *f,
    uint8_t **out, size_t *len, struct airlock_err *err)
{
	uint64_t total = 0;
	const struct airlock_tree_entry *be;
	for (size_t j = 0; j < f->nbases; j++) {
		if (base_file(a, f->bases[j], &be, err) != AIRLOCK_OK)
			return err->code;
		total += be->size;
	}
	if (total == 0 || total > AIRLOCK_MANIFEST_FRAME_MAX)
		return bad(err, "manifest: the bases of frame '%s' are empty or too large", f->name);
	uint8_t *buf = malloc((size_t)total);
	if (buf == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for a delta base");
	size_t off = 0;
	for (size_t j = 0; j < f->nbases; j++) {
		const uint8_t *data = NULL;
		size_t n = 0;
		uint8_t h[AIRLOCK_HASH_BYTES];
		(void)base_file(a, f->bases[j], &be, err);
		if (airlock_objstore_map(a->os, be->hash, &data, &n, err) != AIRLOCK_OK) {
			free(buf);
			return err->code;
		}
		airlock_hash_buffer(h, data, n);
		int ok = n == be->size && sodium_memcmp(h, be->hash, AIRLOCK_HASH_BYTES) == 0;
		if (ok)
			memcpy(buf + off, data, n);
		if (n > 0)
			munmap((void *)data, n);
		if (!ok) {
			free(buf);
			airlock_fail(err, AIRLOCK_E_FAILED, "the stored object of '%s' is damaged", be->path);
			airlock_hint(err, "run 'airlock-importer fsck'");
			return err->code;
		}
		off += n;
	}
	*out = buf;
	*len = off;
	return AIRLOCK_OK;
}

/* ---- delta frames: the decoded bytes are split over the members ---- */

struct splitter {
	struct applier *a;
	size_t *members;                   /* entry indices, in order */
	size_t n, cur;
	struct blobw b;
	struct airlock_err *err;
};

static enum airlock_code split_advance(struct splitter *s, struct airlock_err *err)
{
	while (s->cur < s->n) {
		const struct airlock_manifest_entry *e = airlock_manifest_entry_at(s->a->m,
		    s->members[s->cur]);
		if (s->b.fd < 0 && blob_open(s->a, &s->b, e->size, e->path, err) != AIRLOCK_OK)
			return err->code;
		if (s->b.written < s->b.limit)
			return AIRLOCK_OK;
		if (blob_close(s->a, &s->b, &s->a->slots[s->members[s->cur]], err) != AIRLOCK_OK ||
		    step(s->a, err) != AIRLOCK_OK)
			return err->code;
		airlock_fault_point("apply.delta-entry");
		s->cur++;
	}
	return AIRLOCK_OK;
}

static enum airlock_code split_write(void *ctx, const void *buf, size_t len,
    struct airlock_err *err)
{
	struct splitter *s = ctx;
	const uint8_t *p = buf;
	while (len > 0) {
		if (split_advance(s, err) != AIRLOCK_OK)
			return err->code;
		if (s->cur == s->n)
			return airlock_fail(err, AIRLOCK_E_VERIFY, "payload: a delta frame decodes to more"
			    " than its entries");
		uint64_t room = s->b.limit - s->b.written;
		size_t n = len < room ? len : (size_t)room;
		if (blob_write(&s->b, p, n, err) != AIRLOCK_OK)
			return err->code;
		p += n;
		len -= n;
	}
	return AIRLOCK_OK;
}

static enum airlock_code apply_frame(struct applier *a, size_t k, size_t *members, size_t n,
    struct airlock_err *err)
{
	const struct airlock_manifest_frame *f = airlock_manifest_frame_at(a->m, k);
	uint8_t *base = NULL;
	size_t blen = 0;
	uint64_t size;
	struct splitter s = { .a = a, .members = members, .n = n, .b = { .fd = -1 } };
	if (next_member(a, f->name, &size, err) != AIRLOCK_OK ||
	    frame_base(a, f, &base, &blen, err) != AIRLOCK_OK)
		return err->code;
	struct airlock_sink sink = { .write = split_write, .ctx = &s };
	enum airlock_code rc = airlock_delta_decode(base, blen, airlock_payload_reader_source(a->r),
	    size, f->size, a->window_log, sink, err);
	free(base);
	if (rc == AIRLOCK_OK)
		rc = split_advance(&s, err);
	if (rc == AIRLOCK_OK && s.cur != s.n)
		rc = airlock_fail(err, AIRLOCK_E_VERIFY, "payload: a delta frame is shorter than its entries");
	if (s.b.fd >= 0)
		close(s.b.fd);
	airlock_fault_point("apply.frame");
	return rc;
}

static enum airlock_code apply_frames(struct applier *a, struct airlock_err *err)
{
	size_t ne = airlock_manifest_entry_count(a->m), nf = airlock_manifest_frame_count(a->m);
	size_t *members = malloc((ne ? ne : 1) * sizeof *members);
	if (members == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	enum airlock_code rc = AIRLOCK_OK;
	for (size_t k = 0; rc == AIRLOCK_OK && k < nf; k++) {
		size_t n = 0;
		for (size_t i = 0; i < ne; i++) {
			const struct airlock_manifest_entry *e = airlock_manifest_entry_at(a->m, i);
			if (e->source == AIRLOCK_SRC_DELTA && e->frame == k)
				members[n++] = i;
		}
		rc = apply_frame(a, k, members, n, err);
	}
	free(members);
	return rc;
}

/* ---- entries in manifest order ---- */

static enum airlock_code apply_entries(struct applier *a, struct airlock_err *err)
{
	size_t ne = airlock_manifest_entry_count(a->m);
	for (size_t i = 0; i < ne; i++) {
		const struct airlock_manifest_entry *e = airlock_manifest_entry_at(a->m, i);
		enum airlock_code rc = AIRLOCK_OK;
		if (e->source == AIRLOCK_SRC_WHOLE)
			rc = apply_whole(a, i, e, err);
		else if (e->source == AIRLOCK_SRC_COPY)
			rc = apply_copy(a, i, e, err);
		else if (e->source == AIRLOCK_SRC_SYMLINK) {
			airlock_hash_buffer(a->slots[i].hash, e->link_target, strlen(e->link_target));
			a->slots[i].done = 1;
		} else
			continue;   /* deltas come after every whole file */
		if (rc != AIRLOCK_OK || step(a, err) != AIRLOCK_OK)
			return err->code;
		airlock_fault_point("apply.entry");
	}
	return apply_frames(a, err);
}

static enum airlock_code expect_end(struct applier *a, struct airlock_err *err)
{
	const char *name = NULL;
	uint64_t size;
	if (airlock_payload_reader_next(a->r, &name, &size, err) != AIRLOCK_OK)
		return err->code;
	if (name != NULL)
		return bad(err, "payload: unexpected member '%s'", name);
	return AIRLOCK_OK;
}

/* ---- the target tree ---- */


/* Binary search in the manifest's sorted removed list / entries. */
static int in_removed(const struct airlock_manifest *m, const char *path)
{
	size_t lo = 0, hi = airlock_manifest_removed_count(m);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, airlock_manifest_removed_at(m, mid));
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static int in_entries(const struct airlock_manifest *m, const char *path)
{
	size_t lo = 0, hi = airlock_manifest_entry_count(m);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, airlock_manifest_entry_at(m, mid)->path);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static enum airlock_code check_removed(struct applier *a, struct airlock_err *err)
{
	size_t n = airlock_manifest_removed_count(a->m);
	for (size_t i = 0; i < n; i++) {
		const char *p = airlock_manifest_removed_at(a->m, i);
		if (a->base == NULL || airlock_tree_find(a->base, p) == NULL)
			return bad(err, "manifest: removed path '%s' is not in the base version", p);
	}
	a->res->removed = n;
	return AIRLOCK_OK;
}

static enum airlock_code add_new_entries(struct applier *a, struct airlock_tree *t,
    struct airlock_err *err)
{
	size_t ne = airlock_manifest_entry_count(a->m);
	for (size_t i = 0; i < ne; i++) {
		const struct airlock_manifest_entry *me = airlock_manifest_entry_at(a->m, i);
		struct airlock_tree_entry e = { .path = (char *)me->path, .type = me->type,
		    .mode = me->mode, .size = me->size, .link_target = (char *)me->link_target };
		if (!a->slots[i].done)
			return bad(err, "payload: no data for '%s'", me->path);
		memcpy(e.hash, a->slots[i].hash, AIRLOCK_HASH_BYTES);
		if (airlock_tree_add(t, &e, err) != AIRLOCK_OK)
			return err->code;
		if (a->base != NULL && airlock_tree_find(a->base, me->path) != NULL)
			a->res->changed++;
		else
			a->res->added++;
		if (me->source == AIRLOCK_SRC_WHOLE || me->source == AIRLOCK_SRC_DELTA)
			a->res->bytes += me->size;
	}
	return AIRLOCK_OK;
}

static enum airlock_code build_target(struct applier *a, struct airlock_err *err)
{
	struct airlock_tree *t = airlock_tree_new();
	if (t == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory building the target tree");
	enum airlock_code rc = AIRLOCK_OK;
	size_t nb = a->base ? airlock_tree_count(a->base) : 0;
	for (size_t i = 0; rc == AIRLOCK_OK && i < nb; i++) {
		const struct airlock_tree_entry *be = airlock_tree_at(a->base, i);
		if (!in_removed(a->m, be->path) && !in_entries(a->m, be->path))
			rc = airlock_tree_add(t, be, err);
	}
	if (rc == AIRLOCK_OK)
		rc = add_new_entries(a, t, err);
	if (rc == AIRLOCK_OK && airlock_tree_finish(t, err) != AIRLOCK_OK) {
		err->code = AIRLOCK_E_VERIFY;   /* a conflict the bundle made, not an I/O error */
		rc = AIRLOCK_E_VERIFY;
	}
	if (rc != AIRLOCK_OK) {
		airlock_tree_free(t);
		return rc;
	}
	a->res->target = t;
	return AIRLOCK_OK;
}

enum airlock_code airlock_apply(struct airlock_payload_reader *r,
    const struct airlock_manifest *m, const struct airlock_tree *base,
    const struct airlock_objstore *os, int window_log, const char *workdir,
    const struct airlock_progress *progress, struct airlock_apply_result *res,
    struct airlock_err *err)
{
	struct applier a = { .r = r, .m = m, .base = base, .os = os, .window_log = window_log,
	    .progress = progress, .res = res };
	size_t ne = airlock_manifest_entry_count(m);
	memset(res, 0, sizeof *res);
	a.wfd = open(workdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (a.wfd < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open '%s'", workdir);
	a.slots = calloc(ne ? ne : 1, sizeof *a.slots);
	enum airlock_code rc = a.slots ? AIRLOCK_OK
	    : airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory applying the bundle");
	if (rc == AIRLOCK_OK)
		rc = check_removed(&a, err);
	if (rc == AIRLOCK_OK)
		rc = apply_entries(&a, err);
	if (rc == AIRLOCK_OK)
		rc = expect_end(&a, err);
	if (rc == AIRLOCK_OK && (syncfs(a.wfd) != 0 || fsync(a.wfd) != 0))
		rc = airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot sync '%s'", workdir);
	if (rc == AIRLOCK_OK)
		rc = build_target(&a, err);
	free(a.slots);
	close(a.wfd);
	if (rc != AIRLOCK_OK)
		airlock_apply_result_release(res);
	return rc;
}

void airlock_apply_result_release(struct airlock_apply_result *res)
{
	airlock_tree_free(res->target);
	free(res->blobs);
	memset(res, 0, sizeof *res);
}
