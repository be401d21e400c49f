/* test_minisign.c - minisign keys, key files and signatures: the shared
 * vectors, byte-exact interop with minisign 0.11 both ways, and every
 * refusal (wrong passphrase, open key file, forged or mismatched signature). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "airlock/encoding.h"
#include "airlock/io.h"
#include "airlock/minisign.h"

#define VEC "tests/vectors/minisign/"

struct fx {
	char dir[64];
	char paths[4][256];      /* tmp() rotates, so one call may use several */
	unsigned next;
	const char *path;        /* the latest tmp() result */
	struct airlock_err err;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (f == NULL || sodium_init() < 0)
		return -1;
	strcpy(f->dir, "/tmp/airlock-minisign-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	airlock_err_init(&f->err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct airlock_err err;
	airlock_err_init(&err);
	airlock_remove_tree(f->dir, &err);
	free(f);
	return 0;
}

static const char *tmp(struct fx *f, const char *name)
{
	char *p = f->paths[f->next++ % 4];
	size_t dl = strlen(f->dir), nl = strlen(name);
	assert_true(dl + 1 + nl < sizeof f->paths[0]);
	memcpy(p, f->dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	f->path = p;
	return p;
}

/* noinline: gcc 12 mistakes the out-parameter for a dangling pointer. */
__attribute__((noinline)) static char *slurp(const char *path, size_t *len)
{
	char *buf;
	struct airlock_err err;
	airlock_err_init(&err);
	assert_int_equal(airlock_read_file(path, 1 << 20, &buf, len, &err), AIRLOCK_OK);
	return buf;
}

static void put(const char *path, const char *data, size_t len, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Copies a vector key into the temp dir with mode 0600 (the shared copies
 * are world-readable, which the reader rightly refuses). */
static const char *copy_key(struct fx *f, const char *vec, const char *name)
{
	size_t len;
	char *data = slurp(vec, &len);
	put(tmp(f, name), data, len, 0600);
	free(data);
	return f->path;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static enum airlock_code verify_files(const char *pubfile, const char *msgfile,
    const char *sigfile, const char *untrusted, char *tc, struct airlock_err *err)
{
	struct airlock_minisign_pub pub;
	size_t mlen, slen;
	assert_int_equal(airlock_minisign_pub_read_file(&pub, pubfile, err), AIRLOCK_OK);
	char *msg = slurp(msgfile, &mlen), *sig = slurp(sigfile, &slen);
	enum airlock_code rc = airlock_minisign_verify(&pub, (uint8_t *)msg, mlen, sig, slen,
	    untrusted, tc, err);
	if (rc != AIRLOCK_OK)
		print_message("# %s: %s\n", sigfile, err->msg);
	free(msg);
	free(sig);
	return rc;
}

/* README table rows 1, 4, 6, 7, 11 accepted with the trusted comment. */
static void test_vectors_valid(void **state)
{
	struct fx *f = *state;
	char tc[AIRLOCK_MINISIGN_TRUSTED_MAX];
	assert_int_equal(verify_files(VEC "nopw.pub", VEC "msg.txt", VEC "msg.txt.minisig", NULL,
	    tc, &f->err), AIRLOCK_OK);
	assert_string_equal(tc, "timestamp:1795458121\tfile:msg.txt\thashed");
	assert_int_equal(verify_files(VEC "nopw.pub", VEC "msg.txt", VEC "msg.txt.tc.minisig",
	    "airlock untrusted comment", tc, &f->err), AIRLOCK_OK);
	assert_string_equal(tc, "airlock bundle seq=42 feed=test");
	assert_int_equal(verify_files(VEC "nopw.pub", VEC "msg.txt",
	    VEC "msg.txt.untrusted-edited.minisig", NULL, tc, &f->err), AIRLOCK_OK);
	assert_int_equal(verify_files(VEC "pw.pub", VEC "msg.txt", VEC "msg.txt.pw.minisig", NULL,
	    tc, &f->err), AIRLOCK_OK);
	assert_string_equal(tc, "signed with password-protected key");
	assert_int_equal(verify_files(VEC "nopw.pub", VEC "empty.txt", VEC "empty.txt.minisig",
	    NULL, tc, &f->err), AIRLOCK_OK);
	assert_string_equal(tc, "empty message");
	assert_int_equal(f->err.code, AIRLOCK_OK);
}

/* Row 12: the inline (-P) key form. */
static void test_vector_inline_key(void **state)
{
	struct fx *f = *state;
	struct airlock_minisign_pub pub, file_pub;
	char b64[57], id[AIRLOCK_MINISIGN_KEYID_HEX];
	assert_int_equal(airlock_minisign_pub_from_base64(&pub,
	    "RWRxul9sV2rlJUUpt1oWiUJG+YhdXmApSr1qtLRcQXZQ9jYMS4kLzirA", &f->err), AIRLOCK_OK);
	assert_int_equal(airlock_minisign_pub_read_file(&file_pub, VEC "nopw.pub", &f->err),
	    AIRLOCK_OK);
	assert_memory_equal(&pub, &file_pub, sizeof pub);
	airlock_minisign_pub_base64(b64, &pub);
	assert_string_equal(b64, "RWRxul9sV2rlJUUpt1oWiUJG+YhdXmApSr1qtLRcQXZQ9jYMS4kLzirA");
	airlock_minisign_key_id_format(id, pub.key_id);
	assert_string_equal(id, "25E56A576C5FBA71");
	/* No zero padding: a top byte of 0 prints fewer digits. */
	const uint8_t small[8] = { 0x01, 0x02, 0, 0, 0, 0, 0, 0 };
	airlock_minisign_key_id_format(id, small);
	assert_string_equal(id, "201");
}

/* Rows 2/3 (legacy refused), 5, 8, 9, 10. */
static void test_vectors_invalid(void **state)
{
	struct fx *f = *state;
	char tc[AIRLOCK_MINISIGN_TRUSTED_MAX] = "untouched";
	struct { const char *pub, *msg, *sig, *want; } cases[] = {
		{ "nopw.pub", "msg.txt", "msg.txt.legacy.minisig", "legacy (non-prehashed)" },
		{ "nopw.pub", "msg.txt", "msg.txt.tc-tampered.minisig", "trusted comment signature" },
		{ "nopw.pub", "msg.txt", "msg.txt.pw.minisig", "key id A86658BD7E4DAF9C is not" },
		{ "nopw.pub", "msg-tampered.txt", "msg.txt.minisig", "signature verification failed" },
		{ "nopw.pub", "msg-tampered.txt", "msg.txt.legacy.minisig", "legacy" },
		{ "pw.pub", "msg.txt", "msg.txt.minisig", "key id 25E56A576C5FBA71 is not" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char p[256], m[256], s[256];
		snprintf(p, sizeof p, VEC "%s", cases[i].pub);
		snprintf(m, sizeof m, VEC "%s", cases[i].msg);
		snprintf(s, sizeof s, VEC "%s", cases[i].sig);
		airlock_err_init(&f->err);
		assert_int_equal(verify_files(p, m, s, NULL, tc, &f->err), AIRLOCK_E_VERIFY);
		if (strstr(f->err.msg, cases[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, f->err.msg, cases[i].want);
		assert_string_equal(tc, "untouched");
	}
	/* Untrusted comment required but different (row 6 edited it). */
	airlock_err_init(&f->err);
	assert_int_equal(verify_files(VEC "nopw.pub", VEC "msg.txt",
	    VEC "msg.txt.untrusted-edited.minisig", "airlock untrusted comment", tc, &f->err),
	    AIRLOCK_E_VERIFY);
	assert_non_null(strstr(f->err.msg, "untrusted comment is not the expected"));
	airlock_err_init(&f->err);
	assert_int_equal(verify_files(VEC "nopw.pub", VEC "msg.txt", VEC "msg.txt.tc.minisig",
	    "airlock untrusted commen", tc, &f->err), AIRLOCK_E_VERIFY);
}

static void test_sig_key_id(void **state)
{
	struct fx *f = *state;
	size_t len;
	char *sig = slurp(VEC "msg.txt.pw.minisig", &len);
	uint8_t id[8];
	const uint8_t want[8] = { 0x9c, 0xaf, 0x4d, 0x7e, 0xbd, 0x58, 0x66, 0xa8 };
	assert_int_equal(airlock_minisign_sig_key_id(id, sig, len, &f->err), AIRLOCK_OK);
	assert_memory_equal(id, want, 8);
	assert_int_equal(airlock_minisign_sig_key_id(id, sig, 50, &f->err), AIRLOCK_E_VERIFY);
	free(sig);
}

static void test_sign_verify_roundtrip(void **state)
{
	struct fx *f = *state;
	struct airlock_minisign_secret *sec;
	struct airlock_minisign_pub pub, other_pub;
	struct airlock_minisign_secret *other;
	char *sig, tc[AIRLOCK_MINISIGN_TRUSTED_MAX];
	size_t len;
	const uint8_t msg[] = "bundle bytes";
	assert_int_equal(airlock_minisign_keygen(&sec, &pub, &f->err), AIRLOCK_OK);
	assert_int_equal(airlock_minisign_keygen(&other, &other_pub, &f->err), AIRLOCK_OK);
	assert_memory_not_equal(pub.key_id, other_pub.key_id, 8);
	assert_int_equal(airlock_minisign_sign(&sig, &len, sec, msg, sizeof msg, "airlock bundle",
	    "seq=1\tfeed=x", &f->err), AIRLOCK_OK);
	assert_int_equal(strlen(sig), len);
	assert_int_equal(airlock_minisign_verify(&pub, msg, sizeof msg, sig, len, "airlock bundle",
	    tc, &f->err), AIRLOCK_OK);
	assert_string_equal(tc, "seq=1\tfeed=x");
	assert_memory_equal(sig + strlen("untrusted comment: airlock bundle\n"), "RU", 2);
	/* Signature from another key: key id mismatch. */
	assert_int_equal(airlock_minisign_verify(&other_pub, msg, sizeof msg, sig, len, NULL, tc,
	    &f->err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(f->err.msg, "is not the key id"));
	/* Same key id, other key material: the Ed25519 check itself fails. */
	memcpy(other_pub.key_id, pub.key_id, 8);
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_verify(&other_pub, msg, sizeof msg, sig, len, NULL, tc,
	    &f->err), AIRLOCK_E_VERIFY);
	assert_string_equal(f->err.msg, "signature verification failed");
	/* Tampered message. */
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_verify(&pub, msg, sizeof msg - 1, sig, len, NULL, tc,
	    &f->err), AIRLOCK_E_VERIFY);
	/* Tampered trusted comment. */
	char *t = strstr(sig, "seq=1");
	t[4] = '2';
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_verify(&pub, msg, sizeof msg, sig, len, NULL, tc,
	    &f->err), AIRLOCK_E_VERIFY);
	assert_non_null(strstr(f->err.msg, "trusted comment"));
	free(sig);
	/* Comments with line breaks are refused when signing. */
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_sign(&sig, &len, sec, msg, 1, "a\nb", "c", &f->err),
	    AIRLOCK_E_USAGE);
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_sign(&sig, &len, sec, msg, 1, "a", "c\rd", &f->err),
	    AIRLOCK_E_USAGE);
	airlock_minisign_secret_free(sec);
	airlock_minisign_secret_free(other);
}

/* Structural damage to a valid signature file is refused. */
static void test_malformed_signatures(void **state)
{
	struct fx *f = *state;
	struct airlock_minisign_pub pub;
	size_t mlen, slen;
	char *msg = slurp(VEC "msg.txt", &mlen), *good = slurp(VEC "msg.txt.minisig", &slen);
	assert_int_equal(airlock_minisign_pub_read_file(&pub, VEC "nopw.pub", &f->err), AIRLOCK_OK);
	char buf[1024];
	/* CRLF line endings are what minisign accepts too. */
	{
		size_t o = 0;
		for (size_t i = 0; i < slen; i++) {
			if (good[i] == '\n')
				buf[o++] = '\r';
			buf[o++] = good[i];
		}
		assert_int_equal(airlock_minisign_verify(&pub, (uint8_t *)msg, mlen, buf, o, NULL,
		    NULL, &f->err), AIRLOCK_OK);
	}
	/* Final newline missing is fine; anything more is not. */
	assert_int_equal(airlock_minisign_verify(&pub, (uint8_t *)msg, mlen, good, slen - 1, NULL,
	    NULL, &f->err), AIRLOCK_OK);
	struct { const char *from, *to; } edits[] = {
		{ "untrusted comment: ", "untrusted comment:" },
		{ "trusted comment: t", "trusted comment:t" },
		{ "trusted comment: t", "Trusted comment: t" },
		{ "RURxul", "RURxu" },
		{ "RURxul", "RUR xul" },
		{ "\tfile", "\x01" "file" },
		{ "hashed\n", "hashed\n\n" },
		{ "Q==\n", "Q=\n" },
		{ "eAQ==\n", "eAQ==\nextra\n" },
		{ "RURxul", "RWRxul" },
	};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		char *at = strstr(good, edits[i].from);
		assert_non_null(at);
		size_t pre = (size_t)(at - good), fl = strlen(edits[i].from), tl = strlen(edits[i].to);
		memcpy(buf, good, pre);
		memcpy(buf + pre, edits[i].to, tl);
		memcpy(buf + pre + tl, at + fl, slen - pre - fl);
		airlock_err_init(&f->err);
		if (airlock_minisign_verify(&pub, (uint8_t *)msg, mlen, buf, slen - fl + tl, NULL, NULL,
		    &f->err) != AIRLOCK_E_VERIFY)
			fail_msg("edit %zu accepted", i);
	}
	free(msg);
	free(good);
}

static void test_pub_parse_rejects(void **state)
{
	struct fx *f = *state;
	struct airlock_minisign_pub pub;
	static const char *bad[] = {
		"RWRxul9sV2rlJUUpt1oWiUJG+YhdXmApSr1qtLRcQXZQ9jYMS4kLzirA\n",
		"untrusted comment: x\nRWRxul9sV2rlJUUpt1oWiUJG+YhdXmApSr1qtLRcQXZQ9jYMS4kLzir\n",
		"untrusted comment: x\nRWRxul9sV2rlJUUpt1oWiUJG+YhdXmApSr1qtLRcQXZQ9jYMS4kLzirA=\n",
		"untrusted comment: x\nRURxul9sV2rlJUUpt1oWiUJG+YhdXmApSr1qtLRcQXZQ9jYMS4kLzirA\n",
		"untrusted comment: x\nRWRxul9sV2rlJUUpt1oWiUJG+YhdXmApSr1qtLRcQXZQ9jYMS4kLzirA\nx\n",
		"comment: x\nRWRxul9sV2rlJUUpt1oWiUJG+YhdXmApSr1qtLRcQXZQ9jYMS4kLzirA\n",
		"untrusted comment: x\n",
		"",
		"untrusted comment: x\nRWRxul9sV2rlJUUpt1oWiUJG+YhdXmApSr1qtLRcQXZQ9jYMS4kLzirAAAAA\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		airlock_err_init(&f->err);
		if (airlock_minisign_pub_parse(&pub, bad[i], strlen(bad[i]), &f->err) !=
		    AIRLOCK_E_FAILED)
			fail_msg("bad pub key %zu accepted", i);
		assert_non_null(strstr(f->err.msg, "malformed minisign public key"));
	}
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_pub_from_base64(&pub, "RWRx", &f->err), AIRLOCK_E_FAILED);
	put(tmp(f, "bad.pub"), bad[3], strlen(bad[3]), 0644);
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_pub_read_file(&pub, f->path, &f->err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.hint, "bad.pub"));
}

/* Our key is read back from the vector files; signing msg.txt with it gives
 * exactly minisign's (deterministic) signature line. */
static void test_read_vector_keys(void **state)
{
	struct fx *f = *state;
	struct airlock_minisign_secret *sec;
	struct airlock_minisign_pub pub, want;
	char *sig;
	size_t len, mlen, vlen;
	char *msg = slurp(VEC "msg.txt", &mlen), *vec = slurp(VEC "msg.txt.minisig", &vlen);
	assert_int_equal(airlock_minisign_secret_file_is_encrypted(copy_key(f, VEC "nopw.key",
	    "nopw.key"), &f->err), 0);
	assert_int_equal(airlock_minisign_secret_read_file(&sec, f->path, NULL, &f->err),
	    AIRLOCK_OK);
	airlock_minisign_secret_public(sec, &pub);
	assert_int_equal(airlock_minisign_pub_read_file(&want, VEC "nopw.pub", &f->err), AIRLOCK_OK);
	assert_memory_equal(&pub, &want, sizeof pub);
	assert_int_equal(airlock_minisign_sign(&sig, &len, sec, (uint8_t *)msg, mlen,
	    "signature from minisign secret key", "timestamp:1795458121\tfile:msg.txt\thashed",
	    &f->err), AIRLOCK_OK);
	assert_int_equal(len, vlen);
	assert_memory_equal(sig, vec, vlen);
	free(sig);
	airlock_minisign_secret_free(sec);

	/* The password-protected key (scrypt at minisign's 1 GiB level). */
	assert_int_equal(airlock_minisign_secret_file_is_encrypted(copy_key(f, VEC "pw.key",
	    "pw.key"), &f->err), 1);
	assert_int_equal(airlock_minisign_secret_read_file(&sec, f->path, NULL, &f->err),
	    AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "needs a passphrase"));
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_secret_read_file(&sec, f->path, "airlock-test", &f->err),
	    AIRLOCK_OK);
	airlock_minisign_secret_public(sec, &pub);
	assert_int_equal(airlock_minisign_pub_read_file(&want, VEC "pw.pub", &f->err), AIRLOCK_OK);
	assert_memory_equal(&pub, &want, sizeof pub);
	airlock_minisign_secret_free(sec);
	free(msg);
	free(vec);
}

static void test_key_file_mode_refused(void **state)
{
	struct fx *f = *state;
	struct airlock_minisign_secret *sec = NULL;
	copy_key(f, VEC "nopw.key", "open.key");
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(airlock_minisign_secret_read_file(&sec, f->path, NULL, &f->err),
	    AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "accessible by group or others"));
	assert_non_null(strstr(f->err.hint, "chmod 600"));
	assert_null(sec);
	assert_int_equal(chmod(f->path, 0620), 0);
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_secret_file_is_encrypted(f->path, &f->err), -1);
	/* A symlink to a good key is not followed. */
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(symlink(f->path, tmp(f, "link.key")), 0);
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_secret_read_file(&sec, f->path, NULL, &f->err),
	    AIRLOCK_E_FAILED);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_write_read_keys(void **state)
{
	struct fx *f = *state;
	struct airlock_minisign_secret *sec, *back;
	struct airlock_minisign_pub pub, pub2;
	assert_int_equal(airlock_minisign_keygen(&sec, &pub, &f->err), AIRLOCK_OK);
	/* Encrypted, interactive cost. */
	assert_int_equal(airlock_minisign_secret_write_file(sec, tmp(f, "enc.key"), "correct horse",
	    AIRLOCK_KDF_INTERACTIVE, &f->err), AIRLOCK_OK);
	assert_int_equal(mode_of(f->path), 0600);
	assert_int_equal(airlock_minisign_secret_file_is_encrypted(f->path, &f->err), 1);
	assert_int_equal(airlock_minisign_secret_read_file(&back, f->path, "wrong horse", &f->err),
	    AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "wrong passphrase"));
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_secret_read_file(&back, f->path, "correct horse",
	    &f->err), AIRLOCK_OK);
	airlock_minisign_secret_public(back, &pub2);
	assert_memory_equal(&pub, &pub2, sizeof pub);
	airlock_minisign_secret_free(back);
	/* Never overwrites. */
	assert_int_equal(airlock_minisign_secret_write_file(sec, f->path, NULL,
	    AIRLOCK_KDF_INTERACTIVE, &f->err), AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "File exists"));
	airlock_err_init(&f->err);
	/* Unencrypted. */
	assert_int_equal(airlock_minisign_secret_write_file(sec, tmp(f, "plain.key"), NULL,
	    AIRLOCK_KDF_INTERACTIVE, &f->err), AIRLOCK_OK);
	assert_int_equal(airlock_minisign_secret_file_is_encrypted(f->path, &f->err), 0);
	assert_int_equal(airlock_minisign_secret_read_file(&back, f->path, NULL, &f->err),
	    AIRLOCK_OK);
	airlock_minisign_secret_public(back, &pub2);
	assert_memory_equal(&pub, &pub2, sizeof pub);
	airlock_minisign_secret_free(back);
	/* Public key file. */
	assert_int_equal(airlock_minisign_pub_write_file(&pub, tmp(f, "k.pub"), &f->err),
	    AIRLOCK_OK);
	assert_int_equal(mode_of(f->path) & 0600, 0600);
	assert_int_equal(airlock_minisign_pub_read_file(&pub2, f->path, &f->err), AIRLOCK_OK);
	assert_memory_equal(&pub, &pub2, sizeof pub);
	assert_int_equal(airlock_minisign_pub_write_file(&pub, f->path, &f->err), AIRLOCK_E_FAILED);
	airlock_minisign_secret_free(sec);
}

/* Damage in the key material of an unencrypted key is caught even though
 * minisign's own -W keys carry no checksum. */
static void test_damaged_secret_key(void **state)
{
	struct fx *f = *state;
	struct airlock_minisign_secret *sec;
	size_t len;
	char *text = slurp(VEC "nopw.key", &len);
	char *line2 = strchr(text, '\n') + 1;
	/* Byte 100 of the base64 line lies inside the Ed25519 public half. */
	line2[120] = line2[120] == 'A' ? 'B' : 'A';
	put(tmp(f, "damaged.key"), text, len, 0600);
	assert_int_equal(airlock_minisign_secret_read_file(&sec, f->path, NULL, &f->err),
	    AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "is damaged"));
	put(tmp(f, "garbage.key"), "untrusted comment: x\nnot a key\n", 31, 0600);
	airlock_err_init(&f->err);
	assert_int_equal(airlock_minisign_secret_read_file(&sec, f->path, NULL, &f->err),
	    AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "is not a minisign secret key file"));
	free(text);
}

/* minisign -V -H accepts our signatures with our public key file; minisign
 * -S signs with our key files (unencrypted and encrypted); we verify what
 * minisign signs with a fresh key of its own. */
static void test_interop_minisign(void **state)
{
	struct fx *f = *state;
	struct airlock_minisign_secret *sec;
	struct airlock_minisign_pub pub;
	char *sig, d[64], tc[AIRLOCK_MINISIGN_TRUSTED_MAX];
	size_t len;
	const char msg[] = "airlock interop message\n";
	strcpy(d, f->dir);
	put(tmp(f, "m.txt"), msg, strlen(msg), 0644);
	assert_int_equal(airlock_minisign_keygen(&sec, &pub, &f->err), AIRLOCK_OK);
	assert_int_equal(airlock_minisign_pub_write_file(&pub, tmp(f, "our.pub"), &f->err),
	    AIRLOCK_OK);
	assert_int_equal(airlock_minisign_sign(&sig, &len, sec, (const uint8_t *)msg, strlen(msg),
	    "airlock", "seq=7", &f->err), AIRLOCK_OK);
	put(tmp(f, "m.txt.minisig"), sig, len, 0644);
	free(sig);
	assert_int_equal(run("minisign -Vq -H -p %s/our.pub -m %s/m.txt", d, d), 0);
	/* And minisign refuses it for another message. */
	put(tmp(f, "m2.txt"), "other\n", 6, 0644);
	assert_int_equal(run("cp %s/m.txt.minisig %s/m2.txt.minisig && "
	    "minisign -Vq -p %s/our.pub -m %s/m2.txt 2>/dev/null", d, d, d, d), 1);

	/* minisign -S with our unencrypted and interactive-cost encrypted keys. */
	assert_int_equal(airlock_minisign_secret_write_file(sec, tmp(f, "plain.key"), NULL,
	    AIRLOCK_KDF_INTERACTIVE, &f->err), AIRLOCK_OK);
	assert_int_equal(run("minisign -S -s %s/plain.key -m %s/m.txt -x %s/s1.minisig "
	    "-t fromplain </dev/null >/dev/null", d, d, d), 0);
	assert_int_equal(verify_files(tmp(f, "our.pub"), tmp(f, "m.txt"), tmp(f, "s1.minisig"),
	    NULL, tc, &f->err), AIRLOCK_OK);
	assert_string_equal(tc, "fromplain");
	assert_int_equal(airlock_minisign_secret_write_file(sec, tmp(f, "enc.key"), "pw 1",
	    AIRLOCK_KDF_INTERACTIVE, &f->err), AIRLOCK_OK);
	assert_int_equal(run("echo 'pw 1' | minisign -S -s %s/enc.key -m %s/m.txt "
	    "-x %s/s2.minisig -t fromenc >/dev/null 2>&1", d, d, d), 0);
	assert_int_equal(verify_files(tmp(f, "our.pub"), tmp(f, "m.txt"), tmp(f, "s2.minisig"),
	    NULL, tc, &f->err), AIRLOCK_OK);
	assert_string_equal(tc, "fromenc");
	assert_int_equal(run("echo 'pw 2' | minisign -S -s %s/enc.key -m %s/m.txt "
	    "-x %s/s3.minisig >/dev/null 2>&1", d, d, d), 2);

	/* A fresh minisign key (unencrypted) and signature, verified by us. */
	assert_int_equal(run("minisign -G -W -p %s/ms.pub -s %s/ms.key >/dev/null && "
	    "minisign -S -s %s/ms.key -m %s/m.txt -x %s/s4.minisig -c 'ms uc' -t 'ms tc' "
	    ">/dev/null", d, d, d, d, d), 0);
	assert_int_equal(verify_files(tmp(f, "ms.pub"), tmp(f, "m.txt"), tmp(f, "s4.minisig"),
	    "ms uc", tc, &f->err), AIRLOCK_OK);
	assert_string_equal(tc, "ms tc");
	struct airlock_minisign_secret *ms;
	assert_int_equal(airlock_minisign_secret_read_file(&ms, tmp(f, "ms.key"), NULL, &f->err),
	    AIRLOCK_OK);
	airlock_minisign_secret_free(ms);
	airlock_minisign_secret_free(sec);
}

/* The SENSITIVE level stores minisign's -G values and minisign reads it. */
static void test_sensitive_key_file(void **state)
{
	struct fx *f = *state;
	struct airlock_minisign_secret *sec, *back;
	struct airlock_minisign_pub pub;
	char d[64];
	strcpy(d, f->dir);
	assert_int_equal(airlock_minisign_keygen(&sec, &pub, &f->err), AIRLOCK_OK);
	assert_int_equal(airlock_minisign_secret_write_file(sec, tmp(f, "s.key"), "sens",
	    AIRLOCK_KDF_SENSITIVE, &f->err), AIRLOCK_OK);
	size_t len, blen;
	char *text = slurp(f->path, &len);
	uint8_t blob[200];
	char *l2 = strchr(text, '\n') + 1;
	assert_int_equal(airlock_b64_decode(blob, sizeof blob, &blen, l2, strcspn(l2, "\n"),
	    AIRLOCK_B64_PAD), 0);
	assert_int_equal(blen, 158);
	assert_memory_equal(blob, "EdScB2", 6);
	const uint8_t ops[8] = { 0, 0, 0, 2, 0, 0, 0, 0 }, mem[8] = { 0, 0, 0, 0x40, 0, 0, 0, 0 };
	assert_memory_equal(blob + 38, ops, 8);
	assert_memory_equal(blob + 46, mem, 8);
	/* A file asking for more than SENSITIVE is refused before any scrypt. */
	blob[46 + 4] = 1;
	char b64[220];
	airlock_b64_encode(b64, blob, 158, AIRLOCK_B64_PAD);
	char big[300];
	int n = snprintf(big, sizeof big, "untrusted comment: x\n%s\n", b64);
	put(tmp(f, "big.key"), big, (size_t)n, 0600);
	assert_int_equal(airlock_minisign_secret_read_file(&back, f->path, "sens", &f->err),
	    AIRLOCK_E_FAILED);
	assert_non_null(strstr(f->err.msg, "scrypt cost above"));
	airlock_err_init(&f->err);
	put(tmp(f, "m.txt"), "x\n", 2, 0644);
	assert_int_equal(airlock_minisign_pub_write_file(&pub, tmp(f, "s.pub"), &f->err),
	    AIRLOCK_OK);
	assert_int_equal(run("echo sens | minisign -S -s %s/s.key -m %s/m.txt >/dev/null 2>&1 && "
	    "minisign -Vq -H -p %s/s.pub -m %s/m.txt", d, d, d, d), 0);
	free(text);
	airlock_minisign_secret_free(sec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vectors_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vector_inline_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vectors_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sig_key_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_verify_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_signatures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pub_parse_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_vector_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file_mode_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_secret_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interop_minisign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sensitive_key_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
