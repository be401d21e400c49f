/* payload.c - the payload writer: tar (libarchive) -> zstd (libzstd) ->
 * age -> sink. Delta frames are encoded by a worker thread into memory
 * while the main thread streams MANIFEST.json and the whole files; the
 * finished frames queue up to QUEUE_BYTES, so memory stays bounded by
 * that plus the frame being encoded (its base and target) and zstd's
 * tables. The reader is in payload_read.c. */
#include "airlock/payload.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "airlock/age.h"
#include "airlock/delta.h"
#include "airlock/header.h"
#include "airlock/hash.h"

#define QUEUE_BYTES (UINT64_C(4) << 20)    /* finished frames waiting for the tar */
#define CHUNK (UINT64_C(1) << 20)          /* progress and cancel granularity */
/* Memory budget (plan.h: AIRLOCK_MEMORY_BASE + 2 x the largest file
 * delta-coded). Set aside first: the program itself (code, libraries,
 * catalog, trees, plan, I/O buffers: 8 to 11 MiB measured on the corpus),
 * and with delta frames the queue of finished ones. */
#define RESERVE_PROCESS (UINT64_C(12) << 20)
/* The outer compressor's share while delta frames are coded beside it: the
 * outer frame then mostly carries already-compressed frames. */
#define OUTER_WITH_FRAMES (UINT64_C(8) << 20)
#define OUTER_WINDOW_RAISE_MAX 23
/* A frame's tables never get less than this (only reached by a group
 * budget set by hand above the memory target). */
#define FRAME_TABLES_MIN (UINT64_C(8) << 20)

/* ---- zstd stage: a sink that compresses into the next sink ---- */

struct zstage {
	ZSTD_CCtx *c;
	struct airlock_sink next;
	uint8_t *out;
	size_t outcap;
	uint64_t in_bytes;
	uint64_t out_bytes;
	const struct airlock_progress *progress;
	uint64_t total_estimate;
	uint64_t reported;
};

static enum airlock_code z_push(struct zstage *z, const void *buf, size_t len,
    ZSTD_EndDirective mode, struct airlock_err *err)
{
	ZSTD_inBuffer in = { buf, len, 0 };
	size_t rem;
	do {
		ZSTD_outBuffer o = { z->out, z->outcap, 0 };
		rem = ZSTD_compressStream2(z->c, &o, &in, mode);
		if (ZSTD_isError(rem))
			return airlock_fail(err, AIRLOCK_E_FAILED, "zstd: %s", ZSTD_getErrorName(rem));
		if (o.pos > 0 && z->next.write(z->next.ctx, z->out, o.pos, err) != AIRLOCK_OK)
			return err->code;
		z->out_bytes += o.pos;
	} while (in.pos < in.size || (mode == ZSTD_e_end && rem != 0));
	z->in_bytes += len;
	return AIRLOCK_OK;
}

static enum airlock_code z_init(struct zstage *z, const struct airlock_delta_params *prm,
    struct airlock_err *err)
{
	z->c = ZSTD_createCCtx();
	z->outcap = ZSTD_CStreamOutSize();
	z->out = malloc(z->outcap);
	if (z->c == NULL || z->out == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	return airlock_delta_apply(prm, z->c, err);
}

/* ---- the delta worker ---- */

struct frame_out {
	uint8_t *data;
	size_t len, cap;
};

struct worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct airlock_plan *plan;
	const struct airlock_objstore *os;
	uint64_t budget;             /* memory for a frame's inputs and tables */
	struct frame_out *ready;     /* one per frame; data != NULL once encoded */
	int *done;                   /* 1 once frame i is in ready[i] */
	uint64_t queued;             /* bytes in ready and not yet taken */
	int stop;                    /* set by the main thread on failure */
	int failed;
	struct airlock_err err;
};

static enum airlock_code out_write(void *ctx, const void *buf, size_t len,
    struct airlock_err *err)
{
	struct frame_out *o = ctx;
	if (o->len + len > o->cap) {
		size_t cap = (o->len + len) * 2 + 4096;
		uint8_t *p = realloc(o->data, cap);
		if (p == NULL)
			return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory encoding a delta frame");
		o->data = p;
		o->cap = cap;
	}
	memcpy(o->data + o->len, buf, len);
	o->len += len;
	return AIRLOCK_OK;
}

/* A view of one object, or a concatenation of several in malloc'd memory. */
struct joined {
	const uint8_t *data;
	size_t len;
	void *map;        /* single object: the mapping to unmap */
	uint8_t *owned;   /* several: the buffer to free */
};

static void joined_free(struct joined *j)
{
	if (j->map != NULL)
		munmap(j->map, j->len);
	free(j->owned);
	memset(j, 0, sizeof(*j));
}

static enum airlock_code map_entry(const struct airlock_objstore *os,
    const struct airlock_tree_entry *e, const uint8_t **data, size_t *len, struct airlock_err *err)
{
	char q[128];
	if (airlock_objstore_map(os, e->hash, data, len, err) != AIRLOCK_OK)
		return err->code;
	if (*len != e->size) {
		if (*data != NULL)
			munmap((void *)*data, *len);
		airlock_escape(q, sizeof(q), e->path, strlen(e->path));
		return airlock_fail(err, AIRLOCK_E_FAILED,
		    "object of '%s' has %zu bytes, the tree says %llu", q, *len,
		    (unsigned long long)e->size);
	}
	return AIRLOCK_OK;
}

static enum airlock_code join(const struct airlock_objstore *os,
    const struct airlock_tree_entry *const *es, size_t n, uint64_t total, struct joined *j,
    struct airlock_err *err)
{
	size_t off = 0;
	memset(j, 0, sizeof(*j));
	if (n == 1) {
		if (map_entry(os, es[0], &j->data, &j->len, err) != AIRLOCK_OK)
			return err->code;
		j->map = (void *)j->data;
		return AIRLOCK_OK;
	}
	if (total > SIZE_MAX - 1 || (j->owned = malloc((size_t)total + 1)) == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory joining delta inputs");
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d;
		size_t len;
		if (map_entry(os, es[i], &d, &len, err) != AIRLOCK_OK || len > total - off) {
			joined_free(j);
			return airlock_fail(err, AIRLOCK_E_FAILED, "delta inputs do not add up");
		}
		if (len > 0) {
			memcpy(j->owned + off, d, len);
			munmap((void *)d, len);
		}
		off += len;
	}
	j->data = j->owned;
	j->len = off;
	return AIRLOCK_OK;
}

/* What a frame's encoder may use: the budget less its inputs, which are
 * resident while it runs. */
static uint64_t frame_tables_budget(uint64_t budget, const struct airlock_plan_frame *f)
{
	uint64_t inputs = f->size + f->base_size;
	return budget > inputs + FRAME_TABLES_MIN ? budget - inputs : FRAME_TABLES_MIN;
}

static enum airlock_code encode_frame(struct worker *w, size_t i, struct frame_out *out,
    struct airlock_err *err)
{
	const struct airlock_plan_frame *f = &w->plan->frames[i];
	const struct airlock_tree_entry **targets;
	struct joined base, target;
	uint64_t flen;
	enum airlock_code rc;
	targets = calloc(f->nmembers + 1, sizeof(*targets));
	if (targets == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	for (size_t k = 0; k < f->nmembers; k++)
		targets[k] = w->plan->entries[f->members[k]].target;
	rc = join(w->os, f->bases, f->nbases, f->base_size, &base, err);
	if (rc == AIRLOCK_OK) {
		rc = join(w->os, targets, f->nmembers, f->size, &target, err);
		if (rc == AIRLOCK_OK) {
			struct airlock_delta_params prm;
			airlock_delta_params(base.len, target.len, AIRLOCK_PAYLOAD_LEVEL,
			    frame_tables_budget(w->budget, f), &prm);
			rc = airlock_delta_encode_with(&prm, base.data, base.len,
			    target.data != NULL ? target.data : (const uint8_t *)"", target.len,
			    (struct airlock_sink){ out_write, out }, &flen, err);
			joined_free(&target);
		}
		joined_free(&base);
	}
	free(targets);
	return rc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (size_t i = 0; i < w->plan->nframes; i++) {
		struct frame_out out = { NULL, 0, 0 };
		enum airlock_code rc;
		pthread_mutex_lock(&w->mu);
		while (!w->stop && w->queued > QUEUE_BYTES)
			pthread_cond_wait(&w->cv, &w->mu);
		pthread_mutex_unlock(&w->mu);
		if (w->stop)
			break;
		rc = encode_frame(w, i, &out, &w->err);
		pthread_mutex_lock(&w->mu);
		if (rc != AIRLOCK_OK) {
			w->failed = 1;
			free(out.data);
		} else {
			w->ready[i] = out;
			w->done[i] = 1;
			w->queued += out.len;
		}
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		if (rc != AIRLOCK_OK)
			break;
	}
	return NULL;
}

/* Waits for frame i; the caller frees out->data. */
static enum airlock_code worker_take(struct worker *w, size_t i, struct frame_out *out,
    struct airlock_err *err)
{
	pthread_mutex_lock(&w->mu);
	while (!w->done[i] && !w->failed)
		pthread_cond_wait(&w->cv, &w->mu);
	if (!w->done[i]) {
		pthread_mutex_unlock(&w->mu);
		*err = w->err;
		return err->code;
	}
	*out = w->ready[i];
	memset(&w->ready[i], 0, sizeof(w->ready[i]));
	w->queued -= out->len;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return AIRLOCK_OK;
}

static enum airlock_code worker_start(struct worker *w, const struct airlock_plan *plan,
    const struct airlock_objstore *os, uint64_t budget, struct airlock_err *err)
{
	memset(w, 0, sizeof(*w));
	w->plan = plan;
	w->os = os;
	w->budget = budget;
	airlock_err_init(&w->err);
	w->ready = calloc(plan->nframes + 1, sizeof(*w->ready));
	w->done = calloc(plan->nframes + 1, sizeof(*w->done));
	if (w->ready == NULL || w->done == NULL) {
		free(w->ready);
		free(w->done);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w->ready);
		free(w->done);
		return airlock_fail(err, AIRLOCK_E_FAILED, "cannot start the delta encoder thread");
	}
	return AIRLOCK_OK;
}

static void worker_stop(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	for (size_t i = 0; i < w->plan->nframes; i++)
		free(w->ready[i].data);
	free(w->ready);
	free(w->done);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}

/* ---- the tar ---- */

struct writer {
	struct archive *a;
	int stop;                    /* set on failure: output refuses everything */
	struct zstage z;
	struct airlock_err *err;     /* where callbacks record failures */
	uint64_t entries;
	const struct airlock_progress *progress;
	uint64_t estimate;
};

static la_ssize_t tar_out(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct writer *w = ctx;
	if (w->stop || z_push(&w->z, buf, len, ZSTD_e_continue, w->err) != AIRLOCK_OK) {
		w->stop = 1;
		archive_set_error(a, EIO, "%s", w->err->msg);
		return -1;
	}
	return (la_ssize_t)len;
}

static enum airlock_code tar_fail(struct writer *w, const char *what)
{
	const char *m = archive_error_string(w->a);
	return airlock_fail(w->err, AIRLOCK_E_FAILED, "cannot write the payload (%s): %s", what,
	    m != NULL ? m : "libarchive error");
}

static enum airlock_code put_header(struct writer *w, const char *name, uint64_t size)
{
	struct archive_entry *e = archive_entry_new();
	int r;
	if (e == NULL)
		return airlock_fail(w->err, AIRLOCK_E_NOMEM, "out of memory");
	archive_entry_set_pathname_utf8(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, 0, 0);
	r = archive_write_header(w->a, e);
	archive_entry_free(e);
	w->entries++;
	return r == ARCHIVE_OK ? AIRLOCK_OK : tar_fail(w, name);
}

/* Writes data in chunks. With mapped, data is a file mapping: the pages
 * already compressed are dropped from this process as it goes (they stay
 * in the page cache), so a large whole file does not count in full
 * against the memory target. */
static enum airlock_code put_data(struct writer *w, const uint8_t *data, uint64_t len,
    const char *name, int mapped)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), dropped = 0;
	for (uint64_t off = 0; off < len;) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : (size_t)CHUNK;
		if (archive_write_data(w->a, data + off, n) != (la_ssize_t)n)
			return tar_fail(w, name);
		off += n;
		if (mapped && off / page * page > dropped) {
			madvise((void *)(data + dropped), off / page * page - dropped, MADV_DONTNEED);
			dropped = off / page * page;
		}
		if (airlock_progress_step(w->progress, "compress", w->z.in_bytes, w->estimate,
		    w->err) != AIRLOCK_OK)
			return w->err->code;
	}
	return AIRLOCK_OK;
}

static enum airlock_code put_member(struct writer *w, const char *name, const uint8_t *data,
    uint64_t len, int mapped)
{
	if (put_header(w, name, len) != AIRLOCK_OK)
		return w->err->code;
	return put_data(w, data, len, name, mapped);
}

static enum airlock_code put_whole(struct writer *w, const struct airlock_objstore *os,
    const struct airlock_tree_entry *t)
{
	const uint8_t *data;
	size_t len;
	char *name;
	enum airlock_code rc;
	if (map_entry(os, t, &data, &len, w->err) != AIRLOCK_OK)
		return w->err->code;
	name = malloc(strlen(t->path) + sizeof("files/"));
	if (name == NULL)
		rc = airlock_fail(w->err, AIRLOCK_E_NOMEM, "out of memory");
	else {
		strcpy(name, "files/");
		strcat(name, t->path);
		rc = put_member(w, name, data, len, data != NULL);
	}
	free(name);
	if (data != NULL)
		munmap((void *)data, len);
	return rc;
}

static enum airlock_code put_all(struct writer *w, const struct airlock_plan *plan,
    const char *manifest, size_t manifest_len, const struct airlock_objstore *os,
    struct worker *wk)
{
	if (put_member(w, AIRLOCK_PAYLOAD_MANIFEST_NAME, (const uint8_t *)manifest,
	    manifest_len, 0) != AIRLOCK_OK)
		return w->err->code;
	for (size_t i = 0; i < plan->nentries; i++)
		if (plan->entries[i].source == AIRLOCK_SRC_WHOLE &&
		    put_whole(w, os, plan->entries[i].target) != AIRLOCK_OK)
			return w->err->code;
	for (size_t i = 0; i < plan->nframes; i++) {
		struct frame_out f = { NULL, 0, 0 };
		char name[32];
		enum airlock_code rc;
		if (worker_take(wk, i, &f, w->err) != AIRLOCK_OK)
			return w->err->code;
		snprintf(name, sizeof(name), "deltas/%06zu.zst", i);
		rc = put_member(w, name, f.data, f.len, 0);
		free(f.data);
		if (rc != AIRLOCK_OK)
			return rc;
	}
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return tar_fail(w, "end of archive");
	return AIRLOCK_OK;
}

static uint64_t estimate_tar(const struct airlock_plan *plan, size_t manifest_len)
{
	uint64_t n = manifest_len + 2048;
	for (size_t i = 0; i < plan->nentries; i++)
		if (plan->entries[i].source == AIRLOCK_SRC_WHOLE)
			n += plan->entries[i].target->size + 1024;
	for (size_t i = 0; i < plan->nframes; i++)
		n += plan->frames[i].size / 4 + 1024;   /* deltas are usually far smaller */
	return n;
}

/* What the outer compressor can actually compress: the manifest, the whole
 * files and the tar headers (delta frames are compressed already), and so
 * what its window and tables are sized for. */
static uint64_t estimate_compressible(const struct airlock_plan *plan, size_t manifest_len)
{
	uint64_t n = manifest_len + 2048 + 1024 * (uint64_t)plan->nframes;
	for (size_t i = 0; i < plan->nentries; i++)
		if (plan->entries[i].source == AIRLOCK_SRC_WHOLE)
			n += plan->entries[i].target->size + 2048;   /* header, pax name, padding */
	return n;
}

/* The tar itself, counting frames at what they typically compress to
 * (1/16 of their input, or less, on the corpus). */
static uint64_t estimate_frames_out(const struct airlock_plan *plan)
{
	uint64_t n = 0;
	for (size_t i = 0; i < plan->nframes; i++)
		n += plan->frames[i].size / 16;
	return n;
}

/* The tables are sized for what compresses, but the window covers the
 * whole tar when it is small: the frames between the manifest and the end
 * still cost matches otherwise (caniuse v1->v2: 704 bytes more at 2^16
 * than at 2^17). The window buffer is only touched as far as the tar goes,
 * and the raise is capped at OUTER_WINDOW_RAISE_MAX. */
static void outer_window(struct airlock_delta_params *outer, uint64_t tar_estimate)
{
	int wl = airlock_delta_window_log(tar_estimate);
	int cap = outer->window_log > OUTER_WINDOW_RAISE_MAX ? outer->window_log :
	    OUTER_WINDOW_RAISE_MAX;
	if (wl > cap)
		wl = cap;
	if (wl > outer->window_log) {
		outer->window_log = wl;
		outer->input_len = UINT64_C(1) << wl;   /* frames can be larger than guessed */
		outer->ldm_rate_log = wl > outer->ldm_hash_log ? wl - outer->ldm_hash_log : 0;
		outer->table_bytes = airlock_delta_estimate(outer);
	}
}

/* The header's window_log bounds every zstd window a reader must allow: the
 * outer frame's and each delta frame's (a single-segment frame's window is
 * its content size). */
static int frames_window_log(const struct airlock_plan *plan)
{
	int wl = 0;
	for (size_t i = 0; i < plan->nframes; i++) {
		int f = airlock_delta_window_log(plan->frames[i].size);
		if (f > wl)
			wl = f;
	}
	return wl;
}

static enum airlock_code open_tar(struct writer *w, struct airlock_err *err)
{
	w->a = archive_write_new();
	if (w->a == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, tar_out, NULL, NULL) != ARCHIVE_OK)
		return tar_fail(w, "open");
	return AIRLOCK_OK;
}

static enum airlock_code write_stream(const struct airlock_plan *plan, const char *manifest,
    size_t manifest_len, const struct airlock_objstore *os, struct airlock_sink age,
    struct airlock_payload_limits *lim, const struct airlock_progress *progress,
    struct airlock_err *err)
{
	struct writer w;
	struct worker wk;
	enum airlock_code rc;
	/* libarchive converts names through the thread's locale; UTF-8 names
	 * need a UTF-8 one (in "C" it crashes or writes hdrcharset=BINARY). */
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), old;
	if (loc == (locale_t)0)
		return airlock_fail(err, AIRLOCK_E_FAILED, "the C.UTF-8 locale is not available");
	old = uselocale(loc);
	memset(&w, 0, sizeof(w));
	w.err = err;
	w.progress = progress;
	w.estimate = estimate_tar(plan, manifest_len);
	w.z.next = age;
	/* the memory target: the program, then the outer compressor, then
	 * the delta frames' inputs and tables, one frame at a time */
	uint64_t reserve = RESERVE_PROCESS + (plan->nframes > 0 ? QUEUE_BYTES : 0);
	uint64_t avail = airlock_plan_memory_bound(plan) - reserve;
	uint64_t compressible = estimate_compressible(plan, manifest_len);
	struct airlock_delta_params outer;
	airlock_delta_params(0, compressible, AIRLOCK_PAYLOAD_LEVEL,
	    plan->nframes > 0 ? OUTER_WITH_FRAMES : avail, &outer);
	outer_window(&outer, compressible + estimate_frames_out(plan));
	avail = avail > outer.table_bytes ? avail - outer.table_bytes : 0;
	int frames = frames_window_log(plan);
	lim->window_log = frames > outer.window_log ? frames : outer.window_log;
	rc = z_init(&w.z, &outer, err);
	if (rc == AIRLOCK_OK)
		rc = open_tar(&w, err);
	if (rc == AIRLOCK_OK && (rc = worker_start(&wk, plan, os, avail, err)) == AIRLOCK_OK) {
		rc = put_all(&w, plan, manifest, manifest_len, os, &wk);
		worker_stop(&wk);
	}
	if (rc == AIRLOCK_OK)
		rc = z_push(&w.z, NULL, 0, ZSTD_e_end, err);
	if (w.a != NULL) {
		/* on failure, stop the output so closing pads nothing (and do not
		 * use archive_write_fail: it leaks the client state in 3.6.2) */
		w.stop = rc != AIRLOCK_OK;
		if (rc != AIRLOCK_OK)
			archive_write_close(w.a);
		archive_write_free(w.a);
	}
	lim->unpacked_bytes = w.z.in_bytes;
	lim->entries = w.entries;
	ZSTD_freeCCtx(w.z.c);
	free(w.z.out);
	uselocale(old);
	freelocale(loc);
	return rc == AIRLOCK_OK ? AIRLOCK_OK : err->code;
}

/* Counts the bytes going into age (the compressed stream). */
struct counter {
	struct airlock_sink next;
	uint64_t n;
};

static enum airlock_code count_write(void *ctx, const void *buf, size_t len,
    struct airlock_err *err)
{
	struct counter *c = ctx;
	c->n += len;
	return c->next.write(c->next.ctx, buf, len, err);
}

enum airlock_code airlock_payload_write(const struct airlock_plan *plan, const char *manifest,
    size_t manifest_len, const struct airlock_objstore *os, const uint8_t (*recipients)[32],
    size_t n, struct airlock_sink out, struct airlock_payload_limits *lim, uint64_t *compressed,
    const struct airlock_progress *progress, struct airlock_err *err)
{
	struct airlock_age_writer *aw = NULL;
	struct counter cnt = { { NULL, NULL }, 0 };
	enum airlock_code rc;
	memset(lim, 0, sizeof(*lim));
	rc = airlock_age_writer_new(&aw, out, recipients, n, err);
	if (rc != AIRLOCK_OK)
		return rc;
	cnt.next = airlock_age_writer_sink(aw);
	rc = write_stream(plan, manifest, manifest_len, os, (struct airlock_sink){ count_write, &cnt },
	    lim, progress, err);
	if (rc == AIRLOCK_OK)
		rc = airlock_age_writer_finish(aw, err);
	airlock_age_writer_free(aw);
	if (compressed != NULL)
		*compressed = cnt.n;
	return rc;
}
