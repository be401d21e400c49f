/* test_age.c - age v1: every non-armored, non-hybrid CCTV vector (one TAP
 * line each), round trips, interop with age/age-keygen 1.1.1 both ways
 * (including passphrase-protected identity files driven through a pty),
 * and the refusals (tampering, wrong key, wrong passphrase, open key file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "airlock/age.h"
#include "airlock/encoding.h"
#include "airlock/io.h"

#define VEC "tests/vectors/age/"
#define CCTV_EXPECTED 92      /* 67 X25519 + 25 scrypt, per the vectors' README */

static char g_dir[64];        /* per-run temp dir, made in main() */

/* ---- helpers ---- */

static const char *tmp_path(char *buf, size_t cap, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", g_dir, name);
	assert_true(n > 0 && (size_t)n < cap);
	return buf;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

__attribute__((noinline)) static uint8_t *slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	struct airlock_err err;
	airlock_err_init(&err);
	if (airlock_read_file(path, 64u << 20, &buf, len, &err) != AIRLOCK_OK)
		fail_msg("%s", err.msg);
	return (uint8_t *)buf;
}

static void put(const char *path, const void *data, size_t len, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static uint8_t *pattern(size_t len)
{
	uint8_t *p = malloc(len + 1);
	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 2654435761u) >> 13);
	return p;
}

struct mem_src {
	const uint8_t *buf;
	size_t len, pos, step;    /* step: largest piece handed out per read */
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct airlock_err *err)
{
	struct mem_src *m = ctx;
	size_t n = m->len - m->pos;
	if (n > len)
		n = len;
	if (m->step != 0 && n > m->step)
		n = m->step;
	memcpy(buf, m->buf + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

struct grow_sink {
	uint8_t *buf;
	size_t len, cap;
};

static enum airlock_code grow_write(void *ctx, const void *data, size_t len,
    struct airlock_err *err)
{
	struct grow_sink *g = ctx;
	if (g->len + len > g->cap) {
		g->cap = (g->len + len) * 2;
		g->buf = realloc(g->buf, g->cap);
		assert_non_null(g->buf);
	}
	memcpy(g->buf + g->len, data, len);
	g->len += len;
	return AIRLOCK_OK;
}

/* Encrypts msg to the recipients in pieces of `piece` bytes. */
static struct grow_sink encrypt_mem(const uint8_t *msg, size_t len, const uint8_t (*rc)[32],
    size_t n, size_t piece)
{
	struct grow_sink g = { NULL, 0, 0 };
	struct airlock_age_writer *w;
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_age_writer_new(&w, (struct airlock_sink){ grow_write, &g }, rc, n,
	    &err), AIRLOCK_OK);
	struct airlock_sink s = airlock_age_writer_sink(w);
	for (size_t off = 0; off < len; off += piece) {
		size_t k = len - off < piece ? len - off : piece;
		assert_int_equal(s.write(s.ctx, msg + off, k, &err), AIRLOCK_OK);
	}
	assert_int_equal(airlock_age_writer_finish(w, &err), AIRLOCK_OK);
	airlock_age_writer_free(w);
	return g;
}

/* Decrypts everything; returns the code, the plaintext in *out. */
static enum airlock_code decrypt_mem(const uint8_t *in, size_t inlen,
    const struct airlock_age_identity *id, uint8_t **out, size_t *outlen,
    struct airlock_err *err)
{
	struct mem_src src = { in, inlen, 0, 7000 };
	struct airlock_age_reader *r;
	struct grow_sink g = { NULL, 0, 0 };
	enum airlock_code rc = airlock_age_reader_new(&r, (struct airlock_source){ mem_read, &src },
	    id, err);
	if (rc != AIRLOCK_OK)
		return rc;
	uint8_t buf[5000];
	for (;;) {
		ssize_t n = airlock_age_reader_read(r, buf, sizeof buf, err);
		if (n < 0) {
			rc = err->code;
			break;
		}
		if (n == 0)
			break;
		grow_write(&g, buf, (size_t)n, err);
	}
	airlock_age_reader_free(r);
	*out = g.buf;
	*outlen = g.len;
	return rc;
}

static size_t expected_size(size_t len, size_t n)
{
	size_t chunks = len == 0 ? 1 : (len + 65535) / 65536;
	return 168 + 98 * (n - 1) + 16 + len + 16 * chunks;
}

/* ---- CCTV vectors ---- */

struct vector {
	char name[64];
	char expect[32];
	char payload[65];
	char ids[4][80];
	size_t n_ids;
	char pass[4][64];
	size_t n_pass;
	int compressed;
	size_t body_off;
};

static int parse_vector(struct vector *v, const char *name, const uint8_t *data, size_t len)
{
	const char *end = memmem(data, len, "\n\n", 2);
	const char *p = (const char *)data;
	memset(v, 0, sizeof *v);
	snprintf(v->name, sizeof v->name, "%s", name);
	if (end == NULL)
		return -1;
	v->body_off = (size_t)(end - p) + 2;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		char line[256];
		if (n >= sizeof line)
			return -1;
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + 1;
		char *val = strstr(line, ": ");
		if (val == NULL)
			return -1;
		*val = '\0';
		val += 2;
		if (strcmp(line, "expect") == 0)
			snprintf(v->expect, sizeof v->expect, "%s", val);
		else if (strcmp(line, "payload") == 0)
			snprintf(v->payload, sizeof v->payload, "%s", val);
		else if (strcmp(line, "identity") == 0 && v->n_ids < 4) {
			if (strncmp(val, "AGE-SECRET-KEY-PQ-", 18) == 0)
				return -1;
			snprintf(v->ids[v->n_ids++], sizeof v->ids[0], "%s", val);
		} else if (strcmp(line, "passphrase") == 0 && v->n_pass < 4)
			snprintf(v->pass[v->n_pass++], sizeof v->pass[0], "%s", val);
		else if (strcmp(line, "compressed") == 0 && strcmp(val, "zlib") == 0)
			v->compressed = 1;
		else if (strcmp(line, "armored") == 0)
			return -1;
		else if (strcmp(line, "file key") != 0 && strcmp(line, "comment") != 0)
			return -1;   /* unknown key: skip, as the README says */
	}
	return 0;
}

/* zlib is not linked into the tests: python3 inflates at test time. */
static uint8_t *vector_body(const struct vector *v, const uint8_t *data, size_t len,
    size_t *blen)
{
	if (!v->compressed) {
		uint8_t *b = malloc(len - v->body_off + 1);
		memcpy(b, data + v->body_off, len - v->body_off);
		*blen = len - v->body_off;
		return b;
	}
	char z[256], raw[256];
	put(tmp_path(z, sizeof z, "vec.z"), data + v->body_off, len - v->body_off, 0600);
	tmp_path(raw, sizeof raw, "vec.raw");
	assert_int_equal(run("python3 -c 'import sys,zlib; open(sys.argv[2],\"wb\").write("
	    "zlib.decompress(open(sys.argv[1],\"rb\").read()))' %s %s", z, raw), 0);
	uint8_t *b = slurp(raw, blen);
	unlink(z);
	unlink(raw);
	return b;
}

static const char *verdict_name(enum airlock_age_failure f)
{
	static const char *names[] = { "success", "header failure", "no match", "HMAC failure",
		"payload failure" };
	return names[f];
}

static void test_cctv_vector(void **state)
{
	const char *name = *state;
	char path[512];
	size_t len, blen;
	struct vector v;
	snprintf(path, sizeof path, VEC "%s", name);
	uint8_t *data = slurp(path, &len);
	assert_int_equal(parse_vector(&v, name, data, len), 0);
	uint8_t *body = vector_body(&v, data, len, &blen);

	struct airlock_age_identity *ids[4];
	const char *pass[4];
	struct airlock_err err;
	airlock_err_init(&err);
	for (size_t i = 0; i < v.n_ids; i++)
		assert_int_equal(airlock_age_identity_parse(&ids[i], v.ids[i], &err), AIRLOCK_OK);
	for (size_t i = 0; i < v.n_pass; i++)
		pass[i] = v.pass[i];
	struct airlock_age_keys keys = { (const struct airlock_age_identity *const *)ids, v.n_ids,
		pass, v.n_pass, 22 };

	struct mem_src src = { body, blen, 0, 40000 };
	struct airlock_age_reader *r;
	enum airlock_age_failure why = AIRLOCK_AGE_FAIL_NONE;
	crypto_hash_sha256_state sha;
	crypto_hash_sha256_init(&sha);
	enum airlock_code rc = airlock_age_reader_new_keys(&r,
	    (struct airlock_source){ mem_read, &src }, &keys, &why, &err);
	if (rc == AIRLOCK_OK) {
		uint8_t *buf = malloc(70000);
		for (;;) {
			ssize_t n = airlock_age_reader_read(r, buf, 70000, &err);
			if (n < 0) {
				rc = err.code;
				why = airlock_age_reader_failure(r);
				break;
			}
			if (n == 0)
				break;
			crypto_hash_sha256_update(&sha, buf, (size_t)n);
		}
		free(buf);
		airlock_age_reader_free(r);
	}
	if (rc != AIRLOCK_OK && rc != AIRLOCK_E_VERIFY)
		fail_msg("%s: unexpected code %d: %s", name, rc, err.msg);
	if (strcmp(verdict_name(why), v.expect) != 0)
		fail_msg("%s: expected '%s', got '%s' (%s)", name, v.expect, verdict_name(why),
		    err.msg);
	if (v.payload[0] != '\0') {
		uint8_t h[32];
		char hex[65];
		crypto_hash_sha256_final(&sha, h);
		airlock_hex_encode(hex, h, 32);
		assert_string_equal(hex, v.payload);
	}
	for (size_t i = 0; i < v.n_ids; i++)
		airlock_age_identity_free(ids[i]);
	free(body);
	free(data);
}

static void test_cctv_count(void **state)
{
	/* Every non-armored, non-hybrid vector must have been selected. */
	assert_int_equal(*(size_t *)*state, CCTV_EXPECTED);
}

/* ---- keys and encoding ---- */

static void test_keys_known_answer(void **state)
{
	struct airlock_age_identity *id;
	struct airlock_err err;
	uint8_t pk[32], parsed[32];
	char rec[AIRLOCK_AGE_RECIPIENT_LEN + 1];
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_parse(&id,
	    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX", &err),
	    AIRLOCK_OK);
	airlock_age_identity_public(id, pk);
	airlock_age_recipient_format(rec, pk);
	assert_string_equal(rec, "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
	assert_int_equal(airlock_age_recipient_parse(parsed, rec, &err), AIRLOCK_OK);
	assert_memory_equal(parsed, pk, 32);
	airlock_age_identity_free(id);
	/* The CCTV x25519 trace (FORMATS-REFERENCE 1.10). */
	assert_int_equal(airlock_age_identity_parse(&id,
	    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0", &err),
	    AIRLOCK_OK);
	airlock_age_identity_public(id, pk);
	char hex[65];
	airlock_hex_encode(hex, pk, 32);
	assert_string_equal(hex, "36dcec3f5f24739a0c8b36cbb4ffa25729a94a51d41fb205a37419fe7f5adb2a");
	airlock_age_identity_free(id);
}

static void test_recipient_rejects(void **state)
{
	static const char *bad[] = {
		"",
		"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwq",  /* checksum */
		"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujw",   /* short */
		"AGE1ZVKYG2LQZRAA2LNJVQEJ32NKUU0UES2S82HZRYE869XEEXVN73EQUNUJWJX",  /* long */
		"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj ",
		"AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX",
		"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujWj",  /* mixed */
	};
	uint8_t pk[32];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct airlock_err err;
		airlock_err_init(&err);
		if (airlock_age_recipient_parse(pk, bad[i], &err) != AIRLOCK_E_USAGE)
			fail_msg("recipient %zu accepted", i);
		assert_non_null(strstr(err.msg, "is not a valid age recipient"));
	}
	struct airlock_age_identity *id = NULL;
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_parse(&id,
	    "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", &err),
	    AIRLOCK_E_FAILED);
	assert_null(id);
	/* The error never quotes identity text. */
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_parse(&id,
	    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEQ", &err),
	    AIRLOCK_E_FAILED);
	assert_null(strstr(err.msg, "GFPYY"));
}

/* ---- round trips, sizes, tampering ---- */

static void test_roundtrip_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 131072, 200000 };
	struct airlock_age_identity *a, *b;
	struct airlock_err err;
	uint8_t rc[2][32];
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_generate(&a, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_identity_generate(&b, &err), AIRLOCK_OK);
	airlock_age_identity_public(a, rc[0]);
	airlock_age_identity_public(b, rc[1]);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *msg = pattern(sizes[i]), *out;
		size_t outlen;
		for (size_t n = 1; n <= 2; n++) {
			struct grow_sink g = encrypt_mem(msg, sizes[i], rc, n, 1000 + i * 7919);
			assert_int_equal(g.len, expected_size(sizes[i], n));
			assert_int_equal(decrypt_mem(g.buf, g.len, n == 1 ? a : b, &out, &outlen, &err),
			    AIRLOCK_OK);
			assert_int_equal(outlen, sizes[i]);
			if (sizes[i] > 0)
				assert_memory_equal(out, msg, sizes[i]);
			free(out);
			free(g.buf);
		}
		free(msg);
	}
	airlock_age_identity_free(a);
	airlock_age_identity_free(b);
}

static void test_tampering_refused(void **state)
{
	struct airlock_age_identity *a, *other;
	struct airlock_err err;
	uint8_t rc[1][32], *out;
	size_t outlen;
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_generate(&a, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_identity_generate(&other, &err), AIRLOCK_OK);
	airlock_age_identity_public(a, rc[0]);
	uint8_t *msg = pattern(150000);
	struct grow_sink g = encrypt_mem(msg, 150000, rc, 1, 65536);

	/* Not for this identity. */
	assert_int_equal(decrypt_mem(g.buf, g.len, other, &out, &outlen, &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "no identity matches"));
	/* Every byte class: header text, MAC, nonce, first/last chunk, tag. */
	const size_t spots[] = { 30, 100, 140, 170, 190, 1000, 65551 + 184, g.len - 1 };
	for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
		g.buf[spots[i]] ^= 0x20;
		airlock_err_init(&err);
		out = NULL;
		if (decrypt_mem(g.buf, g.len, a, &out, &outlen, &err) != AIRLOCK_E_VERIFY)
			fail_msg("flip at %zu accepted", spots[i]);
		free(out);
		g.buf[spots[i]] ^= 0x20;
	}
	/* Truncated by one byte, by one chunk; one byte of trailing data. */
	airlock_err_init(&err);
	assert_int_equal(decrypt_mem(g.buf, g.len - 1, a, &out, &outlen, &err), AIRLOCK_E_VERIFY);
	free(out);
	airlock_err_init(&err);
	assert_int_equal(decrypt_mem(g.buf, 184 + 65552 * 2, a, &out, &outlen, &err),
	    AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "no final chunk"));
	free(out);
	g.buf = realloc(g.buf, g.len + 1);
	g.buf[g.len] = 0;
	airlock_err_init(&err);
	assert_int_equal(decrypt_mem(g.buf, g.len + 1, a, &out, &outlen, &err), AIRLOCK_E_VERIFY);
	free(out);
	/* After a full-size final chunk, the extra byte is "trailing data". */
	struct grow_sink full = encrypt_mem(msg, 65536, rc, 1, 65536);
	full.buf = realloc(full.buf, full.len + 1);
	full.buf[full.len] = 'x';
	airlock_err_init(&err);
	assert_int_equal(decrypt_mem(full.buf, full.len + 1, a, &out, &outlen, &err),
	    AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "after the end"));
	free(out);
	free(full.buf);
	/* Intact, it decrypts. */
	assert_int_equal(decrypt_mem(g.buf, g.len, a, &out, &outlen, &err), AIRLOCK_OK);
	assert_int_equal(outlen, 150000);
	free(out);
	free(g.buf);
	free(msg);
	airlock_age_identity_free(a);
	airlock_age_identity_free(other);
}

static void test_writer_misuse(void **state)
{
	struct grow_sink g = { NULL, 0, 0 };
	struct airlock_age_writer *w;
	struct airlock_err err;
	uint8_t rc[1][32] = { { 0 } };
	airlock_err_init(&err);
	/* No recipients; a low-order (all-zero) recipient. */
	assert_int_equal(airlock_age_writer_new(&w, (struct airlock_sink){ grow_write, &g }, rc, 0,
	    &err), AIRLOCK_E_USAGE);
	airlock_err_init(&err);
	assert_int_equal(airlock_age_writer_new(&w, (struct airlock_sink){ grow_write, &g }, rc, 1,
	    &err), AIRLOCK_E_USAGE);
	struct airlock_age_identity *a;
	assert_int_equal(airlock_age_identity_generate(&a, &err), AIRLOCK_OK);
	airlock_age_identity_public(a, rc[0]);
	airlock_err_init(&err);
	assert_int_equal(airlock_age_writer_new(&w, (struct airlock_sink){ grow_write, &g }, rc, 1,
	    &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_writer_finish(w, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_writer_finish(w, &err), AIRLOCK_E_FAILED);
	struct airlock_sink s = airlock_age_writer_sink(w);
	assert_int_equal(s.write(s.ctx, "x", 1, &err), AIRLOCK_E_FAILED);
	airlock_age_writer_free(w);
	assert_int_equal(g.len, 200);
	free(g.buf);
	airlock_age_identity_free(a);
}

static void test_passphrase_buffers(void **state)
{
	struct airlock_err err;
	uint8_t *enc, *dec;
	size_t enclen, declen;
	const char msg[] = "AGE-SECRET-KEY-1 is what this usually holds\n";
	airlock_err_init(&err);
	assert_int_equal(airlock_age_encrypt_passphrase(&enc, &enclen, (const uint8_t *)msg,
	    strlen(msg), "hunter2", 10, &err), AIRLOCK_OK);
	assert_int_equal(enclen, 150 + 16 + strlen(msg) + 16);
	assert_memory_equal(enc, "age-encryption.org/v1\n-> scrypt ", 32);
	assert_int_equal(airlock_age_decrypt_passphrase(&dec, &declen, enc, enclen, "hunter2", 22,
	    &err), AIRLOCK_OK);
	assert_int_equal(declen, strlen(msg));
	assert_memory_equal(dec, msg, declen);
	sodium_free(dec);
	assert_int_equal(airlock_age_decrypt_passphrase(&dec, &declen, enc, enclen, "hunter3", 22,
	    &err), AIRLOCK_E_VERIFY);
	assert_string_equal(err.msg, "wrong passphrase");
	/* A cap below the file's work factor is a header failure. */
	airlock_err_init(&err);
	assert_int_equal(airlock_age_decrypt_passphrase(&dec, &declen, enc, enclen, "hunter2", 9,
	    &err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(err.msg, "work factor too large"));
	sodium_free(enc);
	airlock_err_init(&err);
	assert_int_equal(airlock_age_encrypt_passphrase(&enc, &enclen, (const uint8_t *)msg, 3, "",
	    10, &err), AIRLOCK_E_USAGE);
	airlock_err_init(&err);
	assert_int_equal(airlock_age_encrypt_passphrase(&enc, &enclen, (const uint8_t *)msg, 3, "x",
	    23, &err), AIRLOCK_E_USAGE);
}

/* ---- identity files ---- */

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_identity_files(void **state)
{
	struct airlock_age_identity *id, *back;
	struct airlock_err err;
	uint8_t pk[32], pk2[32];
	char p[256], rec[AIRLOCK_AGE_RECIPIENT_LEN + 1];
	size_t len;
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_generate(&id, &err), AIRLOCK_OK);
	airlock_age_identity_public(id, pk);
	airlock_age_recipient_format(rec, pk);

	/* Plain: age-keygen's format, 0600, readable by age-keygen -y. */
	assert_int_equal(airlock_age_identity_write_file(id, tmp_path(p, sizeof p, "plain.key"),
	    NULL, AIRLOCK_KDF_INTERACTIVE, &err), AIRLOCK_OK);
	assert_int_equal(mode_of(p), 0600);
	assert_int_equal(airlock_age_identity_file_is_encrypted(p, &err), 0);
	uint8_t *text = slurp(p, &len);
	assert_memory_equal(text, "# created: ", 11);
	assert_non_null(strstr((char *)text, rec));
	assert_non_null(strstr((char *)text, "\nAGE-SECRET-KEY-1"));
	free(text);
	assert_int_equal(run("test \"$(age-keygen -y %s)\" = %s", p, rec), 0);
	assert_int_equal(airlock_age_identity_read_file(&back, p, NULL, &err), AIRLOCK_OK);
	airlock_age_identity_public(back, pk2);
	assert_memory_equal(pk, pk2, 32);
	airlock_age_identity_free(back);
	/* Never overwritten. */
	assert_int_equal(airlock_age_identity_write_file(id, p, NULL, AIRLOCK_KDF_INTERACTIVE,
	    &err), AIRLOCK_E_FAILED);
	airlock_err_init(&err);

	/* Encrypted (interactive cost = scrypt logN 10). */
	assert_int_equal(airlock_age_identity_write_file(id, tmp_path(p, sizeof p, "enc.key"),
	    "open sesame", AIRLOCK_KDF_INTERACTIVE, &err), AIRLOCK_OK);
	assert_int_equal(mode_of(p), 0600);
	assert_int_equal(airlock_age_identity_file_is_encrypted(p, &err), 1);
	text = slurp(p, &len);
	assert_non_null(memmem(text, len, " 10\n", 4));
	free(text);
	assert_int_equal(airlock_age_identity_read_file(&back, p, "open sesame", &err), AIRLOCK_OK);
	airlock_age_identity_public(back, pk2);
	assert_memory_equal(pk, pk2, 32);
	airlock_age_identity_free(back);
	back = NULL;
	assert_int_equal(airlock_age_identity_read_file(&back, p, "open sesam", &err),
	    AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "wrong passphrase"));
	assert_null(back);
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_read_file(&back, p, NULL, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "needs a passphrase"));

	/* Group/other bits: refused, with the chmod hint. */
	assert_int_equal(chmod(p, 0644), 0);
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_read_file(&back, p, "open sesame", &err),
	    AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "accessible by group or others"));
	assert_non_null(strstr(err.hint, "chmod 600"));
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_file_is_encrypted(p, &err), -1);

	/* Garbage and empty identity files. */
	put(tmp_path(p, sizeof p, "junk.key"), "# only a comment\n\n", 18, 0600);
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_read_file(&back, p, NULL, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "no identity found"));
	put(p, "# c\nAGE-SECRET-KEY-1XYZ\n", 24, 0600);
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_read_file(&back, p, NULL, &err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(err.msg, "not a valid age identity"));
	airlock_age_identity_free(id);
}

/* The SENSITIVE level writes logN 18, what `age -p` uses. */
static void test_identity_file_sensitive(void **state)
{
	struct airlock_age_identity *id, *back;
	struct airlock_err err;
	char p[256];
	size_t len;
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_generate(&id, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_identity_write_file(id, tmp_path(p, sizeof p, "sens.key"),
	    "pw", AIRLOCK_KDF_SENSITIVE, &err), AIRLOCK_OK);
	uint8_t *text = slurp(p, &len);
	assert_non_null(memmem(text, len, " 18\n", 4));
	free(text);
	assert_int_equal(airlock_age_identity_read_file(&back, p, "pw", &err), AIRLOCK_OK);
	airlock_age_identity_free(back);
	airlock_age_identity_free(id);
}

/* ---- interop with age 1.1.1 ---- */

/* Types the passphrase into age's terminal prompts (age reads /dev/tty). */
static const char pty_script[] =
    "import os, pty, re, sys\n"
    "pw = sys.argv[1].encode() + b'\\n'\n"
    "pid, fd = pty.fork()\n"
    "if pid == 0:\n"
    "    os.execvp(sys.argv[2], sys.argv[2:])\n"
    "out, sent = b'', 0\n"
    "while True:\n"
    "    try:\n"
    "        data = os.read(fd, 1024)\n"
    "    except OSError:\n"
    "        break\n"
    "    if not data:\n"
    "        break\n"
    "    out += data\n"
    "    while len(re.findall(rb'assphrase[^\\n]*: ', out)) > sent:\n"
    "        os.write(fd, pw)\n"
    "        sent += 1\n"
    "_, st = os.waitpid(pid, 0)\n"
    "sys.exit(os.WEXITSTATUS(st) if sent > 0 else 99)\n";

static void write_file_fd(const char *path, const uint8_t *data, size_t len)
{
	put(path, data, len, 0600);
}

/* What we encrypt, age -d decrypts: 1 and 3 recipients, one of them an
 * age-keygen key, all the STREAM boundary sizes. */
static void test_interop_age_decrypts_ours(void **state)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 200000 };
	struct airlock_age_identity *a, *c, *kg;
	struct airlock_err err;
	uint8_t rc[3][32];
	char pa[256], pkg[256], pin[256], pout[256], pref[256];
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_generate(&a, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_identity_generate(&c, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_identity_write_file(a, tmp_path(pa, sizeof pa, "a.key"), NULL,
	    AIRLOCK_KDF_INTERACTIVE, &err), AIRLOCK_OK);
	tmp_path(pkg, sizeof pkg, "kg.key");
	assert_int_equal(run("age-keygen -o %s 2>/dev/null", pkg), 0);
	assert_int_equal(airlock_age_identity_read_file(&kg, pkg, NULL, &err), AIRLOCK_OK);
	airlock_age_identity_public(a, rc[0]);
	airlock_age_identity_public(kg, rc[1]);
	airlock_age_identity_public(c, rc[2]);
	tmp_path(pin, sizeof pin, "in.age");
	tmp_path(pout, sizeof pout, "out.bin");
	tmp_path(pref, sizeof pref, "ref.bin");
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *msg = pattern(sizes[i]);
		write_file_fd(pref, msg, sizes[i]);
		for (size_t n = 1; n <= 3; n += 2) {
			struct grow_sink g = encrypt_mem(msg, sizes[i], rc, n, 4096);
			write_file_fd(pin, g.buf, g.len);
			unlink(pout);
			/* One recipient: our key file; three: the age-keygen key (2nd stanza). */
			if (run("age -d -i %s %s >%s", n == 1 ? pa : pkg, pin, pout) != 0)
				fail_msg("age -d failed: size %zu, %zu recipients", sizes[i], n);
			assert_int_equal(run("cmp -s %s %s", pout, pref), 0);
			free(g.buf);
		}
		free(msg);
	}
	airlock_age_identity_free(a);
	airlock_age_identity_free(c);
	airlock_age_identity_free(kg);
}

/* What age -r encrypts, we decrypt (our key and an age-keygen key). */
static void test_interop_we_decrypt_age(void **state)
{
	static const size_t sizes[] = { 0, 1, 65536, 65537, 200000 };
	struct airlock_age_identity *a, *kg;
	struct airlock_err err;
	uint8_t pk[32], *enc, *out;
	char rec[AIRLOCK_AGE_RECIPIENT_LEN + 1], pkg[256], pin[256], pref[256];
	size_t enclen, outlen;
	airlock_err_init(&err);
	assert_int_equal(airlock_age_identity_generate(&a, &err), AIRLOCK_OK);
	airlock_age_identity_public(a, pk);
	airlock_age_recipient_format(rec, pk);
	tmp_path(pkg, sizeof pkg, "kg2.key");
	assert_int_equal(run("age-keygen -o %s 2>/dev/null", pkg), 0);
	assert_int_equal(airlock_age_identity_read_file(&kg, pkg, NULL, &err), AIRLOCK_OK);
	tmp_path(pin, sizeof pin, "from-age.age");
	tmp_path(pref, sizeof pref, "ref2.bin");
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *msg = pattern(sizes[i]);
		write_file_fd(pref, msg, sizes[i]);
		unlink(pin);
		assert_int_equal(run("age -r %s -R /dev/stdin -o %s %s <<EOF\n$(age-keygen -y %s)\nEOF",
		    rec, pin, pref, pkg), 0);
		enc = slurp(pin, &enclen);
		assert_int_equal(enclen, expected_size(sizes[i], 2));
		for (int k = 0; k < 2; k++) {
			assert_int_equal(decrypt_mem(enc, enclen, k == 0 ? a : kg, &out, &outlen, &err),
			    AIRLOCK_OK);
			assert_int_equal(outlen, sizes[i]);
			if (outlen > 0)
				assert_memory_equal(out, msg, outlen);
			free(out);
		}
		free(enc);
		free(msg);
	}
	airlock_age_identity_free(a);
	airlock_age_identity_free(kg);
}

/* Passphrase-protected identity files both ways, through a pty. */
static void test_interop_encrypted_identity(void **state)
{
	struct airlock_age_identity *id, *back;
	struct airlock_err err;
	uint8_t rc[1][32];
	char pkey[256], pin[256], pout[256], py[256], pplain[256], page[256];
	airlock_err_init(&err);
	put(tmp_path(py, sizeof py, "airlock_pty.py"), pty_script, strlen(pty_script), 0600);
	/* Ours (scrypt logN 10) opened by age -d -i. */
	assert_int_equal(airlock_age_identity_generate(&id, &err), AIRLOCK_OK);
	assert_int_equal(airlock_age_identity_write_file(id, tmp_path(pkey, sizeof pkey, "e.key"),
	    "tty pass", AIRLOCK_KDF_INTERACTIVE, &err), AIRLOCK_OK);
	airlock_age_identity_public(id, rc[0]);
	struct grow_sink g = encrypt_mem((const uint8_t *)"secret payload\n", 15, rc, 1, 100);
	write_file_fd(tmp_path(pin, sizeof pin, "e.age"), g.buf, g.len);
	free(g.buf);
	tmp_path(pout, sizeof pout, "e.out");
	assert_int_equal(run("python3 %s 'tty pass' age -d -i %s -o %s %s >/dev/null", py, pkey,
	    pout, pin), 0);
	assert_int_equal(run("printf 'secret payload\\n' | cmp -s - %s", pout), 0);
	/* A wrong passphrase makes age fail. */
	unlink(pout);
	assert_true(run("python3 %s 'bad pass' age -d -i %s -o %s %s >/dev/null", py, pkey, pout,
	    pin) != 0);
	airlock_age_identity_free(id);

	/* An identity file protected by `age -p` (logN 18), read by us. */
	tmp_path(pplain, sizeof pplain, "kg3.key");
	tmp_path(page, sizeof page, "kg3.key.age");
	assert_int_equal(run("age-keygen -o %s 2>/dev/null", pplain), 0);
	assert_int_equal(run("python3 %s 'age pass' age -p -o %s %s >/dev/null", py, page, pplain),
	    0);
	assert_int_equal(chmod(page, 0600), 0);
	assert_int_equal(airlock_age_identity_file_is_encrypted(page, &err), 1);
	assert_int_equal(airlock_age_identity_read_file(&back, page, "age pass", &err), AIRLOCK_OK);
	struct airlock_age_identity *plain;
	assert_int_equal(airlock_age_identity_read_file(&plain, pplain, NULL, &err), AIRLOCK_OK);
	uint8_t p1[32], p2[32];
	airlock_age_identity_public(back, p1);
	airlock_age_identity_public(plain, p2);
	assert_memory_equal(p1, p2, 32);
	airlock_age_identity_free(back);
	airlock_age_identity_free(plain);
}

/* ---- main: fixed tests plus one per CCTV vector ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_vectors(char ***names)
{
	DIR *d = opendir(VEC);
	struct dirent *e;
	size_t n = 0, cap = 256;
	char **v = malloc(cap * sizeof *v);
	if (d == NULL || v == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[512];
		char *data = NULL;
		size_t len;
		struct vector vec;
		struct airlock_err err;
		if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0 || n == cap)
			continue;
		snprintf(path, sizeof path, VEC "%s", e->d_name);
		airlock_err_init(&err);
		if (airlock_read_file(path, 64u << 20, &data, &len, &err) != AIRLOCK_OK)
			continue;
		if (parse_vector(&vec, e->d_name, (uint8_t *)data, len) == 0)
			v[n++] = strdup(e->d_name);
		free(data);
	}
	closedir(d);
	qsort(v, n, sizeof *v, cmp_names);
	*names = v;
	return n;
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_keys_known_answer),
		cmocka_unit_test(test_recipient_rejects),
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_tampering_refused),
		cmocka_unit_test(test_writer_misuse),
		cmocka_unit_test(test_passphrase_buffers),
		cmocka_unit_test(test_identity_files),
		cmocka_unit_test(test_identity_file_sensitive),
		cmocka_unit_test(test_interop_age_decrypts_ours),
		cmocka_unit_test(test_interop_we_decrypt_age),
		cmocka_unit_test(test_interop_encrypted_identity),
	};
	const size_t nfixed = sizeof fixed / sizeof fixed[0];
	char **names = NULL;
	if (sodium_init() < 0)
		return 1;
	strcpy(g_dir, "/tmp/airlock-age-XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return 1;
	size_t nvec = list_vectors(&names);
	struct CMUnitTest *tests = calloc(nfixed + 1 + nvec, sizeof *tests);
	memcpy(tests, fixed, sizeof fixed);
	tests[nfixed] = (struct CMUnitTest){ "cctv_vector_count", test_cctv_count, NULL, NULL,
		&nvec };
	for (size_t i = 0; i < nvec; i++)
		tests[nfixed + 1 + i] = (struct CMUnitTest){ names[i], test_cctv_vector, NULL, NULL,
			names[i] };
	int rc = _cmocka_run_group_tests("age", tests, nfixed + 1 + nvec, NULL, NULL);
	struct airlock_err err;
	airlock_err_init(&err);
	airlock_remove_tree(g_dir, &err);
	for (size_t i = 0; i < nvec; i++)
		free(names[i]);
	free(names);
	free(tests);
	return rc;
}
