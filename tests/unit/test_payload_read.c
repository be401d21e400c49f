/* test_payload_read.c - the strict payload reader on plaintexts built here
 * with libarchive and libzstd directly: the good shape is read member by
 * member, and every deviation (order, names, links, modes, frames, window,
 * trailing data, counts) is refused with its own message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <locale.h>
#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>

#include "airlock/payload.h"

struct m {
	const char *name;
	const char *data;
	int type;          /* 0 file, 1 symlink, 2 hardlink, 3 dir */
	unsigned perm;
};

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 1024;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static la_ssize_t to_buf(struct archive *a, void *ctx, const void *d, size_t n)
{
	buf_put(ctx, d, n);
	return (la_ssize_t)n;
}

static void make_tar(const struct m *ms, size_t n, struct buf *tar, uint64_t *entries)
{
	struct archive *a = archive_write_new();
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = uselocale(loc);
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open2(a, tar, NULL, to_buf, NULL, NULL), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = strlen(ms[i].data);
		archive_entry_set_pathname_utf8(e, ms[i].name);
		archive_entry_set_perm(e, ms[i].perm != 0 ? ms[i].perm : 0644);
		if (ms[i].type == 1) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, ms[i].data);
			len = 0;
		} else if (ms[i].type == 2) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, ms[i].data);
			len = 0;
		} else if (ms[i].type == 3) {
			archive_entry_set_filetype(e, AE_IFDIR);
			len = 0;
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
		}
		archive_entry_set_size(e, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (len > 0)
			assert_int_equal(archive_write_data(a, ms[i].data, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	uselocale(old);
	freelocale(loc);
	*entries = n;
}

static void compress(const struct buf *tar, int checksum, int wlog, struct buf *out)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(tar->len) + 64, n;
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, wlog);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
	out->p = malloc(cap);
	n = ZSTD_compress2(c, out->p, cap, tar->p, tar->len);
	assert_false(ZSTD_isError(n));
	out->len = n;
	out->cap = cap;
	ZSTD_freeCCtx(c);
}

struct src {
	const uint8_t *p;
	size_t len, pos, step;
};

static ssize_t src_read(void *ctx, void *b, size_t len, struct airlock_err *err)
{
	struct src *s = ctx;
	size_t n = s->len - s->pos;
	if (n > len)
		n = len;
	if (s->step != 0 && n > s->step)
		n = s->step;
	memcpy(b, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

/* Reads everything; returns the code and leaves the message in err. */
static enum airlock_code read_all(const struct buf *z, const struct airlock_payload_limits *lim,
    size_t step, size_t *members, struct airlock_err *err)
{
	struct src s = { z->p, z->len, 0, step };
	struct airlock_payload_reader *r;
	enum airlock_code rc;
	const char *name;
	uint64_t size;
	airlock_err_init(err);
	*members = 0;
	rc = airlock_payload_reader_new(&r, (struct airlock_source){ src_read, &s }, lim, err);
	if (rc != AIRLOCK_OK)
		return rc;
	while ((rc = airlock_payload_reader_next(r, &name, &size, err)) == AIRLOCK_OK && name != NULL) {
		char data[64];
		ssize_t n = airlock_payload_reader_read(r, data, sizeof(data), err);
		if (n < 0) {
			rc = err->code;
			break;
		}
		(*members)++;
	}
	airlock_payload_reader_free(r);
	return rc;
}

static const struct m good[] = {
	{ "MANIFEST.json", "{\"m\":1}", 0, 0 },
	{ "files/a.txt", "alpha", 0, 0 },
	{ "files/d/\xc3\xa9t\xc3\xa9.txt", "summer", 0, 0 },
	{ "deltas/000000.zst", "zzzz", 0, 0 },
	{ "deltas/000001.zst", "yyyy", 0, 0 },
};

static void build(const struct m *ms, size_t n, int checksum, int wlog, struct buf *z,
    struct airlock_payload_limits *lim)
{
	struct buf tar = { NULL, 0, 0 };
	make_tar(ms, n, &tar, &lim->entries);
	lim->unpacked_bytes = tar.len;
	lim->window_log = 20;
	compress(&tar, checksum, wlog, z);
	free(tar.p);
}

static void test_good(void **state)
{
	struct buf z = { NULL, 0, 0 };
	struct airlock_payload_limits lim;
	struct airlock_err err;
	struct src s;
	struct airlock_payload_reader *r;
	const char *name, *json;
	uint64_t size;
	size_t len, members;
	char data[16];
	build(good, 5, 1, 20, &z, &lim);
	s = (struct src){ z.p, z.len, 0, 0 };
	airlock_err_init(&err);
	assert_int_equal(airlock_payload_reader_new(&r, (struct airlock_source){ src_read, &s },
	    &lim, &err), AIRLOCK_OK);
	airlock_payload_reader_manifest(r, &json, &len);
	assert_int_equal(len, 7);
	assert_string_equal(json, "{\"m\":1}");
	assert_int_equal(airlock_payload_reader_next(r, &name, &size, &err), AIRLOCK_OK);
	assert_string_equal(name, "files/a.txt");
	assert_int_equal(size, 5);
	assert_int_equal(airlock_payload_reader_read(r, data, 3, &err), 3);
	assert_int_equal(airlock_payload_reader_read(r, data + 3, 16, &err), 2);
	assert_int_equal(airlock_payload_reader_read(r, data, 16, &err), 0);
	assert_memory_equal(data, "alpha", 5);
	assert_int_equal(airlock_payload_reader_next(r, &name, &size, &err), AIRLOCK_OK);
	assert_string_equal(name, "files/d/\xc3\xa9t\xc3\xa9.txt");
	/* left unread: next() skips it */
	assert_int_equal(airlock_payload_reader_next(r, &name, &size, &err), AIRLOCK_OK);
	assert_string_equal(name, "deltas/000000.zst");
	assert_int_equal(airlock_payload_reader_next(r, &name, &size, &err), AIRLOCK_OK);
	assert_string_equal(name, "deltas/000001.zst");
	assert_int_equal(airlock_payload_reader_next(r, &name, &size, &err), AIRLOCK_OK);
	assert_null(name);
	assert_int_equal(airlock_payload_reader_next(r, &name, &size, &err), AIRLOCK_OK);
	assert_null(name);
	airlock_payload_reader_free(r);
	/* the same, handed over one byte at a time */
	assert_int_equal(read_all(&z, &lim, 1, &members, &err), AIRLOCK_OK);
	assert_int_equal(members, 4);
	free(z.p);
}

static void expect_bad(const struct m *ms, size_t n, const char *msg)
{
	struct buf z = { NULL, 0, 0 };
	struct airlock_payload_limits lim;
	struct airlock_err err;
	size_t members;
	build(ms, n, 1, 20, &z, &lim);
	if (read_all(&z, &lim, 0, &members, &err) != AIRLOCK_E_VERIFY)
		fail_msg("accepted; expected '%s'", msg);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, msg);
	free(z.p);
}

static void test_bad_members(void **state)
{
	const struct m man = good[0];
	struct m t[4];
	t[0] = good[1];
	expect_bad(t, 1, "the first member is not MANIFEST.json");
	t[0] = (struct m){ "MANIFEST.json", "a.txt", 1, 0 };
	expect_bad(t, 1, "is a link");
	t[0] = man;
	t[1] = (struct m){ "files/x", "files/a", 2, 0 };
	expect_bad(t, 2, "is a link");
	t[1] = (struct m){ "files/x", "target", 1, 0 };
	expect_bad(t, 2, "is a link");
	t[1] = (struct m){ "files/dir", "", 3, 0755 };
	expect_bad(t, 2, "is not a regular file");
	t[1] = (struct m){ "files/x", "data", 0, 04755 };
	expect_bad(t, 2, "has mode 4755");
	t[1] = (struct m){ "files/../x", "data", 0, 0 };
	expect_bad(t, 2, "the path");
	t[1] = (struct m){ "files//x", "data", 0, 0 };
	expect_bad(t, 2, "the path");
	t[1] = (struct m){ "other/x", "data", 0, 0 };
	expect_bad(t, 2, "unexpected member 'other/x'");
	t[1] = (struct m){ "MANIFEST.json", "data", 0, 0 };
	expect_bad(t, 2, "unexpected member 'MANIFEST.json'");
	t[1] = good[2];
	t[2] = good[1];
	expect_bad(t, 3, "out of order or repeated");
	t[2] = good[2];
	expect_bad(t, 3, "out of order or repeated");
	t[1] = good[3];
	t[2] = good[1];
	expect_bad(t, 3, "comes after the delta frames");
	t[1] = good[4];
	expect_bad(t, 2, "unexpected member 'deltas/000001.zst'");
	t[1] = (struct m){ "deltas/0.zst", "z", 0, 0 };
	expect_bad(t, 2, "unexpected member 'deltas/0.zst'");
}

static void test_bad_stream(void **state)
{
	struct buf z = { NULL, 0, 0 }, z2;
	struct airlock_payload_limits lim;
	struct airlock_err err;
	size_t members;
	/* no content checksum */
	build(good, 5, 0, 20, &z, &lim);
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "content checksum"));
	free(z.p);
	/* a window above the signed limit */
	build(good, 5, 1, 20, &z, &lim);
	lim.window_log = 10;   /* a single-segment frame: window = the tar size */
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "window"));
	lim.window_log = 20;
	/* counts other than the signed ones */
	lim.unpacked_bytes -= 512;
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "larger than the signed"));
	lim.unpacked_bytes += 1024;
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "the header says"));
	lim.unpacked_bytes -= 512;
	lim.entries = 4;
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "more members than the signed 4"));
	lim.entries = 6;
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "5 members, the header says 6"));
	lim.entries = 5;
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_OK);
	/* trailing bytes, a second frame, truncation */
	z2.p = malloc(z.len * 2);
	memcpy(z2.p, z.p, z.len);
	z2.p[z.len] = 0;
	z2.len = z.len + 1;
	assert_int_equal(read_all(&z2, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "data after the zstd frame"));
	memcpy(z2.p + z.len, z.p, z.len);
	z2.len = z.len * 2;
	assert_int_equal(read_all(&z2, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "data after the zstd frame"));
	for (size_t cut = 0; cut < z.len; cut += 5) {
		z2.len = cut;
		assert_int_equal(read_all(&z2, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	}
	free(z2.p);
	free(z.p);
}

/* Garbage after the tar's end marker, inside the compressed stream. */
static void test_data_after_tar(void **state)
{
	struct buf tar = { NULL, 0, 0 }, z = { NULL, 0, 0 };
	struct airlock_payload_limits lim;
	struct airlock_err err;
	size_t members;
	uint8_t junk[512];
	make_tar(good, 5, &tar, &lim.entries);
	memset(junk, 'J', sizeof(junk));
	buf_put(&tar, junk, sizeof(junk));
	lim.unpacked_bytes = tar.len;
	lim.window_log = 20;
	compress(&tar, 1, 20, &z);
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "data after the end of the tar"));
	free(z.p);
	/* zero padding (a default tar writer's 10240-byte records) is refused too */
	memset(junk, 0, sizeof(junk));
	tar.len -= sizeof(junk);
	buf_put(&tar, junk, sizeof(junk));
	lim.unpacked_bytes = tar.len;
	compress(&tar, 1, 20, &z);
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "data after the end of the tar"));
	free(z.p);
	free(tar.p);
}

static void test_not_zstd(void **state)
{
	struct buf z = { (uint8_t *)"this is not zstd at all, no no", 30, 30 };
	struct airlock_payload_limits lim = { 20, 100, 1 };
	struct airlock_err err;
	size_t members;
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "not a zstd frame"));
	z.len = 0;
	assert_int_equal(read_all(&z, &lim, 0, &members, &err), AIRLOCK_E_VERIFY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad_members),
		cmocka_unit_test(test_bad_stream),
		cmocka_unit_test(test_data_after_tar),
		cmocka_unit_test(test_not_zstd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
