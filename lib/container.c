/* container.c - the outer bundle tar: writer and strict reader.
 *
 * The reader lets libarchive find the three members' names, sizes and
 * mtime, then re-creates with libarchive the canonical bytes for exactly
 * those values and compares them with the file, byte for byte. So nothing
 * libarchive tolerates (pax records, GNU extensions, odd checksums, base-256
 * numbers, junk in unused fields) can slip through: every byte outside the
 * payload's data is either canonical structure or the two signed texts. */
#include "airlock/container.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/io.h"

#define BLOCK 512
#define COPY_CHUNK (64 * 1024)

static uint64_t padded(uint64_t n)
{
	return (n + BLOCK - 1) / BLOCK * BLOCK;
}

/* Three header blocks and the members' data, each padded to a block. */
static uint64_t container_size(uint64_t json_len, uint64_t sig_len, uint64_t payload_size)
{
	return 3 * BLOCK + padded(json_len) + padded(sig_len) + padded(payload_size);
}

static struct archive_entry *member(const char *name, uint64_t size, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	if (e == NULL)
		return NULL;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	return e;
}

static enum airlock_code ar_fail(struct archive *a, const char *what, struct airlock_err *err)
{
	const char *m = archive_error_string(a);
	return airlock_fail(err, AIRLOCK_E_FAILED, "%s: %s", what, m != NULL ? m : "libarchive error");
}

/* Writes one member's header (and data, when data is not NULL). */
static enum airlock_code put_member(struct archive *a, const char *name, const void *data,
    uint64_t size, int64_t mtime, struct airlock_err *err)
{
	struct archive_entry *e = member(name, size, mtime);
	int r;
	if (e == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return ar_fail(a, "cannot write the bundle", err);
	if (data != NULL && size > 0 && archive_write_data(a, data, (size_t)size) != (la_ssize_t)size)
		return ar_fail(a, "cannot write the bundle", err);
	return AIRLOCK_OK;
}

static enum airlock_code copy_payload(struct archive *a, int payload_fd, uint64_t size,
    struct airlock_err *err)
{
	char *buf = malloc(COPY_CHUNK);
	enum airlock_code rc = AIRLOCK_OK;
	if (buf == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	while (rc == AIRLOCK_OK && size > 0) {
		size_t want = size < COPY_CHUNK ? (size_t)size : COPY_CHUNK, got = 0;
		rc = airlock_read_full(payload_fd, buf, want, &got, "payload", err);
		if (rc == AIRLOCK_OK && got != want)
			rc = airlock_fail(err, AIRLOCK_E_FAILED, "payload ended before its declared size");
		else if (rc == AIRLOCK_OK && archive_write_data(a, buf, want) != (la_ssize_t)want)
			rc = ar_fail(a, "cannot write the bundle", err);
		size -= want;
	}
	free(buf);
	return rc;
}

/* Output to a file descriptor; once stop is set every write fails at
 * once, so that closing an abandoned archive (which pads the unwritten
 * rest of a member with zeros) costs nothing. archive_write_fail() would
 * avoid that too, but leaks the client filter's state in 3.6.2.
 * Bytes past `size` are dropped: they are the two zero blocks libarchive
 * ends every tar with, which the container leaves out (bundle-format.md,
 * "Container": 1 KiB that no tar reader needs). */
struct fdout {
	int fd;
	int stop;
	uint64_t size, written;
	struct airlock_err *err;
};

static la_ssize_t fd_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct fdout *o = ctx;
	size_t keep = o->size - o->written < len ? (size_t)(o->size - o->written) : len;
	if (o->stop || airlock_write_all(o->fd, buf, keep, "the bundle", o->err) != AIRLOCK_OK) {
		o->stop = 1;
		archive_set_error(a, EIO, "write failed");
		return -1;
	}
	o->written += keep;
	return (la_ssize_t)len;
}

static enum airlock_code write_members(struct archive *a, const char *json, size_t json_len,
    const char *sig, size_t sig_len, int payload_fd, uint64_t payload_size, int64_t mtime,
    struct airlock_err *err)
{
	enum airlock_code rc = put_member(a, AIRLOCK_CONTAINER_JSON_NAME, json, json_len, mtime, err);
	if (rc == AIRLOCK_OK)
		rc = put_member(a, AIRLOCK_CONTAINER_SIG_NAME, sig, sig_len, mtime, err);
	if (rc == AIRLOCK_OK)
		rc = put_member(a, AIRLOCK_CONTAINER_PAYLOAD_NAME, NULL, payload_size, mtime, err);
	if (rc == AIRLOCK_OK)
		rc = copy_payload(a, payload_fd, payload_size, err);
	return rc;
}

enum airlock_code airlock_container_write(int out_fd, const char *json, size_t json_len,
    const char *sig, size_t sig_len, int payload_fd, uint64_t payload_size, int64_t mtime,
    struct airlock_err *err)
{
	struct fdout o = { out_fd, 0, container_size(json_len, sig_len, payload_size), 0, err };
	struct archive *a = archive_write_new();
	enum airlock_code rc = AIRLOCK_OK;
	if (a == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, &o, NULL, fd_write, NULL, NULL) != ARCHIVE_OK)
		rc = ar_fail(a, "cannot write the bundle", err);
	if (rc == AIRLOCK_OK)
		rc = write_members(a, json, json_len, sig, sig_len, payload_fd, payload_size, mtime, err);
	if (rc != AIRLOCK_OK)
		o.stop = 1;
	if (archive_write_close(a) != ARCHIVE_OK && rc == AIRLOCK_OK)
		rc = ar_fail(a, "cannot write the bundle", err);
	archive_write_free(a);
	return rc;
}

uint64_t airlock_container_overhead(size_t json_len, size_t sig_len, uint64_t payload_size)
{
	return container_size(json_len, sig_len, payload_size) - json_len - sig_len - payload_size;
}

/* ---- canonical bytes in memory ---- */

struct membuf {
	uint8_t *data;
	size_t len, cap;
	int stop;
};

static la_ssize_t mem_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct membuf *m = ctx;
	if (m->stop) {
		archive_set_error(a, ECANCELED, "done");
		return -1;
	}
	if (m->len + len > m->cap) {
		size_t cap = (m->len + len) * 2;
		uint8_t *p = realloc(m->data, cap);
		if (p == NULL) {
			archive_set_error(a, ENOMEM, "out of memory");
			return -1;
		}
		m->data = p;
		m->cap = cap;
	}
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	return (la_ssize_t)len;
}

/* What the writer puts before payload.age's data for these members:
 * unbuffered (bytes_per_block 0), so each header reaches us as written;
 * then the output is stopped so that closing does not pad the unwritten
 * payload. */
static enum airlock_code canonical_prefix(struct membuf *m, const char *json, size_t json_len,
    const char *sig, size_t sig_len, uint64_t payload_size, int64_t mtime,
    struct airlock_err *err)
{
	struct archive *a = archive_write_new();
	enum airlock_code rc;
	if (a == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open2(a, m, NULL, mem_write, NULL, NULL) != ARCHIVE_OK) {
		rc = ar_fail(a, "cannot build the canonical container", err);
		archive_write_free(a);
		return rc;
	}
	rc = put_member(a, AIRLOCK_CONTAINER_JSON_NAME, json, json_len, mtime, err);
	if (rc == AIRLOCK_OK)
		rc = put_member(a, AIRLOCK_CONTAINER_SIG_NAME, sig, sig_len, mtime, err);
	if (rc == AIRLOCK_OK)
		rc = put_member(a, AIRLOCK_CONTAINER_PAYLOAD_NAME, NULL, payload_size, mtime, err);
	m->stop = 1;
	archive_write_close(a);   /* fails at once, by design; frees the client state */
	archive_write_free(a);
	return rc;
}

/* ---- reader ---- */

struct airlock_container {
	char *json;
	size_t json_len;
	char *sig;
	size_t sig_len;
	uint64_t payload_off;
	uint64_t payload_size;
	int64_t mtime;
};

struct rd {
	int fd;
	uint64_t off;
	struct airlock_err *err;
	uint8_t buf[COPY_CHUNK];
};

static la_ssize_t rd_read(struct archive *a, void *ctx, const void **out)
{
	struct rd *r = ctx;
	ssize_t n;
	do
		n = pread(r->fd, r->buf, sizeof(r->buf), (off_t)r->off);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read error");
		return -1;
	}
	r->off += (uint64_t)n;
	*out = r->buf;
	return n;
}

#define BAD(err, ...) airlock_fail((err), AIRLOCK_E_VERIFY, __VA_ARGS__)

struct found {
	uint64_t size[3];
	int64_t mtime;
};

static enum airlock_code next_member(struct archive *a, int i, uint64_t max, struct found *f,
    struct airlock_err *err)
{
	static const char *const names[3] = { AIRLOCK_CONTAINER_JSON_NAME,
		AIRLOCK_CONTAINER_SIG_NAME, AIRLOCK_CONTAINER_PAYLOAD_NAME };
	struct archive_entry *e;
	const char *name;
	int r = archive_read_next_header(a, &e);
	if (r == ARCHIVE_EOF && i == 0)
		return BAD(err, "not an airlock bundle: it does not start with bundle.json");
	if (r == ARCHIVE_EOF)
		return BAD(err, "bundle has %d members; it must have 3", i);
	if (r != ARCHIVE_OK) {
		if (i == 0)
			return BAD(err, "not an airlock bundle: it is not a tar file starting with bundle.json");
		return BAD(err, "bundle member %d is malformed or truncated", i + 1);
	}
	name = archive_entry_pathname(e);
	if (name == NULL || strcmp(name, names[i]) != 0) {
		if (i == 0)
			return BAD(err, "not an airlock bundle: it does not start with bundle.json");
		return BAD(err, "bundle member %d is not %s", i + 1, names[i]);
	}
	if (archive_entry_size(e) < 0 || (uint64_t)archive_entry_size(e) > max)
		return BAD(err, "%s is larger than %llu bytes", names[i], (unsigned long long)max);
	f->size[i] = (uint64_t)archive_entry_size(e);
	if (i == 0)
		f->mtime = (int64_t)archive_entry_mtime(e);
	return AIRLOCK_OK;
}

static enum airlock_code find_members(int fd, const struct airlock_container_limits *lim,
    struct found *f, struct airlock_err *err)
{
	struct archive *a = archive_read_new();
	struct rd *r = malloc(sizeof(*r));
	enum airlock_code rc = AIRLOCK_OK;
	if (a == NULL || r == NULL) {
		archive_read_free(a);
		free(r);
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	}
	r->fd = fd;
	r->off = 0;
	r->err = err;
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open(a, r, NULL, rd_read, NULL) != ARCHIVE_OK)
		rc = BAD(err, "not an airlock bundle: it is not a tar file starting with bundle.json");
	if (rc == AIRLOCK_OK)
		rc = next_member(a, 0, lim->json_max, f, err);
	if (rc == AIRLOCK_OK)
		rc = next_member(a, 1, lim->sig_max, f, err);
	if (rc == AIRLOCK_OK)
		rc = next_member(a, 2, UINT64_MAX, f, err);
	archive_read_free(a);
	free(r);
	return rc;
}

static enum airlock_code pread_exact(int fd, void *buf, size_t len, uint64_t off,
    struct airlock_err *err)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot read the bundle");
		if (n == 0)
			return BAD(err, "bundle is truncated");
		done += (size_t)n;
	}
	return AIRLOCK_OK;
}

static char *read_text(int fd, uint64_t off, uint64_t len, struct airlock_err *err)
{
	char *s = malloc((size_t)len + 1);
	if (s == NULL) {
		airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
		return NULL;
	}
	if (pread_exact(fd, s, (size_t)len, off, err) != AIRLOCK_OK) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

/* Says which structural part differs, for the message. */
static const char *where_differs(const struct airlock_container *c, size_t pos)
{
	size_t h1 = BLOCK, j_end = h1 + c->json_len, s_start = (size_t)padded(j_end) + BLOCK;
	if (pos < h1)
		return "the bundle.json header block";
	if (pos < padded(j_end))
		return "the padding after bundle.json";
	if (pos < s_start)
		return "the bundle.json.minisig header block";
	if (pos < padded(s_start + c->sig_len))
		return "the padding after bundle.json.minisig";
	return "the payload.age header block";
}

static enum airlock_code compare_prefix(int fd, struct airlock_container *c,
    struct airlock_err *err)
{
	struct membuf m = { NULL, 0, 0, 0 };
	uint8_t *have = NULL;
	enum airlock_code rc = canonical_prefix(&m, c->json, c->json_len, c->sig, c->sig_len,
	    c->payload_size, c->mtime, err);
	if (rc == AIRLOCK_OK && (have = malloc(m.len)) == NULL)
		rc = airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	if (rc == AIRLOCK_OK)
		rc = pread_exact(fd, have, m.len, 0, err);
	if (rc == AIRLOCK_OK && memcmp(have, m.data, m.len) != 0) {
		size_t i = 0;
		while (have[i] == m.data[i])
			i++;
		rc = BAD(err, "bundle container is not canonical: %s differs at byte %zu",
		    where_differs(c, i), i);
	}
	c->payload_off = m.len;
	free(have);
	free(m.data);
	return rc;
}

static enum airlock_code check_tail(int fd, const struct airlock_container *c, uint64_t fsize,
    struct airlock_err *err)
{
	uint64_t data_end = c->payload_off + c->payload_size;
	uint64_t end = padded(data_end);
	uint8_t tail[BLOCK];
	size_t n = (size_t)(end - data_end);
	if (fsize < end)
		return BAD(err, "bundle is truncated (%llu bytes; the container says %llu)",
		    (unsigned long long)fsize, (unsigned long long)end);
	if (fsize > end)
		return BAD(err, "bundle has %llu bytes after the end of the container (airlock "
		    "bundles end right after payload.age's padding, without tar's end marker)",
		    (unsigned long long)(fsize - end));
	if (pread_exact(fd, tail, n, data_end, err) != AIRLOCK_OK)
		return err->code;
	for (size_t i = 0; i < n; i++) {
		if (tail[i] != 0)
			return BAD(err, "bundle container is not canonical: "
			    "the padding after payload.age is not zero");
	}
	return AIRLOCK_OK;
}

static void effective_limits(const struct airlock_container_limits *lim,
    struct airlock_container_limits *out)
{
	out->json_max = AIRLOCK_CONTAINER_JSON_MAX;
	out->sig_max = AIRLOCK_CONTAINER_SIG_MAX;
	if (lim != NULL && lim->json_max != 0 && lim->json_max < out->json_max)
		out->json_max = lim->json_max;
	if (lim != NULL && lim->sig_max != 0 && lim->sig_max < out->sig_max)
		out->sig_max = lim->sig_max;
}

static enum airlock_code open_checked(struct airlock_container *c, int fd,
    const struct airlock_container_limits *lim, uint64_t fsize, struct airlock_err *err)
{
	struct found f;
	enum airlock_code rc = find_members(fd, lim, &f, err);
	if (rc != AIRLOCK_OK)
		return rc;
	c->json_len = (size_t)f.size[0];
	c->sig_len = (size_t)f.size[1];
	c->payload_size = f.size[2];
	c->mtime = f.mtime;
	if (fsize < padded(BLOCK + c->json_len) + padded(BLOCK + c->sig_len))
		return BAD(err, "bundle is truncated");
	c->json = read_text(fd, BLOCK, c->json_len, err);
	if (c->json == NULL)
		return err->code;
	c->sig = read_text(fd, padded(BLOCK + c->json_len) + BLOCK, c->sig_len, err);
	if (c->sig == NULL)
		return err->code;
	rc = compare_prefix(fd, c, err);
	if (rc != AIRLOCK_OK)
		return rc;
	return check_tail(fd, c, fsize, err);
}

enum airlock_code airlock_container_open(struct airlock_container **out, int fd,
    const struct airlock_container_limits *lim, struct airlock_err *err)
{
	struct airlock_container_limits l;
	struct airlock_container *c;
	struct stat st;
	*out = NULL;
	if (fstat(fd, &st) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot read the bundle");
	if (!S_ISREG(st.st_mode))
		return airlock_fail(err, AIRLOCK_E_FAILED, "the bundle is not a regular file");
	if (st.st_size < 4 * BLOCK)
		return BAD(err, "not an airlock bundle: only %lld bytes", (long long)st.st_size);
	effective_limits(lim, &l);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
	if (open_checked(c, fd, &l, (uint64_t)st.st_size, err) != AIRLOCK_OK) {
		airlock_container_free(c);
		return err->code;
	}
	*out = c;
	return AIRLOCK_OK;
}

void airlock_container_free(struct airlock_container *c)
{
	if (c == NULL)
		return;
	free(c->json);
	free(c->sig);
	free(c);
}

const char *airlock_container_json(const struct airlock_container *c, size_t *len)
{
	*len = c->json_len;
	return c->json;
}

const char *airlock_container_sig(const struct airlock_container *c, size_t *len)
{
	*len = c->sig_len;
	return c->sig;
}

uint64_t airlock_container_payload_offset(const struct airlock_container *c)
{
	return c->payload_off;
}

uint64_t airlock_container_payload_size(const struct airlock_container *c)
{
	return c->payload_size;
}

int64_t airlock_container_mtime(const struct airlock_container *c)
{
	return c->mtime;
}
