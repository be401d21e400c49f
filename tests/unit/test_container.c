/* test_container.c - the outer tar: writer output is what the strict
 * reader accepts, and every class of tampered byte is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/container.h"

#define MTIME 1795460400
static const char JSON[] = "{\n  \"format\": \"airlock-bundle\"\n}\n";
static const char SIG[] = "untrusted comment: airlock bundle signature\nRWQ...\n";

struct fx {
	char dir[64];
	char path[128];
	uint8_t *bytes;      /* the good container */
	size_t len;
	uint64_t payload_size;
};

static int tmpfd(struct fx *f, const char *name)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	return open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *b;
	long n;
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	b = malloc((size_t)n + 1);
	assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return b;
}

static void spill(const char *path, const uint8_t *b, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(b, 1, len, fp), len);
	fclose(fp);
}

static void make_payload(struct fx *f, uint64_t size, int *pfd)
{
	*pfd = tmpfd(f, "payload");
	for (uint64_t i = 0; i < size; i++) {
		uint8_t c = (uint8_t)(i * 7 + 1);
		assert_int_equal(write(*pfd, &c, 1), 1);
	}
	lseek(*pfd, 0, SEEK_SET);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct airlock_err err;
	int pfd, out;
	strcpy(f->dir, "/tmp/airlock-container.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/bundle.tar", f->dir);
	f->payload_size = 1000;
	make_payload(f, f->payload_size, &pfd);
	out = tmpfd(f, "bundle.tar");
	airlock_err_init(&err);
	assert_int_equal(airlock_container_write(out, JSON, strlen(JSON), SIG, strlen(SIG), pfd,
	    f->payload_size, MTIME, &err), AIRLOCK_OK);
	close(out);
	close(pfd);
	f->bytes = slurp(f->path, &f->len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->bytes);
	free(f);
	return 0;
}

/* Opens bytes written to a file; returns the code, message in err. */
static enum airlock_code open_bytes(struct fx *f, const uint8_t *b, size_t len,
    const struct airlock_container_limits *lim, struct airlock_err *err)
{
	char p[160];
	struct airlock_container *c = NULL;
	enum airlock_code rc;
	int fd;
	snprintf(p, sizeof(p), "%s/t.tar", f->dir);
	spill(p, b, len);
	fd = open(p, O_RDONLY);
	airlock_err_init(err);
	rc = airlock_container_open(&c, fd, lim, err);
	close(fd);
	if (rc == AIRLOCK_OK)
		assert_non_null(c);
	else
		assert_null(c);
	airlock_container_free(c);
	return rc;
}

static void expect_refused(struct fx *f, const uint8_t *b, size_t len, const char *msg)
{
	struct airlock_err err;
	if (open_bytes(f, b, len, NULL, &err) != AIRLOCK_E_VERIFY)
		fail_msg("accepted, expected '%s' (code %d: %s)", msg, err.code, err.msg);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, msg);
}

static void test_roundtrip(void **state)
{
	struct fx *f = *state;
	struct airlock_container *c;
	struct airlock_err err;
	const char *s;
	size_t n;
	int fd = open(f->path, O_RDONLY);
	airlock_err_init(&err);
	assert_int_equal(f->len, strlen(JSON) + strlen(SIG) + f->payload_size +
	    airlock_container_overhead(strlen(JSON), strlen(SIG), f->payload_size));
	assert_int_equal(f->len % 512, 0);
	/* three header blocks and three padded members, no end marker */
	assert_int_equal(f->len, 512 + 512 + 512 + 512 + 512 + 1024);
	assert_int_equal(airlock_container_open(&c, fd, NULL, &err), AIRLOCK_OK);
	s = airlock_container_json(c, &n);
	assert_int_equal(n, strlen(JSON));
	assert_memory_equal(s, JSON, n);
	s = airlock_container_sig(c, &n);
	assert_int_equal(n, strlen(SIG));
	assert_memory_equal(s, SIG, n);
	assert_int_equal(airlock_container_payload_offset(c), 512 * 5);
	assert_int_equal(airlock_container_payload_size(c), f->payload_size);
	assert_int_equal(airlock_container_mtime(c), MTIME);
	assert_int_equal(f->bytes[512 * 5], 1);
	assert_int_equal(f->bytes[512 * 5 + 1], 8);
	airlock_container_free(c);
	close(fd);
}

static void test_standard_tar_lists_it(void **state)
{
	struct fx *f = *state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "cd %s && mkdir -p x && tar -xf bundle.tar -C x && "
	    "cmp x/payload.age payload && test \"$(tar -tf bundle.tar | tr '\\n' ' ')\" = "
	    "'bundle.json bundle.json.minisig payload.age '", f->dir);
	assert_int_equal(system(cmd), 0);
}

/* ustar checksum: sum of the block with the field as spaces, "%06o\0 ". */
static void fix_checksum(uint8_t *blk)
{
	unsigned sum = 0;
	memset(blk + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += blk[i];
	snprintf((char *)blk + 148, 8, "%06o", sum);
	blk[155] = ' ';
}

static void tamper(struct fx *f, size_t off, uint8_t val, int fix_block, const char *msg)
{
	uint8_t *b = malloc(f->len);
	memcpy(b, f->bytes, f->len);
	b[off] = val;
	if (fix_block >= 0)
		fix_checksum(b + (size_t)fix_block * 512);
	expect_refused(f, b, f->len, msg);
	free(b);
}

static void test_header_fields(void **state)
{
	struct fx *f = *state;
	/* uname (offset 265), mode, mtime, devmajor, prefix of each header */
	tamper(f, 265, 'r', 0, "the bundle.json header block differs");
	tamper(f, 103, '5', 0, "the bundle.json header block differs");
	tamper(f, 108, '1', 0, "the bundle.json header block differs");   /* uid */
	tamper(f, 345, 'a', 0, "does not start with bundle.json");   /* prefix "a/" */
	tamper(f, 1024 + 265, 'r', 2, "the bundle.json.minisig header block differs");
	tamper(f, 2048 + 265, 'r', 4, "the payload.age header block differs");
	tamper(f, 2048 + 500, 'z', 4, "the payload.age header block differs");
	/* a broken checksum: libarchive itself refuses to read on */
	tamper(f, 2048 + 265, 'r', -1, "member 3 is malformed or truncated");
	/* typeflag '0' -> '7' (contiguous file) and '\0' (old regular) */
	tamper(f, 156, '7', 0, "header block differs");
	tamper(f, 156, '\0', 0, "header block differs");
}

static void test_padding(void **state)
{
	struct fx *f = *state;
	size_t json_end = 512 + strlen(JSON), sig_end = 1536 + strlen(SIG);
	size_t pay_end = 2560 + (size_t)f->payload_size;
	tamper(f, json_end, 'x', -1, "the padding after bundle.json differs");
	tamper(f, 1023, 1, -1, "the padding after bundle.json differs");
	tamper(f, sig_end, ' ', -1, "the padding after bundle.json.minisig differs");
	tamper(f, pay_end, 1, -1, "the padding after payload.age is not zero");
	tamper(f, f->len - 1, 1, -1, "the padding after payload.age is not zero");
}

static void test_trailing_and_truncated(void **state)
{
	struct fx *f = *state;
	uint8_t *b = calloc(1, f->len + 10240);
	memcpy(b, f->bytes, f->len);
	expect_refused(f, b, f->len + 1, "1 bytes after the end");
	expect_refused(f, b, f->len + 512, "512 bytes after the end");
	/* tar's end marker, which other writers add: nothing may follow */
	expect_refused(f, b, f->len + 1024, "without tar's end marker");
	/* the 10240-byte record padding a default tar writer adds */
	expect_refused(f, b, (f->len + 10239) / 10240 * 10240, "after the end");
	expect_refused(f, b, f->len - 1, "truncated");
	expect_refused(f, b, f->len - 512, "truncated");
	expect_refused(f, b, 2560 + 10, "truncated");
	expect_refused(f, b, 1024, "only 1024 bytes");
	expect_refused(f, b, 2100, "member 3 is malformed or truncated");
	free(b);
}

static void test_zero_first_block(void **state)
{
	struct fx *f = *state;
	uint8_t *b = calloc(1, f->len + 8192);
	expect_refused(f, b, 8192, "does not start with bundle.json");
	memcpy(b + 512, f->bytes, f->len);
	expect_refused(f, b, f->len + 512, "does not start with bundle.json");
	memset(b, 0x5a, 4096);
	expect_refused(f, b, 4096, "not an airlock bundle");
	free(b);
}

struct m {
	const char *name;
	const char *data;
	size_t len;
};

/* A tar written by libarchive in another shape. */
static void write_tar(struct fx *f, int format, const struct m *ms, size_t n, int atime,
    uint8_t **out, size_t *len)
{
	char p[160];
	struct archive *a = archive_write_new();
	snprintf(p, sizeof(p), "%s/other.tar", f->dir);
	archive_write_set_format(a, format);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_filename(a, p), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, ms[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)ms[i].len);
		archive_entry_set_mtime(e, MTIME, 0);
		if (atime)
			archive_entry_set_atime(e, MTIME, 5);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, ms[i].data, ms[i].len), (la_ssize_t)ms[i].len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	*out = slurp(p, len);
}

static void refuse_tar(struct fx *f, int format, const struct m *ms, size_t n, int atime,
    const char *msg)
{
	uint8_t *b;
	size_t len;
	write_tar(f, format, ms, n, atime, &b, &len);
	expect_refused(f, b, len, msg);
	free(b);
}

static void test_shapes(void **state)
{
	struct fx *f = *state;
	const char *pay = "payload-bytes";
	struct m good[] = { { "bundle.json", JSON, strlen(JSON) },
		{ "bundle.json.minisig", SIG, strlen(SIG) }, { "payload.age", pay, 13 } };
	struct m swapped[] = { good[1], good[0], good[2] };
	struct m extra[] = { good[0], good[1], good[2], { "x", "y", 1 } };
	struct m renamed[] = { { "./bundle.json", JSON, strlen(JSON) }, good[1], good[2] };
	struct m renamed3[] = { good[0], good[1], { "payload.agf", pay, 13 } };
	uint8_t *b;
	size_t len;
	struct airlock_err err;
	/* sanity: the same members in the canonical shape are accepted once
	 * libarchive's end marker is cut off, and refused with it */
	write_tar(f, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, good, 3, 0, &b, &len);
	expect_refused(f, b, len, "without tar's end marker");
	assert_int_equal(open_bytes(f, b, len - 1024, NULL, &err), AIRLOCK_OK);
	free(b);
	refuse_tar(f, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, swapped, 3, 0, "does not start with bundle.json");
	refuse_tar(f, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, extra, 4, 0, "after the end");
	refuse_tar(f, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, good, 2, 0, "bundle has 2 members");
	refuse_tar(f, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, renamed, 3, 0, "does not start with bundle.json");
	refuse_tar(f, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, renamed3, 3, 0, "member 3 is not payload.age");
	refuse_tar(f, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, good, 3, 1, "not canonical");
	refuse_tar(f, ARCHIVE_FORMAT_TAR_GNUTAR, good, 3, 0, "not canonical");
	/* plain ustar is what restricted pax writes for these members */
	write_tar(f, ARCHIVE_FORMAT_TAR_USTAR, good, 3, 1, &b, &len);
	assert_int_equal(open_bytes(f, b, len - 1024, NULL, &err), AIRLOCK_OK);
	free(b);
}

/* The mtime field is read, not compared: the importer compares it with
 * the signed created time. */
static void test_mtime_is_reported(void **state)
{
	struct fx *f = *state;
	struct airlock_container *c;
	struct airlock_err err;
	char p[160];
	uint8_t *b = malloc(f->len);
	int fd;
	memcpy(b, f->bytes, f->len);
	for (int i = 0; i < 3; i++) {
		b[i * 1024 + 140] = '0';   /* an octal digit of mtime, in each header */
		fix_checksum(b + i * 1024);
	}
	snprintf(p, sizeof(p), "%s/m.tar", f->dir);
	spill(p, b, f->len);
	fd = open(p, O_RDONLY);
	airlock_err_init(&err);
	assert_int_equal(airlock_container_open(&c, fd, NULL, &err), AIRLOCK_OK);
	assert_int_not_equal(airlock_container_mtime(c), MTIME);
	airlock_container_free(c);
	b[140] = '1';   /* members disagreeing on mtime are not canonical */
	fix_checksum(b);
	expect_refused(f, b, f->len, "not canonical");
	close(fd);
	free(b);
}

static void test_limits(void **state)
{
	struct fx *f = *state;
	struct airlock_container_limits lim = { 10, 0 };
	struct airlock_err err;
	assert_int_equal(open_bytes(f, f->bytes, f->len, &lim, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "bundle.json is larger than 10 bytes"));
	lim.json_max = 0;
	lim.sig_max = 5;
	assert_int_equal(open_bytes(f, f->bytes, f->len, &lim, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "bundle.json.minisig is larger than 5 bytes"));
}

static void test_big_json_refused(void **state)
{
	struct fx *f = *state;
	size_t n = (1u << 20) + 1;
	char *big = malloc(n);
	struct m ms[3];
	memset(big, ' ', n);
	ms[0] = (struct m){ "bundle.json", big, n };
	ms[1] = (struct m){ "bundle.json.minisig", SIG, strlen(SIG) };
	ms[2] = (struct m){ "payload.age", "p", 1 };
	refuse_tar(f, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ms, 3, 0, "bundle.json is larger than 1048576");
	free(big);
}

static void test_not_regular(void **state)
{
	struct airlock_container *c;
	struct airlock_err err;
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	airlock_err_init(&err);
	assert_int_equal(airlock_container_open(&c, fd, NULL, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "not a regular file"));
	close(fd);
}

static void test_short_payload_source(void **state)
{
	struct fx *f = *state;
	struct airlock_err err;
	int pfd, out;
	make_payload(f, 10, &pfd);
	out = tmpfd(f, "short.tar");
	airlock_err_init(&err);
	assert_int_equal(airlock_container_write(out, JSON, strlen(JSON), SIG, strlen(SIG), pfd,
	    100, MTIME, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "payload ended before its declared size"));
	close(out);
	close(pfd);
}

/* Every byte outside the two signed texts and the payload data is
 * structure: flipping any bit of any of them must be refused. */
static void test_every_structural_byte(void **state)
{
	struct fx *f = *state;
	size_t json_end = 512 + strlen(JSON), sig_start = 1536, sig_end = 1536 + strlen(SIG);
	size_t pay_start = 2560, pay_end = 2560 + (size_t)f->payload_size;
	uint8_t *b = malloc(f->len);
	size_t tried = 0;
	for (size_t off = 0; off < f->len; off++) {
		struct airlock_err err;
		int bit = (int)(off % 8);
		if ((off >= 512 && off < json_end) || (off >= sig_start && off < sig_end) ||
		    (off >= pay_start && off < pay_end))
			continue;
		memcpy(b, f->bytes, f->len);
		b[off] ^= (uint8_t)(1u << bit);
		if (open_bytes(f, b, f->len, NULL, &err) == AIRLOCK_OK)
			fail_msg("flipping bit %d of byte %zu was accepted", bit, off);
		tried++;
	}
	assert_int_equal(tried, f->len - strlen(JSON) - strlen(SIG) - f->payload_size);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_standard_tar_lists_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_padding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trailing_and_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_first_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtime_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_json_refused, setup, teardown),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test_setup_teardown(test_every_structural_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_payload_source, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
