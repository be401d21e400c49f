/* payload_read.c - strict streaming reader of the payload plaintext:
 * libzstd (window bounded by the signed limit, one checksummed frame,
 * nothing after it) feeding libarchive's tar reader through callbacks,
 * which hands back only the members the format allows, in order. */
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_getFrameHeader: exported by libzstd.so */
#include "airlock/payload.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "airlock/delta.h"
#include "airlock/header.h"
#include "airlock/manifest.h"
#include "airlock/tree.h"

#define IN_SIZE (128 * 1024)
#define OUT_SIZE (128 * 1024)
/* A delta member is at most zstd's bound for a 2 GiB frame. */
#define DELTA_MEMBER_MAX (AIRLOCK_DELTA_TARGET_MAX + (AIRLOCK_DELTA_TARGET_MAX >> 7) + 4096)

enum phase { PH_MANIFEST, PH_FILES, PH_DELTAS, PH_END };

struct airlock_payload_reader {
	struct airlock_source in;
	struct airlock_payload_limits lim;
	ZSTD_DCtx *d;
	uint8_t *inbuf, *outbuf;
	size_t in_pos, in_len;
	int header_checked;
	int frame_done;
	uint64_t unpacked;           /* plain tar bytes handed to libarchive */
	struct archive *a;
	struct airlock_err cb_err;   /* failures inside callbacks */
	char *manifest;
	size_t manifest_len;
	enum phase phase;
	char *name;
	char *last_file;             /* files/ members must be sorted, distinct */
	size_t next_delta;
	uint64_t entries;
	uint64_t remaining;          /* of the current member */
	locale_t loc;                /* C.UTF-8, for libarchive's name conversions */
};

/* libarchive converts names through the thread's locale: pax UTF-8 names
 * give ARCHIVE_WARN in "C". Every call into it runs under C.UTF-8. */
#define IN_UTF8(r, old) ((old) = uselocale((r)->loc))
#define OUT_UTF8(old) uselocale(old)

#define BAD(err, ...) airlock_fail((err), AIRLOCK_E_VERIFY, "payload: " __VA_ARGS__)

/* ---- zstd under libarchive ---- */

static enum airlock_code fill_input(struct airlock_payload_reader *r, struct airlock_err *err)
{
	ssize_t n = r->in.read(r->in.ctx, r->inbuf, IN_SIZE, err);
	if (n < 0)
		return err->code != AIRLOCK_OK ? err->code : BAD(err, "read error");
	r->in_pos = 0;
	r->in_len = (size_t)n;
	return AIRLOCK_OK;
}

/* One checksummed zstd frame, no dictionary, not skippable. */
static enum airlock_code check_frame_header(struct airlock_payload_reader *r,
    struct airlock_err *err)
{
	ZSTD_frameHeader fh;
	size_t k;
	/* a source may hand out bytes in small pieces: gather a whole header */
	while (r->in_len - r->in_pos < ZSTD_FRAMEHEADERSIZE_MAX) {
		ssize_t n = r->in.read(r->in.ctx, r->inbuf + r->in_len, IN_SIZE - r->in_len, err);
		if (n < 0)
			return err->code != AIRLOCK_OK ? err->code : BAD(err, "read error");
		if (n == 0)
			break;
		r->in_len += (size_t)n;
	}
	k = ZSTD_getFrameHeader(&fh, r->inbuf + r->in_pos, r->in_len - r->in_pos);
	if (k != 0)
		return BAD(err, "not a zstd frame");
	if (fh.frameType != ZSTD_frame || !fh.checksumFlag || fh.dictID != 0)
		return BAD(err, "the zstd frame must be a plain frame with a content checksum");
	if (fh.windowSize > (UINT64_C(1) << r->lim.window_log))
		return BAD(err, "the zstd window is larger than the signed limit (2^%d)", r->lim.window_log);
	r->header_checked = 1;
	return AIRLOCK_OK;
}

/* After the frame: nothing, neither in the buffer nor in the source. */
static enum airlock_code check_nothing_after(struct airlock_payload_reader *r,
    struct airlock_err *err)
{
	if (r->in_pos < r->in_len)
		return BAD(err, "data after the zstd frame");
	if (fill_input(r, err) != AIRLOCK_OK)
		return err->code;
	if (r->in_len != 0)
		return BAD(err, "data after the zstd frame");
	return AIRLOCK_OK;
}

/* Produces some plain bytes into outbuf; *got 0 means the frame ended. */
static enum airlock_code inflate_some(struct airlock_payload_reader *r, size_t *got,
    struct airlock_err *err)
{
	*got = 0;
	while (*got == 0 && !r->frame_done) {
		ZSTD_inBuffer in;
		ZSTD_outBuffer out = { r->outbuf, OUT_SIZE, 0 };
		size_t rc;
		if (r->in_pos == r->in_len) {
			if (fill_input(r, err) != AIRLOCK_OK)
				return err->code;
			if (r->in_len == 0)
				return BAD(err, "the zstd stream is truncated");
		}
		if (!r->header_checked && check_frame_header(r, err) != AIRLOCK_OK)
			return err->code;
		in = (ZSTD_inBuffer){ r->inbuf, r->in_len, r->in_pos };
		rc = ZSTD_decompressStream(r->d, &out, &in);
		r->in_pos = in.pos;
		if (ZSTD_isError(rc))
			return BAD(err, "zstd: %s", ZSTD_getErrorName(rc));
		*got = out.pos;
		if (rc == 0) {
			r->frame_done = 1;
			if (check_nothing_after(r, err) != AIRLOCK_OK)
				return err->code;
		}
	}
	r->unpacked += *got;
	if (r->unpacked > r->lim.unpacked_bytes)
		return BAD(err, "the tar is larger than the signed %llu bytes",
		    (unsigned long long)r->lim.unpacked_bytes);
	return AIRLOCK_OK;
}

static la_ssize_t tar_in(struct archive *a, void *ctx, const void **buf)
{
	struct airlock_payload_reader *r = ctx;
	size_t got;
	if (inflate_some(r, &got, &r->cb_err) != AIRLOCK_OK) {
		archive_set_error(a, EINVAL, "%s", r->cb_err.msg);
		return -1;
	}
	*buf = r->outbuf;
	return (la_ssize_t)got;
}

/* ---- members ---- */

static enum airlock_code ar_fail(struct airlock_payload_reader *r, const char *what,
    struct airlock_err *err)
{
	const char *m;
	if (r->cb_err.code != AIRLOCK_OK) {
		airlock_fail(err, r->cb_err.code, "%s", r->cb_err.msg);
		return err->code;
	}
	m = archive_error_string(r->a);
	return BAD(err, "%s: %s", what, m != NULL ? m : "malformed tar");
}

/* Only plain regular files with nothing attached. */
static enum airlock_code check_entry(struct archive_entry *e, const char *q,
    struct airlock_err *err)
{
	if (archive_entry_hardlink(e) != NULL || archive_entry_symlink(e) != NULL)
		return BAD(err, "member '%s' is a link", q);
	if (archive_entry_filetype(e) != AE_IFREG)
		return BAD(err, "member '%s' is not a regular file", q);
	if (archive_entry_perm(e) != 0644)
		return BAD(err, "member '%s' has mode %o, not 644", q, (unsigned)archive_entry_perm(e));
	if (archive_entry_sparse_count(e) != 0 || archive_entry_xattr_count(e) != 0 ||
	    archive_entry_acl_types(e) != 0 || archive_entry_is_encrypted(e))
		return BAD(err, "member '%s' has sparse data, xattrs, ACLs or encryption", q);
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return BAD(err, "member '%s' has no size", q);
	return AIRLOCK_OK;
}

static enum airlock_code check_file_name(struct airlock_payload_reader *r, const char *path,
    const char *q, struct airlock_err *err)
{
	const char *why;
	if (r->phase == PH_DELTAS)
		return BAD(err, "member '%s' comes after the delta frames", q);
	if (airlock_tree_path_check(path, strlen(path), &why) != 0)
		return BAD(err, "member '%s': the path %s", q, why);
	if (r->last_file != NULL && strcmp(r->last_file, path) >= 0)
		return BAD(err, "member '%s' is out of order or repeated", q);
	free(r->last_file);
	r->last_file = strdup(path);
	if (r->last_file == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	r->phase = PH_FILES;
	return AIRLOCK_OK;
}

static enum airlock_code check_name(struct airlock_payload_reader *r, const char *name,
    uint64_t size, struct airlock_err *err)
{
	char q[128], want[32];
	airlock_escape(q, sizeof(q), name, strlen(name));
	if (strncmp(name, "files/", 6) == 0) {
		if (size > AIRLOCK_FILE_SIZE_MAX)
			return BAD(err, "member '%s' is larger than 4 GiB", q);
		return check_file_name(r, name + 6, q, err);
	}
	snprintf(want, sizeof(want), "deltas/%06zu.zst", r->next_delta);
	if (strcmp(name, want) != 0)
		return BAD(err, "unexpected member '%s' (the next may be files/... or %s)", q, want);
	if (size > DELTA_MEMBER_MAX)
		return BAD(err, "member '%s' is too large for a delta frame", q);
	r->next_delta++;
	r->phase = PH_DELTAS;
	return AIRLOCK_OK;
}

/* Reads the next header; *e NULL at the end of the tar. */
static enum airlock_code next_header(struct airlock_payload_reader *r,
    struct archive_entry **e, struct airlock_err *err)
{
	int rc = archive_read_next_header(r->a, e);
	if (rc == ARCHIVE_EOF) {
		*e = NULL;
		return AIRLOCK_OK;
	}
	if (rc != ARCHIVE_OK)
		return ar_fail(r, "malformed tar", err);
	if (++r->entries > r->lim.entries)
		return BAD(err, "more members than the signed %llu", (unsigned long long)r->lim.entries);
	return AIRLOCK_OK;
}

static enum airlock_code read_manifest(struct airlock_payload_reader *r, struct airlock_err *err)
{
	struct archive_entry *e;
	const char *name;
	uint64_t size;
	if (next_header(r, &e, err) != AIRLOCK_OK)
		return err->code;
	name = e != NULL ? archive_entry_pathname_utf8(e) : NULL;
	if (name == NULL || strcmp(name, AIRLOCK_PAYLOAD_MANIFEST_NAME) != 0)
		return BAD(err, "the first member is not " AIRLOCK_PAYLOAD_MANIFEST_NAME);
	if (check_entry(e, name, err) != AIRLOCK_OK)
		return err->code;
	size = (uint64_t)archive_entry_size(e);
	if (size > AIRLOCK_MANIFEST_JSON_MAX)
		return BAD(err, "MANIFEST.json is larger than %llu bytes",
		    (unsigned long long)AIRLOCK_MANIFEST_JSON_MAX);
	r->manifest = malloc((size_t)size + 1);
	if (r->manifest == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	r->remaining = size;
	while (r->manifest_len < size) {
		ssize_t n = airlock_payload_reader_read(r, r->manifest + r->manifest_len,
		    (size_t)(size - r->manifest_len), err);
		if (n <= 0)
			return n < 0 ? err->code : BAD(err, "MANIFEST.json is truncated");
		r->manifest_len += (size_t)n;
	}
	r->manifest[size] = '\0';
	return AIRLOCK_OK;
}

enum airlock_code airlock_payload_reader_new(struct airlock_payload_reader **out,
    struct airlock_source in, const struct airlock_payload_limits *lim,
    struct airlock_err *err)
{
	struct airlock_payload_reader *r = calloc(1, sizeof(*r));
	locale_t old;
	*out = NULL;
	if (r == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	r->in = in;
	r->lim = *lim;
	r->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (r->loc == (locale_t)0) {
		airlock_payload_reader_free(r);
		return airlock_fail(err, AIRLOCK_E_FAILED, "the C.UTF-8 locale is not available");
	}
	airlock_err_init(&r->cb_err);
	r->d = ZSTD_createDCtx();
	r->inbuf = malloc(IN_SIZE);
	r->outbuf = malloc(OUT_SIZE);
	r->a = archive_read_new();
	if (r->d == NULL || r->inbuf == NULL || r->outbuf == NULL || r->a == NULL) {
		airlock_payload_reader_free(r);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	}
	IN_UTF8(r, old);
	if (lim->window_log < AIRLOCK_WINDOW_LOG_MIN || lim->window_log > 31 ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(r->d, ZSTD_d_windowLogMax, lim->window_log)) ||
	    archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
	    archive_read_open(r->a, r, NULL, tar_in, NULL) != ARCHIVE_OK ||
	    read_manifest(r, err) != AIRLOCK_OK) {
		if (err->code == AIRLOCK_OK)
			ar_fail(r, "cannot open the payload", err);
		OUT_UTF8(old);
		airlock_payload_reader_free(r);
		return err->code;
	}
	OUT_UTF8(old);
	r->phase = PH_FILES;
	*out = r;
	return AIRLOCK_OK;
}

void airlock_payload_reader_manifest(const struct airlock_payload_reader *r, const char **json,
    size_t *len)
{
	*json = r->manifest;
	*len = r->manifest_len;
}

/* At the end of the tar: the rest of the stream may hold only zeros (none,
 * as the writer makes it), and the counts are exactly the signed ones. */
static enum airlock_code finish(struct airlock_payload_reader *r, struct airlock_err *err)
{
	size_t got;
	do {
		if (inflate_some(r, &got, err) != AIRLOCK_OK)
			return err->code;
		for (size_t i = 0; i < got; i++)
			if (r->outbuf[i] != 0)
				return BAD(err, "data after the end of the tar");
	} while (got > 0);
	if (r->unpacked != r->lim.unpacked_bytes)
		return BAD(err, "the tar has %llu bytes, the header says %llu",
		    (unsigned long long)r->unpacked, (unsigned long long)r->lim.unpacked_bytes);
	if (archive_filter_bytes(r->a, 0) != (la_int64_t)r->unpacked)
		return BAD(err, "data after the end of the tar");
	if (r->entries != r->lim.entries)
		return BAD(err, "the tar has %llu members, the header says %llu",
		    (unsigned long long)r->entries, (unsigned long long)r->lim.entries);
	r->phase = PH_END;
	return AIRLOCK_OK;
}

static enum airlock_code next_member(struct airlock_payload_reader *r, const char **name,
    uint64_t *size, struct airlock_err *err)
{
	struct archive_entry *e;
	const char *n;
	char q[128];
	*name = NULL;
	*size = 0;
	if (r->phase == PH_END)
		return AIRLOCK_OK;
	if (next_header(r, &e, err) != AIRLOCK_OK)
		return err->code;
	if (e == NULL)
		return finish(r, err);
	n = archive_entry_pathname_utf8(e);
	if (n == NULL)
		return BAD(err, "a member name is not valid UTF-8");
	airlock_escape(q, sizeof(q), n, strlen(n));
	if (check_entry(e, q, err) != AIRLOCK_OK ||
	    check_name(r, n, (uint64_t)archive_entry_size(e), err) != AIRLOCK_OK)
		return err->code;
	free(r->name);
	r->name = strdup(n);
	if (r->name == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	*name = r->name;
	*size = r->remaining = (uint64_t)archive_entry_size(e);
	return AIRLOCK_OK;
}

enum airlock_code airlock_payload_reader_next(struct airlock_payload_reader *r,
    const char **name, uint64_t *size, struct airlock_err *err)
{
	locale_t old;
	enum airlock_code rc;
	IN_UTF8(r, old);
	rc = next_member(r, name, size, err);
	OUT_UTF8(old);
	return rc;
}

ssize_t airlock_payload_reader_read(struct airlock_payload_reader *r, void *buf, size_t len,
    struct airlock_err *err)
{
	la_ssize_t n;
	if (r->remaining == 0 || len == 0)
		return 0;
	if (len > r->remaining)
		len = (size_t)r->remaining;
	n = archive_read_data(r->a, buf, len);
	if (n < 0) {
		ar_fail(r, "cannot read a member", err);
		return -1;
	}
	if (n == 0) {
		BAD(err, "a member is shorter than its header says");
		return -1;
	}
	r->remaining -= (uint64_t)n;
	return (ssize_t)n;
}

static ssize_t source_read(void *ctx, void *buf, size_t len, struct airlock_err *err)
{
	return airlock_payload_reader_read(ctx, buf, len, err);
}

struct airlock_source airlock_payload_reader_source(struct airlock_payload_reader *r)
{
	return (struct airlock_source){ source_read, r };
}

void airlock_payload_reader_free(struct airlock_payload_reader *r)
{
	if (r == NULL)
		return;
	archive_read_free(r->a);
	ZSTD_freeDCtx(r->d);
	free(r->inbuf);
	free(r->outbuf);
	free(r->manifest);
	free(r->name);
	free(r->last_file);
	if (r->loc != (locale_t)0)
		freelocale(r->loc);
	free(r);
}
